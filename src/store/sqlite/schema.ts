import type Database from 'better-sqlite3';

/**
 * The SQLite store's tables. One row per job, whatever its state; specs and
 * result records are stored as JSON text, opaquely, so fields added to
 * either need no schema change. Only what the store itself sorts, filters or
 * counts by has a column.
 *
 * `state` is the store's own state (a leased job's row stays ready or
 * delayed: leases are held in memory only); `done` is 0 while the job is live and equals `state` once it is terminal, so one
 * index (done, seq) serves list() for every status and startup's scan of
 * live jobs, and is rewritten only when a job finishes.
 *
 * `due_at` is the ready time of a delayed job and the expiry of a terminal
 * job's result; the partial index over terminal rows orders pruning (expiry
 * order is finish order while the TTL is unchanged).
 */
export const STATE = {
  ready: 0,
  delayed: 1,
  // 2 is not used: a running job's row stays queued (leases live in memory)
  succeeded: 3,
  failed: 4,
  cancelled: 5,
} as const;

export type StateCode = typeof STATE[keyof typeof STATE];

export const TERMINAL_STATE = { succeeded: STATE.succeeded, failed: STATE.failed, cancelled: STATE.cancelled } as const;

export const SCHEMA_VERSION = 1;

export const DB_FILE = 'packetfs.db';
/** held with an exclusive SQLite lock for as long as a store has the data dir open */
export const LOCK_FILE = 'packetfs.lock';

const DDL = `
CREATE TABLE IF NOT EXISTS jobs (
  seq          INTEGER PRIMARY KEY,
  id           TEXT    NOT NULL,
  state        INTEGER NOT NULL,
  done         INTEGER NOT NULL,
  priority     INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  attempts     INTEGER NOT NULL,
  enqueued_at  INTEGER NOT NULL,
  due_at       INTEGER,
  created_at   TEXT    NOT NULL,
  substrates   TEXT,
  spec         TEXT,
  errors       TEXT,
  result       TEXT,
  bytes        INTEGER NOT NULL DEFAULT 0,
  metric_seq   INTEGER,
  inline       INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_id ON jobs(id);
CREATE INDEX IF NOT EXISTS jobs_list ON jobs(done, seq);
CREATE INDEX IF NOT EXISTS jobs_expiry ON jobs(due_at) WHERE done <> 0;
-- inline: base64 characters of the job's inline data (QueueDepth.inline_bytes)
-- metric_seq: the job's row in metrics, so amend() can replace it in place
CREATE TABLE IF NOT EXISTS metrics (
  seq    INTEGER PRIMARY KEY,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

export type FsyncMode = 'normal' | 'always';

/**
 * Connection settings, then the tables. auto_vacuum must be chosen before
 * the first table exists, so it only takes effect on a new file.
 *   WAL: readers (store info, backup) never block the writer, and a commit
 *   is one append to the log.
 *   synchronous NORMAL: a commit is in the OS once the call returns (survives
 *   kill -9); FULL (`--fsync always`) also fsyncs the log at every commit
 *   (survives power loss).
 */
export function applySchema(db: Database.Database, fsync: FsyncMode): void {
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${fsync === 'always' ? 'FULL' : 'NORMAL'}`);
  // a checkpointed log is cut back to this size instead of keeping its high-water mark
  db.pragma('journal_size_limit = 67108864');
  // page cache: 16 MiB, so RSS does not follow the file size
  db.pragma('cache_size = -16384');
  db.pragma('temp_store = MEMORY');
  // checkpoints run on a background thread (background-checkpointer.ts); this inline one is the backstop at 256 MiB of log
  db.pragma('wal_autocheckpoint = 65536');
  db.exec(DDL);
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get('schema_version') as { value: string } | undefined;
  if (row === undefined) {
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
  } else if (Number(row.value) !== SCHEMA_VERSION) {
    throw new Error(`packetfs.db has schema version ${row.value}; this packetfs reads version ${SCHEMA_VERSION}`);
  }
}
