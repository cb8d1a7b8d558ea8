import type Database from 'better-sqlite3';

/**
 * The SQLite store's tables. One row per job, whatever its state; result
 * records are stored as JSON text, opaquely, so fields added to them need
 * no schema change; specs as the compact text of spec-codec.ts. Only what the store itself sorts, filters or
 * counts by has a column.
 *
 * `state` is the store's own state (a leased job's row stays ready or
 * delayed: leases are held in memory only); `done` is 0 while the job is
 * live and equals `state` once it is terminal. The index (done, seq) holds
 * only the rows that are not succeeded (`done <> 3`): the live ones (list()
 * of queued and running, startup's scan) and the failed and cancelled ones,
 * so a job that succeeds costs it one entry, added at enqueue and removed
 * at completion, not four. Succeeded rows, nearly all of the file, are
 * listed by walking the table itself newest first (seq is its key).
 *
 * `due_at` is the ready time of a delayed job and the expiry of a terminal
 * job's result. `finish_seq` numbers terminal rows in the order they
 * finished; the partial index over it serves pruning (oldest first; finish
 * order is expiry order while the TTL is unchanged) and the recent metrics,
 * which are not stored apart: a job's metric record is a projection of its
 * result record (terminal-records.ts metricOf), read from the result row.
 * Version 1 files had a `metrics` table and an expiry index; opening one
 * migrates it (migrateFromV1).
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

/**
 * 3: specs are stored compactly (spec-codec.ts); version 2 files hold full
 * JSON specs, which version 3 reads as they are, so opening one only marks
 * it version 3 (an older packetfs then refuses it instead of misreading
 * the compact specs written from then on).
 */
export const SCHEMA_VERSION = 3;

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
  finish_seq   INTEGER,
  inline       INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_id ON jobs(id);
-- queries that use it repeat its condition (done <> 3 AND ...): SQLite uses a partial index only then
CREATE INDEX IF NOT EXISTS jobs_unsucceeded ON jobs(done, seq) WHERE done <> 3;
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs(finish_seq) WHERE done <> 0;
-- inline: base64 characters of the job's inline data (QueueDepth.inline_bytes)
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/** the `meta` row where the process holding the store reports its lease count (writer-protocol.ts LeaseReport) */
export const LEASES_KEY = 'leases';

export type FsyncMode = 'normal' | 'always';

/**
 * Page size of new files. 16 KiB pages made the store's INSERT + UPDATE
 * ~15-20% cheaper than 4 KiB ones in a bare loop (fewer page splits and
 * B-tree levels per row; BENCHMARKS.md); a file keeps the page size it was
 * created with (WAL mode cannot change it), so older files stay at 4 KiB.
 */
export const PAGE_SIZE = 16_384;
/** the write-ahead log is checkpointed by the writer itself past this size (see applyConnectionSettings) */
const LOG_BACKSTOP_BYTES = 64 * 1024 * 1024;

/**
 * Connection settings, then the tables. page_size and auto_vacuum must be
 * chosen before the first table exists, so they only take effect on a new file.
 *   WAL: readers (store info, backup) never block the writer, and a commit
 *   is one append to the log.
 *   synchronous NORMAL: a commit is in the OS once the call returns (survives
 *   kill -9); FULL (`--fsync always`) also fsyncs the log at every commit
 *   (survives power loss).
 */
export function applySchema(db: Database.Database, fsync: FsyncMode): void {
  db.pragma(`page_size = ${PAGE_SIZE}`);
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  applyConnectionSettings(db, fsync);
  const existing = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() === undefined
    ? undefined
    : db.prepare('SELECT value FROM meta WHERE key = ?').get('schema_version') as { value: string } | undefined;
  if (existing !== undefined && Number(existing.value) === 1) migrateFromV1(db);
  else if (existing !== undefined && Number(existing.value) === 2) markVersion(db);
  else if (existing !== undefined && Number(existing.value) !== SCHEMA_VERSION) {
    throw new Error(`packetfs.db has schema version ${existing.value}; this packetfs reads version ${SCHEMA_VERSION}`);
  }
  // before version 2 had this index, jobs_list held every row (jobs_unsucceeded replaces it)
  db.exec('DROP INDEX IF EXISTS jobs_list');
  db.exec(DDL);
  if (existing === undefined) db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
}

/**
 * Settings that belong to a connection, not to the file: every connection
 * that writes (the writer thread's, writer-thread.ts) applies them.
 */
export function applyConnectionSettings(db: Database.Database, fsync: FsyncMode): void {
  db.pragma('busy_timeout = 5000');
  db.pragma(`synchronous = ${fsync === 'always' ? 'FULL' : 'NORMAL'}`);
  // a checkpointed log is cut back to this size instead of keeping its high-water mark
  db.pragma(`journal_size_limit = ${LOG_BACKSTOP_BYTES}`);
  // page cache: 16 MiB, so RSS does not follow the file size
  db.pragma('cache_size = -16384');
  db.pragma('temp_store = MEMORY');
  // checkpoints run on a background thread (background-checkpointer.ts); this inline one is the backstop at 64 MiB of log (the size a checkpointed log is cut back to): under steady writes the background PASSIVE checkpoint rarely finds a moment where the whole log is copied, which the log needs to restart from its beginning
  // in pages: the same 64 MiB whatever page size the file has
  db.pragma(`wal_autocheckpoint = ${Math.floor(LOG_BACKSTOP_BYTES / (db.pragma('page_size', { simple: true }) as number))}`);
}

/** Version 1 kept metric records in their own table: they are now read from the result rows. */
function migrateFromV1(db: Database.Database): void {
  db.transaction(() => {
    db.exec(`
      ALTER TABLE jobs RENAME COLUMN metric_seq TO finish_seq;
      UPDATE jobs SET finish_seq = (SELECT coalesce(max(finish_seq), 0) FROM jobs) + seq WHERE done <> 0 AND finish_seq IS NULL;
      DROP INDEX IF EXISTS jobs_expiry;
      DROP TABLE IF EXISTS metrics;
    `);
    markVersion(db);
  })();
}

function markVersion(db: Database.Database): void {
  db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(String(SCHEMA_VERSION), 'schema_version');
}
