import { LocalProgressShelf, type ProgressShelf } from '../progress-shelf.js';
import type Database from 'better-sqlite3';
import { PacketFSError } from '../../errors.js';
import type { AttemptError, JobSpec, JobStatus, MetricRecord, ResultRecord } from '../../job/types.js';
import { silentLogger, type Logger } from '../../logger.js';
import type {
  Amendment, Completion, Deferral, EnqueueOutcome, JobStore, JobView, Lease, ListPage, ListQuery, QueueDepth, Retry, SpendItem, SpendTotals, StoreOptions,
} from '../job-store.js';
import { SpendTable } from './spend-table.js';
import { MinHeap } from '../memory/min-heap.js';
import { ReadyQueue } from '../memory/ready-queue.js';
import { ResultWaiters } from '../memory/result-waiters.js';
import { inlineBytesOf } from '../inline-bytes.js';
import { cancelledRecord, leaseExpiredError, leaseExpiredRecord, metricOf } from '../terminal-records.js';
import { BackgroundCheckpointer } from './background-checkpointer.js';
import { openStoreDatabase } from './open-database.js';
import { STATE, TERMINAL_STATE, type FsyncMode } from './schema.js';
import { prepareStatements, type JobRow, type Statements } from './statements.js';
import { decodeCursor, encodeCursor, nonNegative } from '../seq-cursor.js';

/**
 * The durable embedded JobStore: `<data-dir>/packetfs.db`, SQLite in WAL
 * mode, one writer process (open-database.ts holds the lock).
 *
 * The database is the truth for every job; memory holds only what makes the
 * hot path cheap, all of it rebuilt from the database on open:
 *   ready    seqs of ready jobs in a ReadyQueue (priority lanes); a job
 *            cancelled while ready stays in its lane, marked in `deadReady`
 *            until it surfaces
 *   delayed  (ready time, seq) in a min-heap, `delayedLive` says which are
 *            still delayed; promotion moves them to `ready` without a write
 *            (their row keeps state 'delayed'; take() accepts both)
 *   running  one entry per leased job, keyed by job id, plus a min-heap by
 *            lease expiry (lazily invalidated like the memory store's); get()
 *            and list() overlay it on the rows
 * Leases are not written: only this process can hold them, and writing each
 * take() would cost a third row write per job. A leased job's row stays
 * queued until its completion, retry or lease expiry writes the attempt; so
 * after a crash the jobs that were running are simply queued again, and the
 * interrupted attempt is not counted (at-least-once, like a lease expiry,
 * but without a LEASE_EXPIRED error).
 *
 * Every call that writes is one transaction (group commit per batch): when
 * enqueue() resolves, the jobs are committed; complete() commits the results
 * and their metric records together. Memory changes follow a commit; if a
 * write fails, the queue structures are rebuilt from the database.
 *
 * Retention: a terminal row expires resultTtlMs after it finished (reads
 * treat it as gone at once) and the oldest results are dropped beyond
 * maxResults / maxResultBytes. Deleting happens in a background task, in
 * batches of PRUNE_BATCH rows per transaction, yielding between batches;
 * freed pages are reused and, past a threshold, returned to the OS with an
 * incremental vacuum.
 */
export interface SqliteStoreOptions extends StoreOptions {
  /** 'always' fsyncs every commit (synchronous=FULL); default 'normal' (synchronous=NORMAL) */
  fsync?: FsyncMode;
  /** period of the background pruning; default 1000 ms */
  maintenanceMs?: number;
  now?: () => number;
  logger?: Logger;
}

/** enqueue's outcomes plus, per input, the seq of the row it created (undefined when it existed) */
interface EnqueuedBatch {
  outcomes: EnqueueOutcome[];
  seqs: (number | undefined)[];
}

interface Requeue {
  seq: number;
  state: number;
  attempts: number;
  dueAt: number | null;
  errors: string;
}

