import { PacketFSError, toErrorBody, type ErrorBody } from '../errors.js';
import type { JobSpec, ResultRecord } from '../job/types.js';
import type { OpResult } from '../ops/types.js';
import type { JobStore, Lease } from '../store/job-store.js';
import type { ProgressEntry } from '../store/progress-shelf.js';
import type { SubstrateView } from '../dispatcher/api.js';
import { attemptError } from '../store/result-records.js';
import { metricOf } from '../store/terminal-records.js';
import type { Logger } from '../logger.js';
import { isoTime } from '../util/iso-time.js';
import { withStoreRetries } from '../util/store-retries.js';
import { childJobId, type SplitSpec } from '../job/split-spec.js';
import { ProgressBoard, type SplitProgress } from './split-progress.js';
import { foldWindowResults, fnvStateAfter } from './fold-results.js';
import { windowAt, windowBytesFor, windowCount, type SplitWindow } from './window-plan.js';
import type { SizeOf, SourceSize } from './source-size.js';

/**
 * Runs split jobs (docs/split.md). The dispatch loop hands over the lease of
 * every split parent it takes (`owns`/`run`) instead of placing it on a
 * substrate; the parent's lease stays held (the loop extends it) while this
 * module:
 *
 *   plan      size the data (source-size.ts), choose the window size, count windows
 *   windows   enqueue children — ordinary jobs `<parent>~<i>` with `parent_id`,
 *             inheriting the parent's substrates, priority, timeout and attempts,
 *             so retries, failover and placement are the dispatch loop's as usual —
 *             keeping a bounded number outstanding; wait for their results
 *   fold      combine the window results in order (fold-results.ts) and write the
 *             parent's result; a window that failed for good fails the parent
 *             naming the window's range and its error
 *
 * fnv64 has no combine, so a program containing it runs its windows one
 * after another, window i+1 starting from window i's state (`fnv_state`).
 *
 * State of one run: planning → windows (outstanding ≤ limit) → folding →
 * written; or → cancelled (parent cancelled: outstanding children are
 * cancelled, nothing written — the store already holds `cancelled`), or →
 * given back (dispatcher stopping: the lease returns to the queue, children
 * keep running, and whoever takes the parent next finds them by their
 * deterministic ids and resumes where this run stopped).
 *
 * Progress lives on the ProgressBoard of this process while the run lasts
 * (events streams here follow it at once) and goes into the parent's result
 * record at the end. For the other dispatchers sharing the store, changed
 * progress is also published to the store's progress shelf in one batch
 * every PROGRESS_FLUSH_MS (never once per window); a cancelled parent's last
 * progress stays there as long as its result record.
 */
export interface SplitCoordinatorOptions {
  store: JobStore;
  sizeOf: SizeOf;
  /** the registry's substrates, for "auto" window sizes and the outstanding limit */
  substrates: () => SubstrateView[];
  /** enqueued children should be taken now, not at the next poll */
  wake: () => void;
  logger: Logger;
  /** how often a run checks the store for a cancel made by another process */
  pollMs?: number;
  now?: () => number;
}

type StopReason = 'cancelled' | 'stopping';
/** How a run ended: its result written, the parent cancelled, or the lease given back. */
type RunEnd = 'written' | 'cancelled' | 'given-back';

/** Outstanding windows per slot of the usable substrates: enough to keep every slot busy while results are folded. */
const OUTSTANDING_PER_SLOT = 2;
const MIN_OUTSTANDING = 4;
const MAX_OUTSTANDING = 1024;
/** How long one store wait for a child's result lasts before the run looks around (cancel, stop). */
const CHILD_WAIT_MS = 2_000;
/** Changed progress goes to the store's shelf at most this often, all runs in one batch. */
const PROGRESS_FLUSH_MS = 250;
/** A shelf entry lives this long unless written again (unchanged progress is re-written every third of it). */
const PROGRESS_TTL_MS = 30_000;

export class SplitCoordinator {
  readonly progress = new ProgressBoard();
  private readonly runs = new Map<string, AbortController>();
  private readonly store: JobStore;
  private readonly sizeOf: SizeOf;
  private readonly substrates: () => SubstrateView[];
  private readonly wake: () => void;
  private readonly logger: Logger;
  private readonly pollMs: number;
  private readonly now: () => number;
  private stopping = false;
  /** runs whose progress changed since the last flush to the shelf */
  private readonly dirty = new Set<string>();
  private lastFullFlush = 0;
  private flushTimer: ReturnType<typeof setInterval> | null = null;
  private flushing = false;

