import { LocalProgressShelf, type ProgressShelf } from '../progress-shelf.js';
import type Database from 'better-sqlite3';
import { PacketFSError } from '../../errors.js';
import type { AttemptError, JobSpec, JobStatus, MetricRecord, ResultRecord } from '../../job/types.js';
import { silentLogger, type Logger } from '../../logger.js';
import type {
  Amendment, Completion, Deferral, EnqueueOutcome, JobStore, JobView, Lease, ListPage, ListQuery, QueueDepth, Retry, SpendItem, SpendTotals, StoreOptions,
} from '../job-store.js';
import { SpendTable } from './spend-table.js';
import { MinHeap } from '../../util/min-heap.js';
import { ReadyQueue } from '../memory/ready-queue.js';
import { FreshSpecs } from './fresh-specs.js';
import { addResult, PLAIN_NUMBERS } from './result-texts.js';
import { ResultWaiters } from '../memory/result-waiters.js';
import { RingBuffer } from '../memory/ring-buffer.js';
import { inlineBytesOf } from '../inline-bytes.js';
import { cancelledRecord, leaseExpiredError, leaseExpiredRecord, metricOf } from '../terminal-records.js';
import { BackgroundCheckpointer } from './background-checkpointer.js';
import { openStoreDatabase } from './open-database.js';
import { STATE, TERMINAL_STATE, type FsyncMode } from './schema.js';
import { isExpired, prepareReads, type JobRow, type Reads } from './statements.js';
import { decodeSpec, encodeSpec } from './spec-codec.js';
import { packTexts, transferOf } from './text-batch.js';
import { WriterClient } from './writer-client.js';
import { LEASE_REPORT_MS, PRUNE_BATCH, type EnqueueWrite, type FinishWrite, type RequeueWrite } from './writer-protocol.js';
import { decodeCursor, encodeCursor, nonNegative } from '../seq-cursor.js';

/**
 * The durable embedded JobStore: `<data-dir>/packetfs.db`, SQLite in WAL
 * mode, one writer process (open-database.ts holds the lock).
 *
 * Two threads share the file. This one (the dispatcher's) reads it and
 * keeps the queue in memory; a writer thread (writer-thread.ts) does every
 * write, so the dispatcher never waits for SQLite to insert, commit or prune:
 * each write call sends its batch as columns and awaits the commit (group
 * commit: writes that queue up meanwhile share one transaction).
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
 *            and list() overlay it on the rows. An entry whose lease is being
 *            ended (complete, retry, cancel, expiry) is `settling` until that
 *            write commits: its lease no longer counts, and it stays running
 *            for readers until the file says otherwise.
 * Leases are not written: only this process can hold them, and writing each
 * take() would cost a third row write per job. A leased job's row stays
 * queued until its completion, retry or lease expiry writes the attempt; so
 * after a crash the jobs that were running are simply queued again, and the
 * interrupted attempt is not counted (at-least-once, like a lease expiry,
 * but without a LEASE_EXPIRED error).
 *
 * When enqueue() resolves, the jobs are committed; when complete() resolves,
 * the results are. Memory follows a commit (a job enters the ready lanes once
 * its row is in the file, so a read of it always finds it); if a write fails,
 * the jobs it concerned leave `running` and the queue is rebuilt from the file.
 *
 * Metric records are not stored apart: a job's metric is the projection of
 * its result (metricOf). The newest are kept in memory (`metrics`), loaded
 * from the newest result rows by finish order on open.
 *
 * Retention: a terminal row expires resultTtlMs after it finished (reads
 * treat it as gone at once) and the oldest results are dropped beyond
 * maxResults / maxResultBytes. The writer thread deletes them, PRUNE_BATCH
 * rows per transaction, when this thread asks (every maintenanceMs, and at
 * once when a completion goes over a bound); freed pages are reused and,
 * past a threshold, returned to the OS with an incremental vacuum.
 */
export interface SqliteStoreOptions extends StoreOptions {
  /** 'always' fsyncs every commit (synchronous=FULL); default 'normal' (synchronous=NORMAL) */
  fsync?: FsyncMode;
  /** period of the background pruning; default 1000 ms */
  maintenanceMs?: number;
  now?: () => number;
  logger?: Logger;
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
  /** the lease's token (tokenOf), made once when leased: holder() compares it for every completion and lease extension */
  token: string;
  /** the complete() call that last took this entry: a job twice in one batch counts once, without a Set per call */
  completing: number;
  /** the write ending this lease, while it is on its way to the file */
  settling: Promise<unknown> | null;
}