interface RunningEntry {
  readonly id: string;
  readonly seq: number;
  readonly priority: number;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly enqueuedAt: number;
  readonly errors: AttemptError[];
  /** inline data of the job (inlineBytesOf), counted in inlineBytes until it finishes */
  readonly inline: number;
  leaseExpiresAt: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const SQLITE_DEFAULT_MAX_RESULTS = 1_000_000;
export const SQLITE_DEFAULT_MAX_RESULT_BYTES = 1024 * 1024 * 1024;
const PRUNE_BATCH = 5000;
const FRESH_SPECS = 65_536;
/** inline data the fresh-spec cache may hold: a job carries up to 16 MiB */
const FRESH_INLINE_BYTES = 64 * 1024 * 1024;
/** most live rows one list() examines for a page of queued or running jobs */
const LIST_SCAN_MAX = 10_000;
/** public status by state code (2 is unused: see schema.ts) */
const STATUS_OF: readonly JobStatus[] = ['queued', 'queued', 'running', 'succeeded', 'failed', 'cancelled'];

export class SqliteJobStore implements JobStore {
  readonly kind = 'sqlite';
  /** one process holds the store (open-database.ts), so its progress shelf is that process's memory */
  readonly progress: ProgressShelf;
  readonly path: string;

  private readonly db: Database.Database;
  private readonly lock: Database.Database;
  private readonly sql: Statements;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly resultTtlMs: number;
  private readonly metricsLimit: number;
  private readonly maxResults: number;
  private readonly maxResultBytes: number;

  private lanes = new ReadyQueue<number>((seq) => !this.deadReady.delete(seq));
  private deadReady = new Set<number>();
  private delayedHeap = new MinHeap<number>();
  private delayedLive = new Map<number, number>();
  private readonly running = new Map<string, RunningEntry>();
  /**
   * Specs of jobs this process enqueued and has not taken yet, so take()
   * needs no read for them; bounded (FRESH_SPECS), a miss reads the row.
   * Only never-taken jobs are here: a retried job's attempts and errors are in its row.
   */
  private readonly fresh = new Map<number, { job: JobSpec; enqueuedAt: number; inline: number }>();
  private freshBytes = 0;
  /** inline data of unfinished jobs, for QueueDepth.inline_bytes (the queue bound of max_queued_bytes) */
  private inlineBytes = 0;
  private readonly leases = new MinHeap<RunningEntry>();
  /**
   * Why deferred jobs wait (defer()), with the attempts they had then: shown
   * while the job is queued with that count. In memory only: one process
   * holds the store, and after a restart the dispatcher defers again.
   */
  private readonly waits = new Map<string, { reason: string; attempts: number }>();
  private readonly spend: SpendTable;
  private readonly waiters = new ResultWaiters<ResultRecord>();
  private readyCount = 0;
  private seq = 0;
  private metricSeq = 0;
  private resultCount = 0;
  private resultBytes = 0;
  private maintenanceTimer: NodeJS.Timeout | null = null;
  private pruning = false;
  private closed = false;

  private readonly enqueueTx: (jobs: JobSpec[], now: number) => EnqueuedBatch;
  private readonly takeTx: (seqs: number[]) => JobRow[];
  private readonly completeTx: (items: Array<{ seq: number; attempts: number; result: ResultRecord; metric: MetricRecord }>, expiresAt: number) => void;
  private readonly requeueTx: (items: Requeue[]) => void;

  static open(dataDir: string, opts: SqliteStoreOptions = {}): SqliteJobStore {
    const fsync = opts.fsync ?? 'normal';
    const { db, lock, path } = openStoreDatabase(dataDir, fsync);
    const checkpointer = new BackgroundCheckpointer(path, fsync === 'always' ? 'FULL' : 'NORMAL');
    try {
      return new SqliteJobStore(db, lock, path, checkpointer, opts);
    } catch (err) {
      void checkpointer.stop();
      db.close();
      lock.close();
      throw err;
    }
  }