  constructor(opts: SplitCoordinatorOptions) {
    this.store = opts.store;
    this.sizeOf = opts.sizeOf;
    this.substrates = opts.substrates;
    this.wake = opts.wake;
    this.logger = opts.logger;
    this.pollMs = opts.pollMs ?? 500;
    this.now = opts.now ?? Date.now;
  }

  /** A split parent (its children are ordinary jobs and go to substrates). */
  owns(job: JobSpec): boolean {
    return job.split !== undefined && job.parent_id === undefined;
  }

  /** Runs one parent to its end; never rejects. */
  async run(lease: Lease): Promise<void> {
    const jobId = lease.job.job_id;
    if (this.stopping || this.runs.has(jobId)) {
      // a second lease of a parent already running here: the first run owns it
      if (this.stopping) await this.giveBack(lease);
      return;
    }
    const controller = new AbortController();
    this.runs.set(jobId, controller);
    this.startFlushing();
    let end: RunEnd = 'written';
    try {
      end = await new SplitRun(this, lease, controller.signal).execute();
    } catch (err) {
      this.logger.error({ err: toErrorBody(err), job_id: jobId }, 'split job run failed unexpectedly');
    } finally {
      const last = this.progress.get(jobId);
      this.runs.delete(jobId);
      this.dirty.delete(jobId);
      this.progress.delete(jobId);
      if (this.runs.size === 0) this.stopFlushing();
      await this.settleShelf(jobId, end, last);
    }
  }

  /** This process runs the job's split now: its board has the live progress. */
  runsHere(jobId: string): boolean {
    return this.runs.has(jobId);
  }

  /** @internal a run's progress changed; the next flush publishes it */
  changed(jobId: string): void {
    this.dirty.add(jobId);
  }

  /**
   * After a run: a written result carries the final progress (the shelf entry
   * goes); a cancelled parent's record does not, so its last progress stays
   * on the shelf as long as results do; a run given back leaves its entry to
   * the next taker (or to expiry).
   */
  private async settleShelf(jobId: string, end: RunEnd, last: SplitProgress | undefined): Promise<void> {
    try {
      if (end === 'written') await this.store.progress.remove([jobId]);
      else if (end === 'cancelled' && last !== undefined) await this.store.progress.keepFinal({ job_id: jobId, progress: last });
    } catch (err) {
      this.logger.warn({ err: toErrorBody(err), job_id: jobId }, 'could not update the split progress shelf');
    }
  }

  private startFlushing(): void {
    if (this.flushTimer !== null) return;
    this.flushTimer = setInterval(() => void this.flush(), PROGRESS_FLUSH_MS);
    this.flushTimer.unref();
  }

  private stopFlushing(): void {
    if (this.flushTimer === null) return;
    clearInterval(this.flushTimer);
    this.flushTimer = null;
  }

  /** One batch: every changed run, or every run when their entries are a third of the way to expiry. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    const now = this.now();
    const all = now - this.lastFullFlush >= PROGRESS_TTL_MS / 3;
    const ids = all ? [...this.runs.keys()] : [...this.dirty];
    if (ids.length === 0) return;
    if (all) this.lastFullFlush = now;
    this.dirty.clear();
    const entries: ProgressEntry[] = [];
    for (const id of ids) {
      const progress = this.progress.get(id);
      if (progress !== undefined) entries.push({ job_id: id, progress });
    }
    this.flushing = true;
    try {
      await this.store.progress.publish(entries, PROGRESS_TTL_MS);
    } catch (err) {
      // the store is down for now: publish them again next time
      for (const e of entries) this.dirty.add(e.job_id);
      this.logger.warn({ err: toErrorBody(err) }, 'could not publish split progress');
    } finally {
      this.flushing = false;
    }
  }

  /** The parent was cancelled in this process: stop its run at once (it cancels its children). */
  cancelled(jobId: string): void {
    const run = this.runs.get(jobId);
    // a running one keeps its board entry until it ends: its last progress goes to the shelf then
    if (run === undefined) this.progress.delete(jobId);
    else run.abort('cancelled' satisfies StopReason);
  }

  /** Dispatcher shutting down: every run gives its lease back; children stay queued for the next taker. */
  stop(): void {
    this.stopping = true;
    this.stopFlushing();
    for (const controller of this.runs.values()) controller.abort('stopping' satisfies StopReason);
  }

  /** @internal for SplitRun */
  deps() {
    return { store: this.store, sizeOf: this.sizeOf, substrates: this.substrates, wake: this.wake, logger: this.logger, pollMs: this.pollMs, now: this.now, progress: this.progress };
  }

