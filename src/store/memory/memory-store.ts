import { LocalProgressShelf, type ProgressShelf } from '../progress-shelf.js';
import { PacketFSError } from '../../errors.js';
import type { AttemptError, JobSpec, JobStatus, MetricRecord, ResultRecord } from '../../job/types.js';
import type {
  Amendment, Completion, Deferral, EnqueueOutcome, JobStore, JobView, Lease, ListPage, ListQuery, QueueDepth, Retry, SpendItem, SpendTotals, StoreOptions,
} from '../job-store.js';
import { spendIncrements, spendKeys, spendTotalsOf } from '../spend-periods.js';
import { Fifo } from './fifo.js';
import { MinHeap } from '../../util/min-heap.js';
import { ReadyQueue } from './ready-queue.js';
import { ResultWaiters } from './result-waiters.js';
import { RingBuffer } from './ring-buffer.js';
import { inlineBytesOf } from '../inline-bytes.js';
import { cancelledRecord, leaseExpiredError, leaseExpiredRecord, metricOf } from '../terminal-records.js';
import { decodeCursor, encodeCursor, nonNegative } from '../seq-cursor.js';

/**
 * The embedded JobStore: everything in this process's memory, nothing
 * durable. It is the default store and the hot path of the throughput
 * benchmark, so per-job work in enqueue/take/complete is O(1) amortised (plus
 * O(distinct priorities) per take call) and nothing scans all jobs except list().
 *
 * Where a job is, by state (each job is one JobEntry in `jobs`):
 *   queued, ready    → in `readyLanes` (the lane of its priority); counted by `readyCount`
 *   queued, delayed  → in `delayed` (min-heap by ready time); counted by `delayedCount`
 *   running          → holds `token`; in `leases` (min-heap by lease expiry); counted by `runningCount`
 *   terminal         → `result` set, spec dropped, in `finished` (FIFO in expiry order)
 * Heaps and lanes are invalidated lazily: an item whose entry has since moved
 * on (cancelled, completed, re-leased, extended) is recognised and skipped
 * when it surfaces, instead of being searched for and removed.
 *
 * Time comes from an injectable clock so tests of delays, leases and TTLs do
 * not sleep. Expired leases are reclaimed and due delayed jobs promoted by
 * take() (depth() promotes too); until take() reclaims it, a lease past its
 * expiry can still be completed, retried or extended by its holder, since no
 * one else has the job yet. Expired results vanish lazily on read and in a
 * cheap sweep at the head of `finished` on enqueue, take and complete.
 * Retention is bounded by count and by (estimated) bytes too: finishing a
 * job beyond maxResults or maxResultBytes forgets the oldest results first,
 * O(1) per finished job, so a long run at high throughput stays flat.
 *
 * Specs, results and records are kept by reference, not copied: callers must
 * not mutate a JobSpec after enqueueing it or a record after handing it over.
 */

interface JobEntry {
  readonly id: string;
  /** enqueue order: FIFO position, list() order and cursor */
  readonly seq: number;
  /** dropped (null) once terminal: get() and list() need only the fields below */
  spec: JobSpec | null;
  status: JobStatus;
  readonly priority: number;
  readonly createdAt: string;
  readonly substrates: string[] | null;
  readonly maxAttempts: number;
  readonly enqueuedAt: number;
  /** attempts started, the current one included */
  attempts: number;
  /** replaced, never mutated, so leases and views can share it */
  errors: readonly AttemptError[];
  /** queued but not ready before a retry delay ends */
  delayed: boolean;
  /** token of the current lease, null unless running */
  token: string | null;
  leaseExpiresAt: number;
  result: ResultRecord | null;
  resultExpiresAt: number;
  /** estimated memory of the result record (resultBytesEstimate), counted while kept */
  resultBytes: number;
  /** set by defer(): why the job waits; shown while it stays queued with the attempts it had then */
  waiting?: { reason: string; attempts: number };
}