  private constructor(db: Database.Database, lock: Database.Database, path: string, private readonly checkpointer: BackgroundCheckpointer, opts: SqliteStoreOptions) {
    this.db = db;
    this.lock = lock;
    this.path = path;
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger ?? silentLogger;
    this.resultTtlMs = nonNegative(opts.resultTtlMs ?? DAY_MS, 'resultTtlMs');
    this.progress = new LocalProgressShelf(this.resultTtlMs, this.now);
    this.metricsLimit = Math.floor(nonNegative(opts.metricsLimit ?? 10_000, 'metricsLimit'));
    this.maxResults = Math.floor(nonNegative(opts.maxResults ?? SQLITE_DEFAULT_MAX_RESULTS, 'maxResults'));
    this.maxResultBytes = nonNegative(opts.maxResultBytes ?? SQLITE_DEFAULT_MAX_RESULT_BYTES, 'maxResultBytes');
    this.sql = prepareStatements(db);
    this.spend = new SpendTable(db);

    this.enqueueTx = db.transaction((jobs: JobSpec[], now: number) => this.writeEnqueue(jobs, now));
    this.takeTx = db.transaction((seqs: number[]) => {
      const rows: JobRow[] = [];
      for (const seq of seqs) {
        const row = this.sql.take.get(seq) as JobRow | undefined;
        if (row !== undefined && row.done === 0) rows.push(row);
      }
      return rows;
    });
    this.completeTx = db.transaction((items: Array<{ seq: number; attempts: number; result: ResultRecord; metric: MetricRecord }>, expiresAt: number) => {
      for (const item of items) this.writeTerminal(item.seq, item.attempts, item.result, item.metric, expiresAt, undefined);
    });
    this.requeueTx = db.transaction((items: Requeue[]) => {
      for (const item of items) this.sql.requeue.run(item.state, item.attempts, item.dueAt, item.errors, item.seq);
    });

    const counters = this.sql.counters.get() as { maxSeq: number | null; maxMetric: number | null; results: number; bytes: number; inline: number };
    this.seq = counters.maxSeq ?? 0;
    this.metricSeq = counters.maxMetric ?? 0;
    this.resultCount = counters.results;
    this.resultBytes = counters.bytes;
    this.inlineBytes = counters.inline;
    this.loadQueues();

    const maintenanceMs = Math.max(1, Math.floor(opts.maintenanceMs ?? 1000));
    this.maintenanceTimer = setInterval(() => this.prune(), maintenanceMs);
    this.maintenanceTimer.unref();
  }

  /** Waiters in waitForResult() not yet settled (diagnostics). */
  get waiting(): number {
    return this.waiters.size;
  }