  /** @internal */
  async giveBack(lease: Lease): Promise<void> {
    const error = attemptError(lease.attempt, null, { code: 'SHUTTING_DOWN', message: 'dispatcher shut down while coordinating the split job' }, this.now());
    await this.store.retryLater([{ lease, delayMs: 0, error }])
      .catch((err) => this.logger.warn({ err: toErrorBody(err), job_id: lease.job.job_id }, 'could not give a split job back; its lease will expire'));
  }
}

interface Plan {
  source: SourceSize;
  start: number;
  rangeBytes: number;
  windowBytes: number;
  count: number;
  serial: boolean;
  outstandingLimit: number;
}

interface Finished {
  index: number;
  record: ResultRecord;
}

/** One run of one parent; see SplitCoordinator for its states. */
class SplitRun {
  private readonly job: JobSpec;
  private readonly deps: ReturnType<SplitCoordinator['deps']>;
  private readonly startedAt: number;
  private progress: SplitProgress = { windows_total: 0, windows_done: 0, windows_failed: 0, bytes_total: 0, bytes_done: 0 };
  /** children enqueued so far: windows [0, created) */
  private created = 0;
  private readonly done = new Set<number>();
  private readonly finished: Finished[] = [];
  private notify: (() => void) | null = null;
  private readonly windowsPerSubstrate: Record<string, number> = {};
  private costUsd = 0;
  private lastCancelCheck: number;

  constructor(private readonly owner: SplitCoordinator, private readonly lease: Lease, private readonly signal: AbortSignal) {
    this.job = lease.job;
    this.deps = owner.deps();
    this.startedAt = this.deps.now();
    this.lastCancelCheck = this.startedAt;
    signal.addEventListener('abort', () => this.notify?.(), { once: true });
  }

  async execute(): Promise<RunEnd> {
    let plan: Plan | null = null;
    try {
      plan = await this.plan();
      const results = await this.runWindows(plan);
      await this.checkUnchanged(plan, null);
      const folded = foldWindowResults(results, this.job.program.single);
      await this.write(this.succeeded(plan, folded));
      return 'written';
    } catch (err) {
      if (this.signal.aborted) {
        // stopping leaves the windows queued for whoever takes the parent next; a cancel ends them
        if (this.signal.reason === 'stopping') {
          await this.owner.giveBack(this.lease);
          return 'given-back';
        }
        await this.cancelChildren();
        return 'cancelled';
      }
      await this.cancelChildren();
      const error = plan === null ? toErrorBody(err) : await this.describeFailure(plan, err);
      await this.write(this.failed(error));
      return 'written';
    }
  }

  private async plan(): Promise<Plan> {
    const { program } = this.job;
    const source = await this.deps.sizeOf(program, this.signal);
    const start = program.offset;
    if (start > source.size) {
      throw new PacketFSError('WINDOW_OUT_OF_RANGE', `offset ${start} is past the end of the data (${source.size} bytes)`, { path: 'program.offset' });
    }
    const rangeBytes = program.length === null ? source.size - start : program.length;
    if (start + rangeBytes > source.size) {
      throw new PacketFSError('WINDOW_OUT_OF_RANGE', `window ${start}..${start + rangeBytes} is past the end of the data (${source.size} bytes)`, { path: 'program.length' });
    }
    const serial = program.ops.some((op) => op.op === 'fnv64');
    const usable = this.usableSubstrates();
    const windowBytes = windowBytesFor(this.job.split as SplitSpec, { rangeBytes, serial, substrates: usable });
    const count = windowCount(rangeBytes, windowBytes);
    if (!source.ranges && count > 1) {
      throw new PacketFSError('DATA_FETCH_FAILED',
        `the data_url server ignores Range requests (it answered 200 to bytes=0-0), so each of the ${count} windows would download everything before it; serve the file with Range support, upload it as a blob, or use one window (window_bytes ≥ ${rangeBytes})`,
        { path: 'program.data_url' });
    }
    const slots = usable.filter((s) => s.healthy).reduce((sum, s) => sum + Math.max(0, s.capabilities.max_concurrent_jobs), 0);
    const outstandingLimit = serial ? 1 : Math.min(MAX_OUTSTANDING, Math.max(MIN_OUTSTANDING, OUTSTANDING_PER_SLOT * slots));
    this.progress = { windows_total: count, windows_done: 0, windows_failed: 0, bytes_total: rangeBytes, bytes_done: 0 };
    this.publish();
    this.deps.logger.info({ job_id: this.job.job_id, windows: count, window_bytes: windowBytes, bytes: rangeBytes, serial }, 'split job planned');
    return { source, start, rangeBytes, windowBytes, count, serial, outstandingLimit };
  }