/** the errors of a job with none: one shared array, never written to (a write would throw: it is frozen) */
const NO_ERRORS = Object.freeze([]) as unknown as AttemptError[];
const DAY_MS = 24 * 60 * 60 * 1000;
export const SQLITE_DEFAULT_MAX_RESULTS = 1_000_000;
export const SQLITE_DEFAULT_MAX_RESULT_BYTES = 1024 * 1024 * 1024;
/**
 * Specs the fresh cache holds at most (a power of two: fresh-specs.ts). A
 * miss costs the dispatcher's thread a row read and a decode, ~3.5 µs per
 * job against ~0.4 for a hit (measured), so the cache should cover a burst:
 * the in-process bench queues up to ~100,000 jobs, and with 65,536 a third of
 * them missed (in-process A/B, alternated 3×: dispatcher thread 12.1/13.9/11.1
 * → 10.4/12.1/10.6 µs/job). A cached tiny spec is about half a KiB of heap, so
 * this bounds the cache to some 64 MiB under a deep queue; retention runs
 * with this size stayed at +127…+178 MiB RSS over idle after GC (3M jobs)
 * and +112…+142 (2M jobs): BENCHMARKS.md.
 */
const FRESH_SPECS = 131_072;
/** inline data the fresh-spec cache may hold: a job carries up to 16 MiB */
const FRESH_INLINE_BYTES = 64 * 1024 * 1024;
/** taken seqs this close together are read with one range scan (the rows between are read and skipped) */
const RANGE_GAP = 8;
/** most rows one list() examines for a page of queued, running or succeeded jobs (a shorter page then carries a cursor) */
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
  private readonly sql: Reads;
  private readonly writer: WriterClient;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly resultTtlMs: number;
  private readonly metricsLimit: number;
  private readonly maxResults: number;
  private readonly maxResultBytes: number;

  private lanes = this.newLanes();
  private deadReady = new Set<number>();
  private delayedHeap = new MinHeap<number>();
  private delayedLive = new Map<number, number>();
  private readonly running = new Map<string, RunningEntry>();
  /** jobs not running whose cancellation is on its way to the file */
  private readonly cancelling = new Map<string, Promise<unknown>>();
  /**
   * Specs of jobs this process enqueued and has not taken yet, so take()
   * needs no read for them; bounded (FRESH_SPECS), a miss reads the row.
   * Only never-taken jobs are here: a retried job's attempts and errors are in its row.
   */
  private readonly fresh = new FreshSpecs(FRESH_SPECS, FRESH_INLINE_BYTES);
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
  /**
   * The newest metric records (metricsLimit), kept in memory so reading them
   * parses nothing: filled from the newest result rows on open, then fed by
   * every committed terminal write (amend replaces in place).
   */
  private readonly metrics: RingBuffer<MetricRecord>;
  private readyCount = 0;
  /** numbers complete() calls (RunningEntry.completing) */
  private completeCalls = 0;
  private seq = 0;
  private maintenanceTimer: NodeJS.Timeout | null = null;
  /** the lease count last reported to the file, and when (LeaseReport) */
  private reported = { running: -1, at: 0 };
  private pruning = false;
  private closed = false;

  private readonly readRows: (seqs: number[]) => JobRow[];

  static open(dataDir: string, opts: SqliteStoreOptions = {}): SqliteJobStore {
    const fsync = opts.fsync ?? 'normal';
    const { db, lock, path } = openStoreDatabase(dataDir, fsync);
    let checkpointer: BackgroundCheckpointer | undefined;
    try {
      checkpointer = new BackgroundCheckpointer(path, fsync === 'always' ? 'FULL' : 'NORMAL');
      return new SqliteJobStore(db, lock, path, fsync, checkpointer, opts);
    } catch (err) {
      void checkpointer?.stop();
      db.close();
      lock.close();
      throw err;
    }
  }

  private constructor(db: Database.Database, lock: Database.Database, path: string, fsync: FsyncMode,
    private readonly checkpointer: BackgroundCheckpointer, opts: SqliteStoreOptions) {
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
    this.sql = prepareReads(db);
    this.spend = new SpendTable(db);
    this.metrics = new RingBuffer<MetricRecord>(this.metricsLimit);
    this.loadMetrics();
    // one read transaction for a batch of rows: one snapshot, one lock
    this.readRows = db.transaction((seqs: number[]) => {
      const rows: JobRow[] = [];
      // taken seqs are mostly runs (a lane is FIFO, seqs are given in enqueue order): one range scan per run
      // reads each page once, where a lookup per seq descends the B-tree and searches the log's index every
      // time (measured: a deep queue's misses cost the dispatcher's thread ~5 µs each one by one)
      const sorted = Float64Array.from(seqs).sort();
      let i = 0;
      while (i < sorted.length) {
        let j = i;
        while (j + 1 < sorted.length && (sorted[j + 1] as number) - (sorted[j] as number) <= RANGE_GAP) j++;
        const from = sorted[i] as number;
        const to = sorted[j] as number;
        let k = i;
        for (const row of (from === to ? [this.sql.take.get(from)] : this.sql.takeRange.all(from, to)) as Array<JobRow | undefined>) {
          if (row === undefined) continue;
          // rows of the range not asked for (gaps of at most RANGE_GAP) are skipped: both lists ascend
          while (k <= j && (sorted[k] as number) < row.seq) k++;
          if (k <= j && sorted[k] === row.seq && row.done === 0) rows.push(row);
        }
        i = j + 1;
      }
      return rows;
    });

    const counters = this.sql.counters.get() as { maxSeq: number | null; maxFinish: number | null; results: number; bytes: number; inline: number };
    this.seq = counters.maxSeq ?? 0;
    this.inlineBytes = counters.inline;
    this.loadQueues();
    this.writer = new WriterClient({
      path, fsync, results: counters.results, resultBytes: counters.bytes, finishSeq: counters.maxFinish ?? 0,
      maxResults: this.maxResults, maxResultBytes: this.maxResultBytes,
    });

    const maintenanceMs = Math.max(1, Math.floor(opts.maintenanceMs ?? 1000));
    this.maintenanceTimer = setInterval(() => {
      this.prune();
      this.reportLeases();
    }, maintenanceMs);
    this.maintenanceTimer.unref();
  }

  /** Waiters in waitForResult() not yet settled (diagnostics). */
  get waiting(): number {
    return this.waiters.size;
  }

  async enqueue(jobs: JobSpec[]): Promise<EnqueueOutcome[]> {
    if (jobs.length === 0) return [];
    const now = this.now();
    const n = jobs.length;
    const firstSeq = this.seq + 1;
    this.seq += n;
    // numeric columns as Float64Arrays, the texts as one buffer: see writer-protocol.ts
    const priority = new Float64Array(n);
    const maxAttempts = new Float64Array(n);
    const inline = new Float64Array(n);
    const texts: string[] = [];
    for (let i = 0; i < n; i++) {
      const job = jobs[i] as JobSpec;
      priority[i] = job.priority;
      maxAttempts[i] = job.max_attempts;
      inline[i] = inlineBytesOf(job);
      texts.push(job.job_id, job.created_at, job.substrates === null ? '' : JSON.stringify(job.substrates), encodeSpec(job));
    }
    const op: EnqueueWrite = { op: 'enqueue', now, firstSeq, priority, maxAttempts, inline, texts: packTexts(texts, this.writer.buffers) };
    const existing = await this.writer.send(op, transferOf(op.texts)) as Array<[number, number]>;
    const outcomes: EnqueueOutcome[] = new Array(n);
    for (const [i, state] of existing) {
      const id = (jobs[i] as JobSpec).job_id;
      outcomes[i] = { job_id: id, created: false, status: this.running.has(id) ? 'running' : STATUS_OF[state] as JobStatus };
    }
    for (let i = 0; i < n; i++) {
      if (outcomes[i] !== undefined) continue;
      const job = jobs[i] as JobSpec;
      const seq = firstSeq + i;
      const bytes = inline[i] as number;
      this.inlineBytes += bytes;
      this.fresh.put(seq, job, now, bytes);
      this.queueInMemory(seq, job.priority, 0);
      outcomes[i] = { job_id: job.job_id, created: true, status: 'queued' };
    }
    return outcomes;
  }

  async take(max: number, leaseMs: number): Promise<Lease[]> {
    const now = this.now();
    const reclaimed = this.reclaimExpiredLeases(now);
    if (reclaimed !== null) await reclaimed;
    this.promoteDueDelayed(now);
    if (!(max >= 1) || this.readyCount === 0) return [];
    const seqs = this.lanes.take(Math.min(Math.floor(max), this.readyCount));
    const expiresAt = now + leaseMs;
    // leases keep the lanes' order; rows are read only for jobs not in `fresh`
    const out: (Lease | undefined)[] = new Array(seqs.length);
    const misses: number[] = [];
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i] as number;
      const slot = this.fresh.slotOf(seq);
      if (slot < 0) {
        misses.push(i);
        continue;
      }
      const job = this.fresh.job(slot);
      out[i] = this.lease({
        id: job.job_id, seq, priority: job.priority, attempts: 1, maxAttempts: job.max_attempts,
        enqueuedAt: this.fresh.enqueuedAt(slot), errors: NO_ERRORS, inline: this.fresh.inline(slot), leaseExpiresAt: expiresAt, token: '', completing: 0, settling: null,
      }, job);
      this.fresh.remove(slot);
    }
    if (misses.length > 0) {
      const rows = this.readRows(misses.map((i) => seqs[i] as number));
      const bySeq = new Map(rows.map((row) => [row.seq, row]));
      for (const i of misses) {
        const row = bySeq.get(seqs[i] as number);
        if (row === undefined) continue;
        out[i] = this.lease({
          id: row.id, seq: row.seq, priority: row.priority, attempts: row.attempts + 1, maxAttempts: row.max_attempts,
          enqueuedAt: row.enqueued_at, errors: row.errors === null ? [] : JSON.parse(row.errors) as AttemptError[], inline: row.inline,
          leaseExpiresAt: expiresAt, token: '', completing: 0, settling: null,
        }, decodeSpec(row.spec as string, row));
      }
    }
    this.readyCount -= seqs.length;
    return misses.length === 0 ? out as Lease[] : out.filter((l): l is Lease => l !== undefined);
  }

  private lease(entry: RunningEntry, job: JobSpec): Lease {
    this.running.set(entry.id, entry);
    this.leases.push(entry.leaseExpiresAt, entry);
    entry.token = tokenOf(entry);
    return { job, attempt: entry.attempts, token: entry.token, enqueuedAt: entry.enqueuedAt, errors: entry.errors.length === 0 ? NO_ERRORS : entry.errors.slice() };
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
    const seq = new Float64Array(items.length);
    const state = new Float64Array(items.length);
    const attempts = new Float64Array(items.length);
    const kinds = new Uint8Array(items.length);
    const numbers = new Float64Array(items.length * PLAIN_NUMBERS);
    const results: string[] = [];
    const entries: RunningEntry[] = [];
    const call = ++this.completeCalls;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Completion;
      const entry = this.holder(item.lease);
      // a job twice in one batch: only its first completion counts
      if (entry === undefined || entry.completing === call) {
        written[i] = false;
        continue;
      }
      entry.completing = call;
      const k = entries.length;
      entries.push(entry);
      seq[k] = entry.seq;
      state[k] = TERMINAL_STATE[item.result.status];
      attempts[k] = entry.attempts;
      addResult(item.result, k, kinds, numbers, results);
      written[i] = true;
    }
    if (entries.length === 0) return written;
    const k = entries.length;
    const op: FinishWrite = {
      op: 'finish', seq: seq.subarray(0, k), state: state.subarray(0, k), attempts: attempts.subarray(0, k),
      result: packTexts(results, this.writer.buffers), kind: kinds.subarray(0, k), numbers: numbers.subarray(0, k * PLAIN_NUMBERS), expiresAt: now + this.resultTtlMs,
    };
    await this.settle(entries, this.writer.send(op, transferOf(op.result)));
    for (const entry of entries) {
      this.running.delete(entry.id);
      this.inlineBytes -= entry.inline;
      if (this.waits.size > 0) this.waits.delete(entry.id);
    }
    for (let i = 0; i < items.length; i++) {
      if (!written[i]) continue;
      const item = items[i] as Completion;
      this.metrics.push(item.metric);
      this.waiters.resolve(item.result.job_id, item.result);
    }
    this.schedulePruneIfOver();
    return written;
  }

  async amend(items: Amendment[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    const amended = await this.writer.send({
      op: 'amend', now: this.now(), id: items.map((i) => i.result.job_id), result: items.map((i) => JSON.stringify(i.result)),
    }) as boolean[];
    // in the file the metric record is the result's projection: it follows by itself
    items.forEach(({ result, metric }, i) => {
      if (!amended[i]) return;
      this.metrics.replaceNewest((m) => m.job_id === result.job_id, metric);
      this.waiters.resolve(result.job_id, result);
    });
    return amended;
  }

  async retryLater(items: Retry[]): Promise<void> {
    const now = this.now();
    const op: RequeueWrite = { op: 'requeue', seq: [], state: [], attempts: [], dueAt: [], errors: [] };
    const moves = new Map<RunningEntry, number>();
    for (const item of items) {
      const entry = this.holder(item.lease);
      if (entry === undefined || moves.has(entry)) continue;
      const delayed = item.delayMs > 0;
      const readyAt = now + item.delayMs;
      op.seq.push(entry.seq);
      op.state.push(delayed ? STATE.delayed : STATE.ready);
      op.attempts.push(entry.attempts);
      op.dueAt.push(delayed ? readyAt : null);
      op.errors.push(JSON.stringify([...entry.errors, item.error]));
      moves.set(entry, delayed ? readyAt : 0);
    }
    if (moves.size === 0) return;
    await this.settle([...moves.keys()], this.writer.send(op));
    for (const [entry, readyAt] of moves) {
      this.running.delete(entry.id);
      this.queueInMemory(entry.seq, entry.priority, readyAt);
    }
  }

  async defer(items: Deferral[]): Promise<void> {
    const now = this.now();
    const op: RequeueWrite = { op: 'requeue', seq: [], state: [], attempts: [], dueAt: [], errors: [] };
    const moves = new Map<RunningEntry, { readyAt: number; reason: string }>();
    for (const item of items) {
      const entry = this.holder(item.lease);
      if (entry === undefined || moves.has(entry)) continue;
      const readyAt = now + Math.max(1, item.delayMs);
      // the row still holds the attempts before this lease (leases are not written)
      op.seq.push(entry.seq);
      op.state.push(STATE.delayed);
      op.attempts.push(entry.attempts - 1);
      op.dueAt.push(readyAt);
      op.errors.push(JSON.stringify(entry.errors));
      moves.set(entry, { readyAt, reason: item.reason });
    }
    if (moves.size === 0) return;
    await this.settle([...moves.keys()], this.writer.send(op));
    for (const [entry, { readyAt, reason }] of moves) {
      this.running.delete(entry.id);
      this.waits.set(entry.id, { reason, attempts: entry.attempts - 1 });
      this.queueInMemory(entry.seq, entry.priority, readyAt);
    }
  }

  async addSpend(items: SpendItem[]): Promise<void> {
    if (items.length > 0) await this.writer.send({ op: 'spend', items });
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
    const inFlight = running?.settling ?? this.cancelling.get(jobId);
    if (inFlight != null) {
      // another write is ending this job's current state: decide on what it left
      await inFlight.catch(() => undefined);
      return this.cancel(jobId);
    }
    const attempts = running?.attempts ?? row.attempts;
    const errors = row.errors === null ? [] : JSON.parse(row.errors) as AttemptError[];
    const record = cancelledRecord({ jobId, attempts, errors, enqueuedAt: row.enqueued_at, now });
    const write = this.writer.send({
      op: 'finish', seq: [row.seq], state: [STATE.cancelled], attempts: [attempts], result: packTexts([JSON.stringify(record)], this.writer.buffers), expiresAt: now + this.resultTtlMs, errors: [null],
    });
    if (running !== undefined) {
      await this.settle([running], write);
      this.running.delete(jobId);
    } else {
      // out of the queue now, so no take() hands it out while the write is on its way
      if (!this.delayedLive.delete(row.seq)) {
        this.readyCount--;
        this.fresh.delete(row.seq);
        this.deadReady.add(row.seq);
        this.lanes.noteRemoved(row.priority);
      }
      this.cancelling.set(jobId, write);
      try {
        await write;
      } catch (err) {
        this.reload(err);
        throw err;
      } finally {
        this.cancelling.delete(jobId);
      }
    }
    this.inlineBytes -= row.inline;
    this.waits.delete(jobId);
    this.metrics.push(metricOf(record));
    this.waiters.resolve(jobId, record);
    this.schedulePruneIfOver();
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
    if (terminal === STATE.succeeded) {
      // no index holds succeeded rows (schema.ts): look at a window of LIST_SCAN_MAX seqs at most per page
      const top = Math.min(before, this.seq + 1);
      const from = Math.max(0, top - LIST_SCAN_MAX);
      rows.push(...this.sql.listSucceeded.all(top, from, now, limit + 1) as JobRow[]);
      if (rows.length > limit) {
        rows.length = limit;
        next = (rows[limit - 1] as JobRow).seq;
      } else {
        const oldest = this.sql.minSeq.get() as number | null;
        if (oldest !== null && oldest < from) next = from;
      }
    } else if (terminal !== undefined) {
      rows.push(...this.sql.listUnsucceeded.all(terminal, before, now, limit + 1) as JobRow[]);
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
    return this.metrics.newest(limit);
  }

  /** The newest metricsLimit results' metric records, oldest pushed first. */
  private loadMetrics(): void {
    if (this.metricsLimit === 0) return;
    const now = this.now();
    const newest: MetricRecord[] = [];
    for (const row of this.sql.recentResults.iterate() as IterableIterator<{ result: string; due_at: number | null }>) {
      // finish order is expiry order: past the first expired row, all are
      if (row.due_at !== null && row.due_at <= now) break;
      newest.push(metricOf(JSON.parse(row.result) as ResultRecord));
      if (newest.length === this.metricsLimit) break;
    }
    for (let i = newest.length - 1; i >= 0; i--) this.metrics.push(newest[i] as MetricRecord);
  }

  async depth(): Promise<QueueDepth> {
    this.promoteDueDelayed(this.now());
    return { queued: this.readyCount, delayed: this.delayedLive.size, running: this.running.size, inline_bytes: this.inlineBytes };
  }

  async ready(): Promise<boolean> {
    return !this.closed && this.db.open && this.writer.healthy;
  }

  /** Results kept and their bytes (as of the latest commit) and the queue counts: `packetfs store info` for a running store. */
  stats(): { results: number; resultBytes: number; queued: number; delayed: number; running: number } {
    return { results: this.writer.results, resultBytes: this.writer.resultBytes, queued: this.readyCount, delayed: this.delayedLive.size, running: this.running.size };
  }

  /** Runs retention now, to the end (tests and shutdown); normally a timer asks for it batch by batch. */
  async pruneNow(): Promise<number> {
    return await this.writer.send({ op: 'prune', now: this.now(), all: true }) as number;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.maintenanceTimer !== null) clearInterval(this.maintenanceTimer);
    this.waiters.resolveAllWithNull();
    // its leases end with it
    this.writer.send({ op: 'leases', pid: process.pid, at: this.now(), running: 0, open: false }).catch(() => undefined);
    // writes already sent are committed before the thread ends
    await this.writer.close();
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

  /**
   * Marks the entries settling while `write` is on its way; if it fails they
   * leave `running` and the queue is rebuilt from the file (their rows are
   * still live there, so they run again: at-least-once).
   */
  private async settle(entries: RunningEntry[], write: Promise<unknown>): Promise<void> {
    for (const entry of entries) entry.settling = write;
    try {
      await write;
    } catch (err) {
      for (const entry of entries) if (this.running.get(entry.id) === entry) this.running.delete(entry.id);
      this.reload(err);
      throw err;
    }
  }

  private reload(err: unknown): void {
    this.logger.error({ event: 'sqlite_write_failed', error: (err as Error).message }, 'job store write failed; reloading queue state');
    try {
      this.loadQueues();
    } catch { /* the next write reports again */ }
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
    return entry !== undefined && entry.settling === null && entry.token === lease.token ? entry : undefined;
  }

  /** Ready lanes that skip the seqs cancelled while ready (`deadReady`); nearly always none, so that is checked first. */
  private newLanes(): ReadyQueue<number> {
    return new ReadyQueue<number>((seq) => this.deadReady.size === 0 || !this.deadReady.delete(seq));
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

  /** (Re)builds the ready lanes and the delayed heap from the live rows, leaving out the jobs leased now. */
  private loadQueues(): void {
    const leased = new Set<number>();
    for (const entry of this.running.values()) leased.add(entry.seq);
    this.lanes = this.newLanes();
    this.deadReady = new Set<number>();
    this.delayedHeap = new MinHeap<number>();
    this.delayedLive = new Map<number, number>();
    this.readyCount = 0;
    this.fresh.clear();
    for (const row of this.sql.liveQueued.iterate() as IterableIterator<{ seq: number; state: number; priority: number; due_at: number | null }>) {
      if (leased.has(row.seq)) continue;
      this.queueInMemory(row.seq, row.priority, row.state === STATE.delayed ? Math.max(1, row.due_at ?? 1) : 0);
    }
  }

  /** Ends the leases that expired: null when none did, else the writes (take() waits for them so it can hand the jobs out again). */
  private reclaimExpiredLeases(now: number): Promise<void> | null {
    // items of finished jobs would otherwise stay for a lease length: drop them once they outnumber the live ones
    if (this.leases.size > 2 * this.running.size + 4096) this.leases.retain((e) => this.running.get(e.id) === e);
    if (this.leases.peekKey() > now) return null;
    const expired: RunningEntry[] = [];
    while (this.leases.peekKey() <= now) {
      const entry = this.leases.pop() as RunningEntry;
      if (this.running.get(entry.id) !== entry || entry.settling !== null) continue;
      if (entry.leaseExpiresAt > now) {
        this.leases.push(entry.leaseExpiresAt, entry);
        continue;
      }
      expired.push(entry);
    }
    if (expired.length === 0) return null;
    const finish = { seq: [] as number[], state: [] as number[], attempts: [] as number[], errors: [] as string[] };
    const records: string[] = [];
    const requeue: RequeueWrite = { op: 'requeue', seq: [], state: [], attempts: [], dueAt: [], errors: [] };
    const finished: Array<{ entry: RunningEntry; record: ResultRecord }> = [];
    for (const entry of expired) {
      const expiry = leaseExpiredError(entry.attempts, now);
      const errors = JSON.stringify([...entry.errors, expiry]);
      if (entry.attempts >= entry.maxAttempts) {
        const record = leaseExpiredRecord({ jobId: entry.id, attempts: entry.attempts, errors: [...entry.errors, expiry], enqueuedAt: entry.enqueuedAt, now }, expiry);
        finish.seq.push(entry.seq);
        finish.state.push(STATE.failed);
        finish.attempts.push(entry.attempts);
        records.push(JSON.stringify(record));
        finish.errors.push(errors);
        finished.push({ entry, record });
      } else {
        requeue.seq.push(entry.seq);
        requeue.state.push(STATE.ready);
        requeue.attempts.push(entry.attempts);
        requeue.dueAt.push(null);
        requeue.errors.push(errors);
      }
    }
    const writes = Promise.all([
      finish.seq.length > 0 ? this.writer.send({ op: 'finish', ...finish, result: packTexts(records, this.writer.buffers), expiresAt: now + this.resultTtlMs }) : null,
      requeue.seq.length > 0 ? this.writer.send(requeue) : null,
    ]);
    return this.settle(expired, writes).then(() => {
      for (const entry of expired) {
        this.running.delete(entry.id);
        if (entry.attempts < entry.maxAttempts) this.queueInMemory(entry.seq, entry.priority, 0);
        else this.inlineBytes -= entry.inline;
      }
      for (const f of finished) {
        this.metrics.push(metricOf(f.record));
        this.waiters.resolve(f.entry.id, f.record);
      }
    });
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

  /** Tells the file how many jobs are leased here when that changed, and at least every LEASE_REPORT_MS. */
  private reportLeases(): void {
    const now = this.now();
    const running = this.running.size;
    if (running === this.reported.running && now - this.reported.at < LEASE_REPORT_MS) return;
    this.reported = { running, at: now };
    this.writer.send({ op: 'leases', pid: process.pid, at: now, running, open: true }).catch((err: unknown) => {
      this.logger.warn({ event: 'sqlite_lease_report_failed', error: (err as Error).message }, 'could not report leases to the store file');
    });
  }

  // ── retention ───────────────────────────────────────────────────────────

  private schedulePruneIfOver(): void {
    if (this.writer.results > this.maxResults || this.writer.resultBytes > this.maxResultBytes) this.prune();
  }

  /** Asks the writer thread for one batch of pruning, and for more while batches come back full. */
  private prune(): void {
    if (this.pruning || this.closed) return;
    this.pruning = true;
    this.writer.send({ op: 'prune', now: this.now(), all: false }).then((removed) => {
      this.pruning = false;
      if (removed === PRUNE_BATCH) setImmediate(() => this.prune());
    }, (err: unknown) => {
      this.pruning = false;
      if (!this.closed) this.logger.error({ event: 'sqlite_prune_failed', error: (err as Error).message }, 'pruning old results failed');
    });
  }
}

function tokenOf(entry: RunningEntry): string {
  return `${entry.seq}.${entry.attempts}`;
}