const NO_ERRORS: readonly AttemptError[] = Object.freeze([]);
const DAY_MS = 24 * 60 * 60 * 1000;
export const MEMORY_DEFAULT_MAX_RESULTS = 100_000;
export const MEMORY_DEFAULT_MAX_RESULT_BYTES = 256 * 1024 * 1024;

export class MemoryJobStore implements JobStore {
  readonly kind = 'memory';
  readonly progress: ProgressShelf;

  private readonly now: () => number;
  private readonly resultTtlMs: number;
  private readonly maxResults: number;
  private readonly maxResultBytes: number;
  private resultBytes = 0;
  private readonly jobs = new Map<string, JobEntry>();
  private readonly readyLanes = new ReadyQueue<JobEntry>((e) => e.status === 'queued' && !e.delayed);
  private readonly delayed = new MinHeap<JobEntry>();
  /**
   * One item per take, keyed by that lease's expiry. An item outlives its
   * lease when the job is completed, retried or re-leased first; it then finds
   * the entry terminal, queued, or running with a later expiry, and is dropped
   * or re-filed under that expiry. So a job is reclaimed only when its current
   * lease really expired, and no per-lease object is needed to tell.
   */
  private readonly leases = new MinHeap<JobEntry>();
  /** terminal entries in completion order, which is expiry order since the TTL is fixed */
  private readonly finished = new Fifo<JobEntry>();
  private readonly metrics: RingBuffer<MetricRecord>;
  private readonly waiters = new ResultWaiters<ResultRecord>();
  private readyCount = 0;
  private delayedCount = 0;
  private runningCount = 0;
  private seq = 0;
  private tokenSeq = 0;
  /** base64 characters of inline data held by jobs not yet terminal (what this store keeps in memory for them) */
  private inlineBytes = 0;
  /** spend totals: period key (spend-periods.ts) → substrate → USD */
  private readonly spend = new Map<string, Map<string, number>>();
  private closed = false;

  constructor(opts: StoreOptions & { now?: () => number } = {}) {
    this.now = opts.now ?? Date.now;
    this.resultTtlMs = nonNegative(opts.resultTtlMs ?? DAY_MS, 'resultTtlMs');
    this.progress = new LocalProgressShelf(this.resultTtlMs, this.now);
    this.metrics = new RingBuffer<MetricRecord>(Math.floor(nonNegative(opts.metricsLimit ?? 10_000, 'metricsLimit')));
    this.maxResults = Math.floor(nonNegative(opts.maxResults ?? MEMORY_DEFAULT_MAX_RESULTS, 'maxResults'));
    this.maxResultBytes = nonNegative(opts.maxResultBytes ?? MEMORY_DEFAULT_MAX_RESULT_BYTES, 'maxResultBytes');
  }

  /** Results kept and their estimated bytes (diagnostics; shows retention is bounded). */
  get retained(): { results: number; bytes: number } {
    return { results: this.finished.size, bytes: this.resultBytes };
  }

  /** Waiters in waitForResult() not yet settled (diagnostics; shows that timeouts leave none behind). */
  get waiting(): number {
    return this.waiters.size;
  }