  private usableSubstrates(): SubstrateView[] {
    const allowed = this.job.substrates;
    return this.deps.substrates().filter((s) => allowed === null || allowed.includes(s.name) || allowed.includes(s.type));
  }

  private async runWindows(plan: Plan): Promise<Array<OpResult | OpResult[]>> {
    const results = new Array<OpResult | OpResult[]>(plan.count);
    let fnvState = this.job.program.fnv_state;
    while (this.done.size < plan.count) {
      const outstanding = this.created - this.done.size;
      if (this.created < plan.count && outstanding < plan.outstandingLimit) {
        const batch: JobSpec[] = [];
        while (this.created + batch.length < plan.count && outstanding + batch.length < plan.outstandingLimit) {
          batch.push(this.childSpec(plan, windowAt(plan.start, plan.rangeBytes, plan.windowBytes, this.created + batch.length), fnvState));
        }
        await withStoreRetries(() => this.deps.store.enqueue(batch));
        for (const child of batch) this.watch(this.created++, child.job_id);
        this.deps.wake();
      }
      const { index, record } = await this.nextFinished();
      this.done.add(index);
      const window = windowAt(plan.start, plan.rangeBytes, plan.windowBytes, index);
      if (record.status !== 'succeeded' || record.result === null) {
        this.progress.windows_failed++;
        this.publish();
        throw new WindowFailed(window, record);
      }
      results[index] = record.result;
      if (plan.serial) fnvState = fnvStateAfter(record.result) ?? fnvState;
      this.costUsd += record.cost_usd;
      const where = record.substrate ?? 'unknown';
      this.windowsPerSubstrate[where] = (this.windowsPerSubstrate[where] ?? 0) + 1;
      this.progress.windows_done++;
      this.progress.bytes_done += window.length;
      this.publish();
    }
    return results;
  }

  private childSpec(plan: Plan, window: SplitWindow, fnvState: string | undefined): JobSpec {
    const parent = this.job;
    const program: JobSpec['program'] = { ops: parent.program.ops, single: parent.program.single, offset: window.offset, length: window.length };
    if (parent.program.blob !== undefined) program.blob = parent.program.blob;
    if (parent.program.data_url !== undefined) program.data_url = parent.program.data_url;
    if (fnvState !== undefined) program.fnv_state = fnvState;
    const share = plan.rangeBytes === 0 ? 1 : window.length / plan.rangeBytes;
    return {
      job_id: childJobId(parent.job_id, window.index),
      program,
      required_memory_mb: parent.required_memory_mb,
      required_duration_s: Math.max(0.001, parent.required_duration_s * share),
      requires_gpu: parent.requires_gpu,
      requires_state: parent.requires_state,
      priority: parent.priority,
      timeout_s: parent.timeout_s,
      created_at: isoTime(this.deps.now()),
      metadata: {},
      substrates: parent.substrates,
      max_attempts: parent.max_attempts,
      parent_id: parent.job_id,
      // a private parent's windows stay on trusted substrates; its verification level applies to every window
      ...(parent.private === true ? { private: true } : {}),
      ...(parent.verify === undefined ? {} : { verify: parent.verify }),
      // the parent's cost cap is shared out like its duration; its budget behaviour applies to every window
      ...(parent.max_cost_usd === undefined ? {} : { max_cost_usd: parent.max_cost_usd * share }),
      ...(parent.on_budget === undefined ? {} : { on_budget: parent.on_budget }),
    };
  }

  /** Waits for a child's result in the background; results queue up for nextFinished(). */
  private watch(index: number, childId: string): void {
    const loop = async (): Promise<void> => {
      while (!this.signal.aborted) {
        const startedAt = Date.now();
        const record = await this.deps.store.waitForResult(childId, CHILD_WAIT_MS);
        if (record !== null) {
          this.finished.push({ index, record });
          this.notify?.();
          return;
        }
        // a store that answers "nothing yet" at once (closing) must not turn this into a busy loop
        if (Date.now() - startedAt < CHILD_WAIT_MS / 10) await new Promise((r) => setTimeout(r, this.deps.pollMs));
      }
    };
    loop().catch((err) => {
      // the store failed while waiting: retry the wait after a pause instead of losing the window
      this.deps.logger.warn({ err: toErrorBody(err), job_id: childId }, 'waiting for a window result failed; waiting again');
      setTimeout(() => this.watch(index, childId), this.deps.pollMs).unref();
    });
  }

