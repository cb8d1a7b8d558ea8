import type Database from 'better-sqlite3';

/** A `jobs` row as the statements below return it (columns a statement does not select are absent). */
export interface JobRow {
  seq: number;
  id: string;
  state: number;
  done: number;
  priority: number;
  max_attempts: number;
  attempts: number;
  enqueued_at: number;
  due_at: number | null;
  created_at: string;
  substrates: string | null;
  spec: string | null;
  errors: string | null;
  result: string | null;
  bytes: number;
  finish_seq: number | null;
  inline: number;
}

/** A terminal row whose result is past its expiry: gone for readers, its id free again, though not deleted yet. */
export function isExpired(row: { done: number; due_at: number | null }, now: number): boolean {
  return row.done !== 0 && row.due_at !== null && row.due_at <= now;
}

const TAKE_COLUMNS = 'seq, id, done, priority, attempts, max_attempts, enqueued_at, created_at, substrates, spec, errors, inline';
const VIEW_COLUMNS = 'seq, id, state, done, priority, attempts, due_at, created_at, substrates, errors, result';

/**
 * The statements the store's own thread runs: reads only (the writer thread
 * does every write, writer-thread.ts). Prepared once per connection
 * (preparing is far dearer than running).
 */
export function prepareReads(db: Database.Database): Record<ReadName, Database.Statement> {
  return {
    // a leased job not in the fresh-spec cache
    take: db.prepare(`SELECT ${TAKE_COLUMNS} FROM jobs WHERE seq = ?`),
    // a run of them, in seq order
    takeRange: db.prepare(`SELECT ${TAKE_COLUMNS} FROM jobs WHERE seq >= ? AND seq <= ? ORDER BY seq`),
    byId: db.prepare(`SELECT ${VIEW_COLUMNS}, enqueued_at, inline FROM jobs WHERE id = ?`),
    resultById: db.prepare('SELECT result, done, due_at FROM jobs WHERE id = ?'),
    // failed and cancelled rows are in the partial index (schema.ts)
    listUnsucceeded: db.prepare(`SELECT ${VIEW_COLUMNS} FROM jobs WHERE done <> 3 AND done = ? AND seq < ? AND due_at > ? ORDER BY seq DESC LIMIT ?`),
    // succeeded rows are not: a window of the table (seq in [from, before)), newest first
    listSucceeded: db.prepare(`SELECT ${VIEW_COLUMNS} FROM jobs WHERE seq < ? AND seq >= ? AND done = 3 AND due_at > ? ORDER BY seq DESC LIMIT ?`),
    minSeq: db.prepare('SELECT min(seq) FROM jobs').pluck(),
    listLive: db.prepare(`SELECT ${VIEW_COLUMNS} FROM jobs WHERE done <> 3 AND done = 0 AND seq < ? ORDER BY seq DESC`),
    liveQueued: db.prepare('SELECT seq, state, priority, due_at FROM jobs WHERE done <> 3 AND done = 0 AND state IN (0, 1) ORDER BY seq'),
    // newest finished first: the metric records are projections of these results
    recentResults: db.prepare('SELECT result, due_at FROM jobs WHERE done <> 0 ORDER BY finish_seq DESC'),
    counters: db.prepare(`SELECT (SELECT max(seq) FROM jobs) AS maxSeq, (SELECT max(finish_seq) FROM jobs WHERE done <> 0) AS maxFinish,
      (SELECT count(*) FROM jobs WHERE done <> 0) AS results, (SELECT total(bytes) FROM jobs WHERE done <> 0) AS bytes,
      (SELECT total(inline) FROM jobs WHERE done <> 3 AND done = 0) AS inline`),
  };
}

const INSERT_JOBS = 'INSERT INTO jobs (seq, id, state, done, priority, max_attempts, attempts, enqueued_at, created_at, substrates, spec, inline) VALUES';
/** INSERT_PARAMS parameters: seq, id, priority, max_attempts, enqueued_at, created_at, substrates, spec, inline */
const INSERT_VALUES = '(?, ?, 0, 0, ?, ?, 0, ?, ?, ?, ?, ?)';
export const INSERT_PARAMS = 9;
/** rows of one insertMany statement */
export const INSERT_ROWS = 32;

/** The writer thread's statements: every write the store makes. */
export function prepareWrites(db: Database.Database): Record<WriteName, Database.Statement> {
  return {
    insert: db.prepare(`${INSERT_JOBS} ${INSERT_VALUES} ON CONFLICT (id) DO NOTHING`),
    // INSERT_ROWS rows per statement: a statement's own cost (binding, stepping, the call from JS) is then paid
    // once per INSERT_ROWS jobs, measured ~0.8 µs of the ~3.7 µs an insert costs one row at a time
    insertMany: db.prepare(`${INSERT_JOBS} ${Array<string>(INSERT_ROWS).fill(INSERT_VALUES).join(', ')} ON CONFLICT (id) DO NOTHING`),
    stateById: db.prepare('SELECT seq, state, done, due_at, bytes FROM jobs WHERE id = ?'),
    deleteSeq: db.prepare('DELETE FROM jobs WHERE seq = ?'),
    // `done = 0`: the first terminal write wins, whatever reaches the writer later
    finish: db.prepare('UPDATE jobs SET state = ?, done = ?, attempts = ?, spec = NULL, result = ?, bytes = ?, due_at = ?, finish_seq = ? WHERE seq = ? AND done = 0'),
    finishWithErrors: db.prepare('UPDATE jobs SET state = ?, done = ?, attempts = ?, spec = NULL, result = ?, bytes = ?, due_at = ?, finish_seq = ?, errors = ? WHERE seq = ? AND done = 0'),
    amendResult: db.prepare('UPDATE jobs SET result = ?, bytes = ? WHERE seq = ?'),
    requeue: db.prepare('UPDATE jobs SET state = ?, attempts = ?, due_at = ?, errors = ? WHERE seq = ? AND done = 0'),
    oldestFinished: db.prepare('SELECT finish_seq AS finishSeq, due_at AS dueAt, bytes FROM jobs WHERE done <> 0 ORDER BY finish_seq LIMIT ?'),
    putMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    deleteMeta: db.prepare('DELETE FROM meta WHERE key = ?'),
    deleteFinishedThrough: db.prepare('DELETE FROM jobs WHERE done <> 0 AND finish_seq <= ? RETURNING bytes'),
  };
}

type ReadName = 'take' | 'takeRange' | 'byId' | 'resultById' | 'listUnsucceeded' | 'listSucceeded' | 'minSeq' | 'listLive' | 'liveQueued' | 'recentResults' | 'counters';
type WriteName = 'insert' | 'insertMany' | 'stateById' | 'deleteSeq' | 'finish' | 'finishWithErrors' | 'amendResult' | 'requeue' | 'oldestFinished' | 'deleteFinishedThrough' | 'putMeta' | 'deleteMeta';

export type Reads = Record<ReadName, Database.Statement>;
