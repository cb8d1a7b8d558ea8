import type { SnapshotBoard } from './snapshot-board.js';
import type { ProgressShelf } from './progress-shelf.js';
import type { AttemptError, JobSpec, JobStatus, MetricRecord, ResultRecord } from '../job/types.js';

/**
 * The JobStore contract. Two implementations (memory/, redis/) pass one
 * conformance suite (test/store/conformance.ts). Every method that touches
 * many jobs takes a batch: the dispatcher's hot path is one call per batch.
 *
 * Lifecycle of a job inside a store:
 *   queued ──take──► running(lease) ──complete──► succeeded | failed   (terminal, result kept resultTtlMs)
 *     ▲                 │  │
 *     └──retryLater─────┘  └──lease expires (holder died)──► queued again (attempt counted)
 *   queued | running ──cancel──► cancelled (terminal; a later complete() for it is ignored)
 *
 * Delivery is at-least-once: a lease that is not completed, retried or
 * extended before it expires is handed out again by take(). Writing a result
 * is idempotent: the first terminal write wins, later ones return false.
 */
export interface JobStore {
  /** Human name for logs and /readyz: 'memory' or 'redis'. */
  readonly kind: string;

  /** Present when several dispatchers can share this store: where they leave their dashboard snapshots. */
  readonly snapshots?: SnapshotBoard;

  /** Live progress of split parents, shared by every dispatcher on this store (progress-shelf.ts). */
  readonly progress: ProgressShelf;

  /**
   * Stores jobs as queued. A job whose job_id already exists is not stored
   * again: its outcome says created=false and returns the existing status.
   * Order of outcomes = order of input.
   */
  enqueue(jobs: JobSpec[]): Promise<EnqueueOutcome[]>;

  /**
   * Leases up to `max` ready jobs (not delayed, not cancelled): highest
   * priority first, then oldest first. Each lease lasts `leaseMs`.
   */
  take(max: number, leaseMs: number): Promise<Lease[]>;

  /** Pushes the leases' expiry to now + leaseMs. Returns which leases were still held. */
  extendLeases(leases: Lease[], leaseMs: number): Promise<boolean[]>;

  /**
   * Terminal results (status succeeded or failed) for leased jobs. Records the
   * result (kept resultTtlMs) and appends the metric record, both at most once
   * per job. Returns per item whether this call wrote the result.
   */
  complete(items: Completion[]): Promise<boolean[]>;

  /**
   * Replaces the results of succeeded jobs that verification later found
   * wrong: the result record (and the original's `results:<id>` copy) keeps
   * its expiry, the job's metric record is replaced where it is still kept,
   * and waiters are told. Returns per item whether a succeeded result was
   * there to replace.
   */
  amend(items: Amendment[]): Promise<boolean[]>;

  /**
   * Gives the jobs back to the queue after a failed attempt, ready again at
   * now + delayMs; the error is appended to the job's attempt errors.
   * Ignored for jobs that are already terminal.
   */
  retryLater(items: Retry[]): Promise<void>;

  /**
   * Cancels a queued or running job: writes a `cancelled` result record.
   * 'not_found' for unknown ids; 'finished' if already terminal (unchanged).
   */
  cancel(jobId: string): Promise<'cancelled' | 'not_found' | 'finished'>;

  /** Status view of one job, or null when unknown (or its result expired). */
  get(jobId: string): Promise<JobView | null>;

  /** The result record of a finished job, or null. */
  getResult(jobId: string): Promise<ResultRecord | null>;

  /** Resolves with the result as soon as it exists, or null after timeoutMs. */
  waitForResult(jobId: string, timeoutMs: number): Promise<ResultRecord | null>;

  /** Jobs with one status, newest first, paginated by an opaque cursor. */
  list(query: ListQuery): Promise<ListPage>;

  /** Recent per-job metric records, newest first. */
  recentMetrics(limit: number): Promise<MetricRecord[]>;

  /**
   * Gives leased jobs back as queued without counting the attempt (they did
   * not run), ready again at now + delayMs. Each one's view shows `waiting`
   * (the reason) until it is taken again. Used when the budget is spent.
   * Ignored for stale leases.
   */
  defer(items: Deferral[]): Promise<void>;

  /**
   * Adds spend to the totals of each item's substrate for the UTC day and
   * month holding `at` (docs/costs.md). The totals are shared by every
   * dispatcher on the store and kept as long as the store keeps its jobs.
   */
  addSpend(items: SpendItem[]): Promise<void>;

  /** Spend of the UTC day and month holding `at` (epoch ms). */
  spendTotals(at: number): Promise<SpendTotals>;

  /** Counts for /metrics and backpressure. */
  depth(): Promise<QueueDepth>;

  /** false when the backing service is unreachable (for /readyz). */
  ready(): Promise<boolean>;

  /**
   * Stores backed by a service whose settings can lose acknowledged jobs on
   * a restart (Redis without appendonly) say so here, for the log, /readyz,
   * `packetfs substrates` and the dashboard; null when nothing is at risk.
   */
  durabilityWarning?(): string | null;

  close(): Promise<void>;
}

export interface EnqueueOutcome {
  job_id: string;
  created: boolean;
  status: JobStatus;
}

export interface Lease {
  job: JobSpec;
  /** this attempt's number, 1-based (attempts already made + 1) */
  attempt: number;
  /** opaque token identifying this lease; a stale token cannot complete or retry */
  token: string;
  /** epoch ms when the job was first enqueued (for queue_time_ms) */
  enqueuedAt: number;
  /** errors of earlier attempts, oldest first (used for failover) */
  errors: AttemptError[];
}

export interface Completion {
  lease: Lease;
  result: ResultRecord;
  metric: MetricRecord;
}

export interface Amendment {
  result: ResultRecord;
  metric: MetricRecord;
}

export interface Retry {
  lease: Lease;
  error: AttemptError;
  delayMs: number;
}

export interface Deferral {
  lease: Lease;
  delayMs: number;
  /** why the job waits, shown in its view (`waiting`) */
  reason: string;
}

export interface SpendItem {
  substrate: string;
  usd: number;
  /** epoch ms: which day and month the spend counts towards */
  at: number;
}

export interface SpendSums {
  total: number;
  by_substrate: Record<string, number>;
}

/** Spend of one UTC day (`YYYY-MM-DD`) and one UTC month (`YYYY-MM`). */
export interface SpendTotals {
  day: string;
  month: string;
  spent_day: SpendSums;
  spent_month: SpendSums;
}

export interface JobView {
  job_id: string;
  status: JobStatus;
  /** a queued job held back (e.g. the budget is spent): why */
  waiting?: string;
  attempts: number;
  priority: number;
  created_at: string;
  substrates: string[] | null;
  errors: AttemptError[];
  result: ResultRecord | null;
}

export interface ListQuery {
  status: JobStatus;
  limit: number;
  cursor?: string;
}

export interface ListPage {
  jobs: JobView[];
  next_cursor: string | null;
}

export interface QueueDepth {
  queued: number;
  delayed: number;
  running: number;
  /** inline data (base64 characters) held by unfinished jobs, where the store tracks it */
  inline_bytes?: number;
}

export interface StoreOptions {
  /** how long result records are kept; default 24 h (contracts §5) */
  resultTtlMs?: number;
  /** how many metric records are kept; default 10,000 */
  metricsLimit?: number;
  /** most result records kept; the oldest are dropped first (store-specific default) */
  maxResults?: number;
  /** most bytes of result records kept (the store's own measure); the oldest are dropped first */
  maxResultBytes?: number;
}