  /** The next child result; looks for a cancel made by another process at most every pollMs. */
  private async nextFinished(): Promise<Finished> {
    for (;;) {
      if (this.signal.aborted) throw new PacketFSError('CANCELLED', 'split job stopped');
      if (this.deps.now() - this.lastCancelCheck >= this.deps.pollMs) {
        this.lastCancelCheck = this.deps.now();
        if (await this.parentCancelledElsewhere()) {
          this.owner.cancelled(this.job.job_id);
          continue;
        }
      }
      const next = this.finished.shift();
      if (next !== undefined) return next;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { this.notify = null; resolve(); }, this.deps.pollMs);
        this.notify = () => { clearTimeout(timer); this.notify = null; resolve(); };
      });
    }
  }

  private async parentCancelledElsewhere(): Promise<boolean> {
    const view = await this.deps.store.get(this.job.job_id).catch(() => null);
    return view !== null && view.status === 'cancelled';
  }

  private async cancelChildren(): Promise<void> {
    const ids: string[] = [];
    for (let i = 0; i < this.created; i++) if (!this.done.has(i)) ids.push(childJobId(this.job.job_id, i));
    await Promise.all(ids.map((id) => this.deps.store.cancel(id).catch(() => 'not_found')));
  }

  /** A data_url that changed size while its windows were read gives no single-pass answer. */
  private async checkUnchanged(plan: Plan, cause: ErrorBody | null): Promise<void> {
    const { program } = this.job;
    if (program.data_url === undefined) return;
    let now: SourceSize;
    try {
      now = await this.deps.sizeOf(program);
    } catch (err) {
      if (cause !== null) return;
      throw err;
    }
    if (now.size !== plan.source.size) {
      throw new PacketFSError('DATA_FETCH_FAILED',
        `the data at program.data_url changed size during the split job (${plan.source.size} bytes when it started, ${now.size} now)${cause === null ? '' : `; ${cause.code}: ${cause.message}`}`,
        { path: 'program.data_url' });
    }
  }

  private async describeFailure(plan: Plan, err: unknown): Promise<ErrorBody> {
    if (!(err instanceof WindowFailed)) return toErrorBody(err);
    const cause = err.record.error ?? { code: 'CANCELLED', message: `window job ${err.record.job_id} was ${err.record.status}` };
    if (cause.code === 'WINDOW_OUT_OF_RANGE' || cause.code === 'DATA_FETCH_FAILED') {
      try {
        await this.checkUnchanged(plan, cause);
      } catch (changed) {
        return toErrorBody(changed);
      }
    }
    const { window } = err;
    const body: ErrorBody = {
      code: cause.code,
      message: `window ${window.index} of ${plan.count} (bytes ${window.offset}..${window.offset + window.length}) failed after ${err.record.attempts} attempt${err.record.attempts === 1 ? '' : 's'}: ${cause.message}`,
    };
    if (cause.path !== undefined) body.path = cause.path;
    return body;
  }

  private publish(): void {
    this.deps.progress.set(this.job.job_id, this.progress);
    this.owner.changed(this.job.job_id);
  }

  private succeeded(plan: Plan, result: OpResult | OpResult[]): ResultRecord {
    const record = this.record('succeeded', null);
    record.result = result;
    record.bytes_processed = plan.rangeBytes;
    return record;
  }

  private failed(error: ErrorBody): ResultRecord {
    return this.record('failed', error);
  }

  private record(status: 'succeeded' | 'failed', error: ErrorBody | null): ResultRecord {
    const now = this.deps.now();
    const record: ResultRecord = {
      job_id: this.job.job_id,
      status,
      success: status === 'succeeded',
      substrate: 'split',
      result: null,
      exec_time_ms: now - this.startedAt,
      queue_time_ms: Math.max(0, this.startedAt - this.lease.enqueuedAt),
      bytes_processed: 0,
      cost_usd: this.costUsd,
      attempts: this.lease.attempt,
      error,
      completed_at: isoTime(now),
      progress: { ...this.progress },
      split_substrates: { ...this.windowsPerSubstrate },
    };
    if (this.lease.errors.length > 0) record.attempt_errors = this.lease.errors;
    return record;
  }

  private async write(record: ResultRecord): Promise<void> {
    await withStoreRetries(() => this.deps.store.complete([{ lease: this.lease, result: record, metric: metricOf(record) }]));
  }
}

class WindowFailed extends Error {
  constructor(readonly window: SplitWindow, readonly record: ResultRecord) {
    super(`window ${window.index} ${record.status}`);
  }
}