  async enqueue(specs: JobSpec[]): Promise<EnqueueOutcome[]> {
    const now = this.now();
    this.sweep(now);
    const outcomes: EnqueueOutcome[] = new Array(specs.length);
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i] as JobSpec;
      const existing = this.live(spec.job_id, now);
      if (existing !== undefined) {
        outcomes[i] = { job_id: spec.job_id, created: false, status: existing.status };
        continue;
      }
      const entry: JobEntry = {
        id: spec.job_id,
        seq: ++this.seq,
        spec,
        status: 'queued',
        priority: spec.priority,
        createdAt: spec.created_at,
        substrates: spec.substrates,
        maxAttempts: spec.max_attempts,
        enqueuedAt: now,
        attempts: 0,
        errors: NO_ERRORS,
        delayed: false,
        token: null,
        leaseExpiresAt: 0,
        result: null,
        resultExpiresAt: Infinity,
        resultBytes: 0,
      };
      this.jobs.set(entry.id, entry);
      this.inlineBytes += inlineBytesOf(spec);
      this.readyLanes.push(entry.priority, entry);
      this.readyCount++;
      outcomes[i] = { job_id: entry.id, created: true, status: 'queued' };
    }
    return outcomes;
  }

  async take(max: number, leaseMs: number): Promise<Lease[]> {
    const now = this.now();
    this.sweep(now);
    this.reclaimExpiredLeases(now);
    this.promoteDueDelayed(now);
    if (!(max >= 1) || this.readyCount === 0) return [];
    const entries = this.readyLanes.take(Math.min(Math.floor(max), this.readyCount));
    const expiresAt = now + leaseMs;
    const out: Lease[] = new Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as JobEntry;
      const token = String(++this.tokenSeq);
      entry.status = 'running';
      entry.attempts++;
      entry.token = token;
      entry.leaseExpiresAt = expiresAt;
      this.leases.push(expiresAt, entry);
      out[i] = {
        job: entry.spec as JobSpec,
        attempt: entry.attempts,
        token,
        enqueuedAt: entry.enqueuedAt,
        errors: entry.errors.length === 0 ? [] : entry.errors.slice(),
      };
    }
    this.readyCount -= entries.length;
    this.runningCount += entries.length;
    return out;
  }

  async extendLeases(leases: Lease[], leaseMs: number): Promise<boolean[]> {
    const expiresAt = this.now() + leaseMs;
    // the heap item keeps its old key; reclaimExpiredLeases re-files it under the new expiry
    return leases.map((lease) => {
      const entry = this.holder(lease);
      if (entry === undefined) return false;
      entry.leaseExpiresAt = expiresAt;
      return true;
    });
  }

  async amend(items: Amendment[]): Promise<boolean[]> {
    const now = this.now();
    return items.map(({ result, metric }) => {
      const entry = this.live(result.job_id, now);
      if (entry === undefined || entry.status !== 'succeeded' || entry.result === null) return false;
      entry.result = result;
      this.metrics.replaceNewest((m) => m.job_id === result.job_id, metric);
      return true;
    });
  }

  async complete(items: Completion[]): Promise<boolean[]> {
    const now = this.now();
    this.sweep(now);
    const written: boolean[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Completion;
      const entry = this.holder(item.lease);
      if (entry === undefined) {
        written[i] = false;
        continue;
      }
      this.runningCount--;
      this.finish(entry, item.result, item.metric, now);
      written[i] = true;
    }
    return written;
  }

  async retryLater(items: Retry[]): Promise<void> {
    const now = this.now();
    for (const item of items) {
      const entry = this.holder(item.lease);
      if (entry === undefined) continue;
      entry.errors = [...entry.errors, item.error];
      this.requeue(entry, item.delayMs > 0 ? now + item.delayMs : null);
    }
  }

  async defer(items: Deferral[]): Promise<void> {
    const now = this.now();
    for (const item of items) {
      const entry = this.holder(item.lease);
      if (entry === undefined) continue;
      entry.attempts--;
      entry.waiting = { reason: item.reason, attempts: entry.attempts };
      this.requeue(entry, now + Math.max(0, item.delayMs));
    }
  }

  /** A running job goes back to the queue: ready now (`dueAt` null) or delayed until `dueAt`. */
  private requeue(entry: JobEntry, dueAt: number | null): void {
    this.runningCount--;
    entry.token = null;
    entry.status = 'queued';
    if (dueAt === null) {
      this.readyLanes.push(entry.priority, entry);
      this.readyCount++;
    } else {
      entry.delayed = true;
      this.delayed.push(dueAt, entry);
      this.delayedCount++;
    }
  }

  async addSpend(items: SpendItem[]): Promise<void> {
    for (const [key, bySubstrate] of spendIncrements(items)) {
      let row = this.spend.get(key);
      if (row === undefined) {
        row = new Map();
        this.spend.set(key, row);
      }
      for (const [substrate, usd] of bySubstrate) row.set(substrate, (row.get(substrate) ?? 0) + usd);
    }
  }

  async spendTotals(at: number): Promise<SpendTotals> {
    const keys = spendKeys(at);
    return spendTotalsOf(at, this.spend.get(keys.day) ?? [], this.spend.get(keys.month) ?? []);
  }

  async cancel(jobId: string): Promise<'cancelled' | 'not_found' | 'finished'> {
    const now = this.now();
    const entry = this.live(jobId, now);
    if (entry === undefined) return 'not_found';
    if (entry.status === 'running') {
      this.runningCount--;
    } else if (entry.status === 'queued') {
      if (entry.delayed) {
        this.delayedCount--;
      } else {
        this.readyCount--;
        // status becomes terminal below, which is what makes the lane's copy dead
        this.readyLanes.noteRemoved(entry.priority);
      }
    } else {
      return 'finished';
    }
    const record = cancelledRecord({ jobId, attempts: entry.attempts, errors: entry.errors, enqueuedAt: entry.enqueuedAt, now });
    this.finish(entry, record, metricOf(record), now);
    return 'cancelled';
  }

  async get(jobId: string): Promise<JobView | null> {
    const entry = this.live(jobId, this.now());
    return entry === undefined ? null : viewOf(entry);
  }

  async getResult(jobId: string): Promise<ResultRecord | null> {
    return this.live(jobId, this.now())?.result ?? null;
  }

  async waitForResult(jobId: string, timeoutMs: number): Promise<ResultRecord | null> {
    const result = this.live(jobId, this.now())?.result ?? null;
    if (result !== null || this.closed || !(timeoutMs > 0)) return result;
    // an unknown id is waited for too: its submitter may not have enqueued it yet
    return this.waiters.wait(jobId, timeoutMs);
  }

  async list(query: ListQuery): Promise<ListPage> {
    const limit = query.limit;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new PacketFSError('INVALID_REQUEST', `limit must be a positive integer, got ${String(limit)}`, { path: 'limit' });
    }
    const before = query.cursor === undefined ? Infinity : decodeCursor(query.cursor);
    const now = this.now();
    // `jobs` iterates in insertion order = ascending seq; keep the last limit+1 matches in a ring
    const window: JobEntry[] = new Array(limit + 1);
    let matches = 0;
    for (const entry of this.jobs.values()) {
      if (entry.seq >= before) break;
      if (entry.status !== query.status || entry.resultExpiresAt <= now) continue;
      window[matches % (limit + 1)] = entry;
      matches++;
    }
    const count = Math.min(matches, limit);
    const jobs: JobView[] = new Array(count);
    for (let i = 0; i < count; i++) jobs[i] = viewOf(window[(matches - 1 - i) % (limit + 1)] as JobEntry);
    const oldest = count > 0 ? window[(matches - count) % (limit + 1)] : undefined;
    return { jobs, next_cursor: matches > limit && oldest !== undefined ? encodeCursor(oldest.seq) : null };
  }

  async recentMetrics(limit: number): Promise<MetricRecord[]> {
    return this.metrics.newest(limit);
  }

  async depth(): Promise<QueueDepth> {
    this.promoteDueDelayed(this.now());
    return { queued: this.readyCount, delayed: this.delayedCount, running: this.runningCount, inline_bytes: this.inlineBytes };
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiters.resolveAllWithNull();
  }

  /** The entry running under this lease, or undefined when the lease is stale. */
  private holder(lease: Lease): JobEntry | undefined {
    const entry = this.jobs.get(lease.job.job_id);
    return entry !== undefined && entry.status === 'running' && entry.token === lease.token ? entry : undefined;
  }

  /** The entry for an id unless unknown or its result expired (then it is forgotten). */
  private live(jobId: string, now: number): JobEntry | undefined {
    const entry = this.jobs.get(jobId);
    if (entry === undefined || entry.resultExpiresAt > now) return entry;
    this.jobs.delete(jobId);
    return undefined;
  }

  /** Makes a non-terminal entry terminal; the caller has already taken it out of its state's count. */
  private finish(entry: JobEntry, result: ResultRecord, metric: MetricRecord, now: number): void {
    entry.status = result.status;
    entry.result = result;
    entry.resultExpiresAt = now + this.resultTtlMs;
    entry.resultBytes = resultBytesEstimate(result);
    if (entry.spec !== null) this.inlineBytes -= inlineBytesOf(entry.spec);
    entry.spec = null;
    entry.token = null;
    entry.delayed = false;
    this.finished.push(entry);
    this.resultBytes += entry.resultBytes;
    this.metrics.push(metric);
    this.waiters.resolve(entry.id, result);
    while (this.finished.size > this.maxResults || (this.resultBytes > this.maxResultBytes && this.finished.size > 0)) {
      this.forgetOldest();
    }
  }

  /** Drops the oldest kept result (the head of `finished`). */
  private forgetOldest(): void {
    const head = this.finished.shift() as JobEntry;
    this.resultBytes -= head.resultBytes;
    // the id may since have been forgotten lazily and enqueued afresh: delete only this entry
    if (this.jobs.get(head.id) === head) this.jobs.delete(head.id);
  }

  /** Forgets jobs whose results expired, oldest first; O(1) when nothing is due. */
  private sweep(now: number): void {
    for (let head = this.finished.peek(); head !== undefined && head.resultExpiresAt <= now; head = this.finished.peek()) {
      this.forgetOldest();
    }
  }

  private reclaimExpiredLeases(now: number): void {
    // items of finished jobs would otherwise keep their entries alive for a lease length (at 50k jobs/s × 30 s: 1.5M entries)
    if (this.leases.size > 2 * this.runningCount + 4096) this.leases.retain((e) => e.status === 'running');
    while (this.leases.peekKey() <= now) {
      const entry = this.leases.pop() as JobEntry;
      if (entry.status !== 'running') continue;
      if (entry.leaseExpiresAt > now) {
        this.leases.push(entry.leaseExpiresAt, entry);
        continue;
      }
      const expiry = leaseExpiredError(entry.attempts, now);
      entry.errors = [...entry.errors, expiry];
      if (entry.attempts >= entry.maxAttempts) {
        this.runningCount--;
        const record = leaseExpiredRecord(
          { jobId: entry.id, attempts: entry.attempts, errors: entry.errors, enqueuedAt: entry.enqueuedAt, now }, expiry);
        this.finish(entry, record, metricOf(record), now);
      } else {
        this.requeue(entry, null);
      }
    }
  }

  private promoteDueDelayed(now: number): void {
    while (this.delayed.peekKey() <= now) {
      const entry = this.delayed.pop() as JobEntry;
      // a cancelled job left its heap item behind
      if (entry.status !== 'queued' || !entry.delayed) continue;
      entry.delayed = false;
      this.delayedCount--;
      this.readyLanes.push(entry.priority, entry);
      this.readyCount++;
    }
  }
}

/**
 * A cheap estimate of a result record's heap footprint (object, strings, op
 * results, attempt errors) without serialising it on the hot path; good
 * enough to bound memory, not an exact count.
 */
export function resultBytesEstimate(r: ResultRecord): number {
  let bytes = 640 + 2 * r.job_id.length;
  if (r.result !== null) bytes += Array.isArray(r.result) ? 96 * r.result.length : 96;
  if (r.error !== null) bytes += 96 + 2 * r.error.message.length;
  if (r.attempt_errors !== undefined) for (const e of r.attempt_errors) bytes += 160 + 2 * e.message.length;
  return bytes;
}

function viewOf(entry: JobEntry): JobView {
  const waiting = entry.status === 'queued' && entry.waiting?.attempts === entry.attempts ? entry.waiting.reason : undefined;
  return {
    job_id: entry.id,
    status: entry.status,
    ...(waiting === undefined ? {} : { waiting }),
    attempts: entry.attempts,
    priority: entry.priority,
    created_at: entry.createdAt,
    substrates: entry.substrates,
    errors: entry.errors.slice(),
    result: entry.result,
  };
}