  async enqueue(jobs: JobSpec[]): Promise<EnqueueOutcome[]> {
    if (jobs.length === 0) return [];
    const now = this.now();
    const { outcomes, seqs } = this.write(() => this.enqueueTx(jobs, now));
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i];
      if (seq === undefined) continue;
      const job = jobs[i] as JobSpec;
      const inline = inlineBytesOf(job);
      this.inlineBytes += inline;
      if (this.fresh.size < FRESH_SPECS && this.freshBytes + inline <= FRESH_INLINE_BYTES) {
        this.fresh.set(seq, { job, enqueuedAt: now, inline });
        this.freshBytes += inline;
      }
      this.queueInMemory(seq, job.priority, 0);
    }
    return outcomes;
  }

  async take(max: number, leaseMs: number): Promise<Lease[]> {
    const now = this.now();
    this.reclaimExpiredLeases(now);
    this.promoteDueDelayed(now);
    if (!(max >= 1) || this.readyCount === 0) return [];
    const seqs = this.lanes.take(Math.min(Math.floor(max), this.readyCount));
    const expiresAt = now + leaseMs;
    // leases keep the lanes' order; rows are read only for jobs not in `fresh`
    const out: (Lease | undefined)[] = new Array(seqs.length);
    const misses: number[] = [];
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i] as number;
      const hit = this.fresh.get(seq);
      if (hit === undefined) {
        misses.push(i);
        continue;
      }
      this.fresh.delete(seq);
      this.freshBytes -= hit.inline;
      const job = hit.job;
      out[i] = this.lease({
        id: job.job_id, seq, priority: job.priority, attempts: 1, maxAttempts: job.max_attempts,
        enqueuedAt: hit.enqueuedAt, errors: [], inline: hit.inline, leaseExpiresAt: expiresAt,
      }, job);
    }
    if (misses.length > 0) {
      const rows = this.write(() => this.takeTx(misses.map((i) => seqs[i] as number)));
      const bySeq = new Map(rows.map((row) => [row.seq, row]));
      for (const i of misses) {
        const row = bySeq.get(seqs[i] as number);
        if (row === undefined) continue;
        out[i] = this.lease({
          id: row.id, seq: row.seq, priority: row.priority, attempts: row.attempts + 1, maxAttempts: row.max_attempts,
          enqueuedAt: row.enqueued_at, errors: row.errors === null ? [] : JSON.parse(row.errors) as AttemptError[], inline: row.inline,
          leaseExpiresAt: expiresAt,
        }, JSON.parse(row.spec as string) as JobSpec);
      }
    }
    this.readyCount -= seqs.length;
    return misses.length === 0 ? out as Lease[] : out.filter((l): l is Lease => l !== undefined);
  }

  private lease(entry: RunningEntry, job: JobSpec): Lease {
    this.running.set(entry.id, entry);
    this.leases.push(entry.leaseExpiresAt, entry);
    return { job, attempt: entry.attempts, token: tokenOf(entry), enqueuedAt: entry.enqueuedAt, errors: entry.errors.slice() };
  }

  async extendLeases(leases: Lease[], leaseMs: number): Promise<boolean[]> {
    const expiresAt = this.now() + leaseMs;
    return leases.map((lease) => {
      const entry = this.holder(lease);
      if (entry === undefined) return false;
      entry.leaseExpiresAt = expiresAt;
      return true;
    });
  }

  async complete(items: Completion[]): Promise<boolean[]> {
    const now = this.now();
    const written: boolean[] = new Array(items.length);
    const rows: Array<{ seq: number; attempts: number; result: ResultRecord; metric: MetricRecord }> = [];
    const entries = new Set<RunningEntry>();
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Completion;
      const entry = this.holder(item.lease);
      // a job twice in one batch: only its first completion counts
      if (entry === undefined || entries.has(entry)) {
        written[i] = false;
        continue;
      }
      entries.add(entry);
      rows.push({ seq: entry.seq, attempts: entry.attempts, result: item.result, metric: item.metric });
      written[i] = true;
    }
    if (rows.length === 0) return written;
    this.write(() => this.completeTx(rows, now + this.resultTtlMs));
    for (const entry of entries) {
      this.running.delete(entry.id);
      this.inlineBytes -= entry.inline;
      if (this.waits.size > 0) this.waits.delete(entry.id);
    }
    for (const row of rows) this.waiters.resolve(row.result.job_id, row.result);
    this.schedulePruneIfOver();
    return written;
  }

  async amend(items: Amendment[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    const now = this.now();
    const amended = this.write(() => this.db.transaction(() => items.map(({ result, metric }) => {
      const row = this.sql.stateById.get(result.job_id) as JobRow | undefined;
      if (row === undefined || row.state !== STATE.succeeded || isExpired(row, now)) return false;
      const json = JSON.stringify(result);
      this.sql.amendResult.run(json, json.length, row.seq);
      this.resultBytes += json.length - row.bytes;
      // the metric keeps its place; it is simply gone if trimmed since
      if (row.metric_seq !== null) this.sql.amendMetric.run(JSON.stringify(metric), row.metric_seq);
      return true;
    }))());
    items.forEach(({ result }, i) => { if (amended[i]) this.waiters.resolve(result.job_id, result); });
    return amended;
  }

  async retryLater(items: Retry[]): Promise<void> {
    const now = this.now();
    const writes: Requeue[] = [];
    const moves = new Map<RunningEntry, number>();
    for (const item of items) {
      const entry = this.holder(item.lease);
      if (entry === undefined || moves.has(entry)) continue;
      const delayed = item.delayMs > 0;
      const readyAt = now + item.delayMs;
      writes.push({
        seq: entry.seq, state: delayed ? STATE.delayed : STATE.ready, attempts: entry.attempts,
        dueAt: delayed ? readyAt : null, errors: JSON.stringify([...entry.errors, item.error]),
      });
      moves.set(entry, delayed ? readyAt : 0);
    }
    if (writes.length === 0) return;
    this.write(() => this.requeueTx(writes));
    for (const [entry, readyAt] of moves) {
      this.running.delete(entry.id);
      this.queueInMemory(entry.seq, entry.priority, readyAt);
    }
  }

  async defer(items: Deferral[]): Promise<void> {
    const now = this.now();
    const writes: Requeue[] = [];
    const moves = new Map<RunningEntry, { readyAt: number; reason: string }>();
    for (const item of items) {
      const entry = this.holder(item.lease);
      if (entry === undefined || moves.has(entry)) continue;
      const readyAt = now + Math.max(1, item.delayMs);
      // the row still holds the attempts before this lease (leases are not written)
      writes.push({ seq: entry.seq, state: STATE.delayed, attempts: entry.attempts - 1, dueAt: readyAt, errors: JSON.stringify(entry.errors) });
      moves.set(entry, { readyAt, reason: item.reason });
    }
    if (writes.length === 0) return;
    this.write(() => this.requeueTx(writes));
    for (const [entry, { readyAt, reason }] of moves) {
      this.running.delete(entry.id);
      this.waits.set(entry.id, { reason, attempts: entry.attempts - 1 });
      this.queueInMemory(entry.seq, entry.priority, readyAt);
    }
  }

  async addSpend(items: SpendItem[]): Promise<void> {
    if (items.length > 0) this.write(() => this.spend.write(items));
  }

  async spendTotals(at: number): Promise<SpendTotals> {
    return this.spend.totals(at);
  }

  async cancel(jobId: string): Promise<'cancelled' | 'not_found' | 'finished'> {
    const now = this.now();
    const row = this.sql.byId.get(jobId) as JobRow | undefined;
    if (row === undefined || isExpired(row, now)) return 'not_found';
    if (row.done !== 0) return 'finished';
    const running = this.running.get(jobId);
    const attempts = running?.attempts ?? row.attempts;
    const errors = row.errors === null ? [] : JSON.parse(row.errors) as AttemptError[];
    const record = cancelledRecord({ jobId, attempts, errors, enqueuedAt: row.enqueued_at, now });
    this.write(() => this.db.transaction(() => this.writeTerminal(row.seq, attempts, record, metricOf(record), now + this.resultTtlMs, undefined))());
    if (running !== undefined) {
      this.running.delete(jobId);
    } else if (this.delayedLive.delete(row.seq)) {
      // its heap item is skipped when it surfaces
    } else {
      this.readyCount--;
      const hit = this.fresh.get(row.seq);
      if (hit !== undefined) {
        this.fresh.delete(row.seq);
        this.freshBytes -= hit.inline;
      }
      this.deadReady.add(row.seq);
      this.lanes.noteRemoved(row.priority);
    }
    this.inlineBytes -= row.inline;
    this.waits.delete(jobId);
    this.waiters.resolve(jobId, record);
    return 'cancelled';
  }

  async get(jobId: string): Promise<JobView | null> {
    const row = this.sql.byId.get(jobId) as JobRow | undefined;
    return row === undefined || isExpired(row, this.now()) ? null : this.viewOf(row);
  }

  async getResult(jobId: string): Promise<ResultRecord | null> {
    return this.readResult(jobId);
  }

  async waitForResult(jobId: string, timeoutMs: number): Promise<ResultRecord | null> {
    // read and register without yielding in between, or a result written meanwhile would be missed
    const result = this.readResult(jobId);
    if (result !== null || this.closed || !(timeoutMs > 0)) return result;
    return this.waiters.wait(jobId, timeoutMs);
  }

  private readResult(jobId: string): ResultRecord | null {
    const row = this.sql.resultById.get(jobId) as { result: string | null; done: number; due_at: number | null } | undefined;
    if (row === undefined || row.result === null || isExpired(row, this.now())) return null;
    return JSON.parse(row.result) as ResultRecord;
  }

  async list(query: ListQuery): Promise<ListPage> {
    const limit = query.limit;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new PacketFSError('INVALID_REQUEST', `limit must be a positive integer, got ${String(limit)}`, { path: 'limit' });
    }
    const before = query.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(query.cursor);
    const now = this.now();
    const terminal = (TERMINAL_STATE as Record<string, number>)[query.status];
    const rows: JobRow[] = [];
    let next: number | null = null;
    if (terminal !== undefined) {
      rows.push(...this.sql.listTerminal.all(terminal, before, now, limit + 1) as JobRow[]);
      if (rows.length > limit) {
        rows.length = limit;
        next = (rows[limit - 1] as JobRow).seq;
      }
    } else {
      // live rows of both statuses share the index range: examine a bounded number per page
      let scanned = 0;
      for (const row of this.sql.listLive.iterate(before) as IterableIterator<JobRow>) {
        scanned++;
        if (this.statusOf(row) === query.status) {
          if (rows.length === limit) {
            next = (rows[limit - 1] as JobRow).seq;
            break;
          }
          rows.push(row);
        }
        if (scanned >= LIST_SCAN_MAX) {
          next = row.seq;
          break;
        }
      }
    }
    return { jobs: rows.map((row) => this.viewOf(row)), next_cursor: next === null ? null : encodeCursor(next) };
  }

  async recentMetrics(limit: number): Promise<MetricRecord[]> {
    const n = Math.min(Math.floor(limit), this.metricsLimit);
    if (!(n > 0)) return [];
    return (this.sql.recentMetrics.pluck().all(n) as string[]).map((r) => JSON.parse(r) as MetricRecord);
  }

  async depth(): Promise<QueueDepth> {
    this.promoteDueDelayed(this.now());
    return { queued: this.readyCount, delayed: this.delayedLive.size, running: this.running.size, inline_bytes: this.inlineBytes };
  }

  async ready(): Promise<boolean> {
    return !this.closed && this.db.open;
  }

  /** Path, file sizes and counts by status: `packetfs store info` for a running store. */
  stats(): { results: number; resultBytes: number; queued: number; delayed: number; running: number } {
    return { results: this.resultCount, resultBytes: this.resultBytes, queued: this.readyCount, delayed: this.delayedLive.size, running: this.running.size };
  }

  /** Runs retention now (tests and shutdown); normally a timer does it in the background. */
  pruneNow(): number {
    let removed = 0;
    for (;;) {
      const n = this.pruneBatch();
      removed += n;
      if (n < PRUNE_BATCH) return removed;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.maintenanceTimer !== null) clearInterval(this.maintenanceTimer);
    this.waiters.resolveAllWithNull();
    await this.checkpointer.stop();
    try {
      // leave a small file: fold the log into the database
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      this.logger.warn({ event: 'sqlite_checkpoint_failed', error: (err as Error).message }, 'checkpoint on close failed');
    }
    this.db.close();
    this.lock.close();
  }

  // ── writes ──────────────────────────────────────────────────────────────

  private writeEnqueue(jobs: JobSpec[], now: number): EnqueuedBatch {
    const outcomes: EnqueueOutcome[] = new Array(jobs.length);
    const seqs: (number | undefined)[] = new Array(jobs.length);
    let seq = this.seq;
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i] as JobSpec;
      const s = ++seq;
      if (this.insert(s, job, now) === 0) {
        const existing = this.sql.stateById.get(job.job_id) as { seq: number; state: number; done: number; due_at: number | null; bytes: number };
        if (!isExpired(existing, now)) {
          outcomes[i] = { job_id: job.job_id, created: false, status: this.running.has(job.job_id) ? 'running' : STATUS_OF[existing.state] as JobStatus };
          continue;
        }
        // its result expired but was not pruned yet: the id is free again
        this.sql.deleteSeq.run(existing.seq);
        this.resultCount--;
        this.resultBytes -= existing.bytes;
        this.insert(s, job, now);
      }
      seqs[i] = s;
      outcomes[i] = { job_id: job.job_id, created: true, status: 'queued' };
    }
    this.seq = seq;
    return { outcomes, seqs };
  }

  private insert(seq: number, job: JobSpec, now: number): number {
    return this.sql.insert.run(seq, job.job_id, job.priority, job.max_attempts, now, job.created_at,
      job.substrates === null ? null : JSON.stringify(job.substrates), JSON.stringify(job), inlineBytesOf(job)).changes;
  }

  /** Makes a live row terminal and appends its metric; `errors` replaces the row's attempt errors when given. */
  private writeTerminal(seq: number, attempts: number, result: ResultRecord, metric: MetricRecord, expiresAt: number, errors: string | undefined): void {
    const json = JSON.stringify(result);
    const state = TERMINAL_STATE[result.status];
    const metricSeq = this.metricsLimit > 0 ? ++this.metricSeq : null;
    if (errors === undefined) this.sql.finish.run(state, state, attempts, json, json.length, expiresAt, metricSeq, seq);
    else this.sql.finishWithErrors.run(state, state, attempts, json, json.length, expiresAt, metricSeq, errors, seq);
    this.resultCount++;
    this.resultBytes += json.length;
    if (metricSeq !== null) this.sql.insertMetric.run(metricSeq, JSON.stringify(metric));
  }

  /** Runs a write; a failed one leaves memory rebuilt from the database and reports STORE_UNAVAILABLE. */
  private write<T>(fn: () => T): T {
    if (this.closed) throw new PacketFSError('STORE_UNAVAILABLE', 'the job store is closed');
    try {
      return fn();
    } catch (err) {
      this.logger.error({ event: 'sqlite_write_failed', error: (err as Error).message }, 'job store write failed; reloading queue state');
      try {
        this.loadQueues();
      } catch { /* the next write reports again */ }
      if (err instanceof PacketFSError) throw err;
      throw new PacketFSError('STORE_UNAVAILABLE', `the job store could not write: ${(err as Error).message}`, { cause: err });
    }
  }

  // ── memory state ────────────────────────────────────────────────────────

  private statusOf(row: JobRow): JobStatus {
    return row.done === 0 && this.running.has(row.id) ? 'running' : STATUS_OF[row.state] as JobStatus;
  }

  private viewOf(row: JobRow): JobView {
    const running = row.done === 0 ? this.running.get(row.id) : undefined;
    const wait = row.done === 0 && running === undefined ? this.waits.get(row.id) : undefined;
    return {
      job_id: row.id,
      status: running === undefined ? STATUS_OF[row.state] as JobStatus : 'running',
      ...(wait !== undefined && wait.attempts === row.attempts ? { waiting: wait.reason } : {}),
      attempts: running === undefined ? row.attempts : running.attempts,
      priority: row.priority,
      created_at: row.created_at,
      substrates: row.substrates === null ? null : JSON.parse(row.substrates) as string[],
      errors: row.errors === null ? [] : JSON.parse(row.errors) as AttemptError[],
      result: row.result === null ? null : JSON.parse(row.result) as ResultRecord,
    };
  }

  /** The entry running under this lease, or undefined when the lease is stale. */
  private holder(lease: Lease): RunningEntry | undefined {
    const entry = this.running.get(lease.job.job_id);
    return entry !== undefined && tokenOf(entry) === lease.token ? entry : undefined;
  }

  private queueInMemory(seq: number, priority: number, readyAt: number): void {
    if (readyAt > 0) {
      this.delayedLive.set(seq, priority);
      this.delayedHeap.push(readyAt, seq);
    } else {
      this.lanes.push(priority, seq);
      this.readyCount++;
    }
  }

  /** (Re)builds the ready lanes and the delayed heap from the live rows. */
  private loadQueues(): void {
    this.lanes = new ReadyQueue<number>((seq) => !this.deadReady.delete(seq));
    this.deadReady = new Set<number>();
    this.delayedHeap = new MinHeap<number>();
    this.delayedLive = new Map<number, number>();
    this.readyCount = 0;
    this.fresh.clear();
    this.freshBytes = 0;
    for (const row of this.sql.liveQueued.iterate() as IterableIterator<{ seq: number; state: number; priority: number; due_at: number | null }>) {
      this.queueInMemory(row.seq, row.priority, row.state === STATE.delayed ? Math.max(1, row.due_at ?? 1) : 0);
    }
  }

  private reclaimExpiredLeases(now: number): void {
    // items of finished jobs would otherwise stay for a lease length: drop them once they outnumber the live ones
    if (this.leases.size > 2 * this.running.size + 4096) this.leases.retain((e) => this.running.get(e.id) === e);
    if (this.leases.peekKey() > now) return;
    const expired: RunningEntry[] = [];
    while (this.leases.peekKey() <= now) {
      const entry = this.leases.pop() as RunningEntry;
      if (this.running.get(entry.id) !== entry) continue;
      if (entry.leaseExpiresAt > now) {
        this.leases.push(entry.leaseExpiresAt, entry);
        continue;
      }
      expired.push(entry);
    }
    if (expired.length === 0) return;
    const finished: Array<{ id: string; record: ResultRecord }> = [];
    this.write(() => this.db.transaction(() => {
      for (const entry of expired) {
        const expiry = leaseExpiredError(entry.attempts, now);
        const errors = [...entry.errors, expiry];
        if (entry.attempts >= entry.maxAttempts) {
          const record = leaseExpiredRecord({ jobId: entry.id, attempts: entry.attempts, errors, enqueuedAt: entry.enqueuedAt, now }, expiry);
          this.writeTerminal(entry.seq, entry.attempts, record, metricOf(record), now + this.resultTtlMs, JSON.stringify(errors));
          finished.push({ id: entry.id, record });
        } else {
          this.sql.requeue.run(STATE.ready, entry.attempts, null, JSON.stringify(errors), entry.seq);
        }
      }
    })());
    for (const entry of expired) {
      this.running.delete(entry.id);
      if (entry.attempts < entry.maxAttempts) this.queueInMemory(entry.seq, entry.priority, 0);
      else this.inlineBytes -= entry.inline;
    }
    for (const f of finished) this.waiters.resolve(f.id, f.record);
  }

  private promoteDueDelayed(now: number): void {
    while (this.delayedHeap.peekKey() <= now) {
      const seq = this.delayedHeap.pop() as number;
      const priority = this.delayedLive.get(seq);
      // cancelled, or re-delayed with a later heap item
      if (priority === undefined) continue;
      this.delayedLive.delete(seq);
      this.lanes.push(priority, seq);
      this.readyCount++;
    }
  }

  // ── retention ───────────────────────────────────────────────────────────

  private schedulePruneIfOver(): void {
    if (this.pruning || (this.resultCount <= this.maxResults && this.resultBytes <= this.maxResultBytes)) return;
    this.pruning = true;
    setImmediate(() => this.prune());
  }

  /** One batch per turn of the event loop until nothing is due; never inside a caller's request. */
  private prune(): void {
    this.pruning = false;
    if (this.closed) return;
    try {
      const removed = this.pruneBatch();
      if (removed === PRUNE_BATCH) {
        this.pruning = true;
        setImmediate(() => this.prune());
        return;
      }
      this.trimMetrics();
      this.vacuumIfSparse();
    } catch (err) {
      this.logger.error({ event: 'sqlite_prune_failed', error: (err as Error).message }, 'pruning old results failed');
    }
  }

  /** Deletes up to PRUNE_BATCH terminal rows: expired ones, then the oldest while over the count or byte bound. */
  private pruneBatch(): number {
    const now = this.now();
    return this.db.transaction(() => {
      let removed = 0;
      for (const bytes of this.sql.pruneExpired.pluck().all(now, PRUNE_BATCH) as number[]) {
        removed++;
        this.resultBytes -= bytes;
      }
      this.resultCount -= removed;
      const overCount = this.resultCount - this.maxResults;
      if (removed < PRUNE_BATCH && overCount > 0) {
        const n = Math.min(PRUNE_BATCH - removed, overCount);
        for (const bytes of this.sql.pruneOldest.pluck().all(n) as number[]) {
          removed++;
          this.resultCount--;
          this.resultBytes -= bytes;
        }
      }
      while (removed < PRUNE_BATCH && this.resultBytes > this.maxResultBytes && this.resultCount > 0) {
        // about as many of the oldest as the excess holds at the average size; the loop takes more if needed
        const average = this.resultBytes / this.resultCount;
        const want = Math.max(1, Math.min(PRUNE_BATCH - removed, Math.ceil((this.resultBytes - this.maxResultBytes) / average)));
        const deleted = this.sql.pruneOldest.pluck().all(want) as number[];
        if (deleted.length === 0) break;
        for (const bytes of deleted) {
          removed++;
          this.resultCount--;
          this.resultBytes -= bytes;
        }
      }
      return removed;
    })();
  }

  private trimMetrics(): void {
    const keepFrom = this.metricSeq - this.metricsLimit;
    if (keepFrom > 0) this.sql.trimMetrics.run(keepFrom);
  }

  /** Free pages are reused by new rows; only a large surplus (e.g. after a burst) goes back to the OS. */
  private vacuumIfSparse(): void {
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    if (free > 4096 && free * 4 > pages) this.db.pragma(`incremental_vacuum(${free - Math.floor(pages / 8)})`);
  }
}

function tokenOf(entry: RunningEntry): string {
  return `${entry.seq}.${entry.attempts}`;
}

function isExpired(row: { done: number; due_at: number | null }, now: number): boolean {
  return row.done !== 0 && row.due_at !== null && row.due_at <= now;
}
