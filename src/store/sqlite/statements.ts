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
  metric_seq: number | null;
  inline: number;
}

type StatementName = 'insert' | 'stateById' | 'deleteSeq' | 'take' | 'finish' | 'finishWithErrors' | 'amendResult' | 'amendMetric' | 'requeue' | 'insertMetric'
  | 'byId' | 'resultById' | 'listTerminal' | 'listLive' | 'liveQueued' | 'recentMetrics' | 'trimMetrics'
  | 'pruneExpired' | 'pruneOldest' | 'counters' | 'countsByState' | 'oldestQueued';

const VIEW_COLUMNS = 'seq, id, state, done, priority, attempts, due_at, created_at, substrates, errors, result';

/**
 * Every statement the SQLite store runs, prepared once per connection
 * (preparing is far dearer than running). Batches run them in a loop inside
 * one transaction.
 */
export function prepareStatements(db: Database.Database): Record<StatementName, Database.Statement> {
  return {
    insert: db.prepare(`INSERT INTO jobs (seq, id, state, done, priority, max_attempts, attempts, enqueued_at, created_at, substrates, spec, inline)
      VALUES (?, ?, 0, 0, ?, ?, 0, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
    stateById: db.prepare('SELECT seq, state, done, due_at, bytes, metric_seq FROM jobs WHERE id = ?'),
    deleteSeq: db.prepare('DELETE FROM jobs WHERE seq = ?'),
    // a read: leases are not written (see sqlite-store.ts)
    take: db.prepare('SELECT seq, id, done, priority, attempts, max_attempts, enqueued_at, spec, errors, inline FROM jobs WHERE seq = ?'),
    finish: db.prepare('UPDATE jobs SET state = ?, done = ?, attempts = ?, spec = NULL, result = ?, bytes = ?, due_at = ?, metric_seq = ? WHERE seq = ?'),
    finishWithErrors: db.prepare('UPDATE jobs SET state = ?, done = ?, attempts = ?, spec = NULL, result = ?, bytes = ?, due_at = ?, metric_seq = ?, errors = ? WHERE seq = ?'),
    amendResult: db.prepare('UPDATE jobs SET result = ?, bytes = ? WHERE seq = ?'),
    amendMetric: db.prepare('UPDATE metrics SET record = ? WHERE seq = ?'),
    requeue: db.prepare('UPDATE jobs SET state = ?, attempts = ?, due_at = ?, errors = ? WHERE seq = ?'),
    insertMetric: db.prepare('INSERT INTO metrics (seq, record) VALUES (?, ?)'),
    byId: db.prepare(`SELECT ${VIEW_COLUMNS}, enqueued_at, inline FROM jobs WHERE id = ?`),
    resultById: db.prepare('SELECT result, done, due_at FROM jobs WHERE id = ?'),
    listTerminal: db.prepare(`SELECT ${VIEW_COLUMNS} FROM jobs WHERE done = ? AND seq < ? AND due_at > ? ORDER BY seq DESC LIMIT ?`),
    listLive: db.prepare(`SELECT ${VIEW_COLUMNS} FROM jobs WHERE done = 0 AND seq < ? ORDER BY seq DESC`),
    liveQueued: db.prepare('SELECT seq, state, priority, due_at FROM jobs WHERE done = 0 AND state IN (0, 1) ORDER BY seq'),
    recentMetrics: db.prepare('SELECT record FROM metrics ORDER BY seq DESC LIMIT ?'),
    trimMetrics: db.prepare('DELETE FROM metrics WHERE seq <= ?'),
    pruneExpired: db.prepare(`DELETE FROM jobs WHERE seq IN
      (SELECT seq FROM jobs WHERE done <> 0 AND due_at <= ? ORDER BY due_at LIMIT ?) RETURNING bytes`),
    pruneOldest: db.prepare(`DELETE FROM jobs WHERE seq IN
      (SELECT seq FROM jobs WHERE done <> 0 ORDER BY due_at LIMIT ?) RETURNING bytes`),
    counters: db.prepare(`SELECT (SELECT max(seq) FROM jobs) AS maxSeq, (SELECT max(seq) FROM metrics) AS maxMetric,
      (SELECT count(*) FROM jobs WHERE done <> 0) AS results, (SELECT total(bytes) FROM jobs WHERE done <> 0) AS bytes,
      (SELECT total(inline) FROM jobs WHERE done = 0) AS inline`),
    countsByState: db.prepare('SELECT state, count(*) AS n FROM jobs GROUP BY state'),
    oldestQueued: db.prepare('SELECT id, enqueued_at FROM jobs WHERE done = 0 AND state IN (0, 1) ORDER BY seq LIMIT 1'),
  };
}

export type Statements = Record<StatementName, Database.Statement>;
