import { PacketFSError, toErrorBody, type ErrorBody } from '../errors.js';
import type { Completion, Deferral, JobStore, Lease, Retry } from '../store/job-store.js';
import { BudgetGate } from '../budget/budget-gate.js';
import type { ExecOutcome, ExecRequest, Substrate } from '../substrates/substrate.js';
import type { SubstrateRegistry } from '../scheduler/registry.js';
import { expectedCostUsd } from '../scheduler/pricing.js';
import type { Logger } from '../logger.js';
import { Backoff, backoffDelayMs, type BackoffPolicy } from '../util/backoff.js';
import { attemptError, failedRecord, succeededRecord } from '../store/result-records.js';
import { metricOf } from '../store/terminal-records.js';
import { withStoreRetries } from '../util/store-retries.js';
import type { Telemetry } from './telemetry.js';
import { realClock, type Clock, type TimerHandle } from '../util/clock.js';

/**
 * The dispatch loop: take → place → run → settle.
 *
 * States (asserted on each transition):
 *   idle ──start()──► running ──drain()──► draining ──(in-flight settled)──► stopped
 *
 * While running it takes a batch of leases from the store sized to the free
 * slots of the healthy substrates, places each job on its best substrate
 * (scheduler), hands each substrate its share in one execute() call and goes
 * straight back to taking: many batches are in flight at once, so workers
 * never wait for the store and the store never waits for workers. It trades
 * a little latency (a job waits for its batch) for throughput; a lone job
 * still forms a batch of one immediately because submit() wakes the loop.
 *
 * Settling a batch writes all its results with one store call and all its
 * retries with another. A failed attempt is retried (with backoff and
 * jitter) while attempts remain and the error is retryable, excluding the
 * substrates that already failed this job (failover); otherwise the job is
 * recorded as failed, which is the dead letter (GET /v1/jobs?status=failed).
 *
 * Jobs taken but not placeable right now (their pinned substrate is full)
 * are held here, their leases kept alive, and placed first next round.
 */
export interface DispatchLoopOptions {
  store: JobStore;
  registry: SubstrateRegistry;
  telemetry: Telemetry;
  logger: Logger;
  /** most leases taken per store round trip */
  batchSize?: number;
  /**
   * at most this many jobs held (placed, but waiting for a substrate the policy prefers) before the
   * loop stops taking more from the store; default 16 × batchSize. The default policy holds jobs
   * while their deadlines allow waiting for free or cheaper capacity, so this may be well above a batch.
   */
  maxHeld?: number;
  /** lease length; in-flight leases are extended every leaseMs/3 */
  leaseMs?: number;
  /** idle poll interval: other processes (Redis) may enqueue without waking us */
  idlePollMs?: number;
  /** how long after a batch's latest deadline we stop waiting for a substrate that does not answer */
  graceMs?: number;
  /** delay before retrying a job on the substrate it failed on; default JOB_RETRY_BACKOFF */
  backoff?: BackoffPolicy;
  now?: () => number;
  /** time and timers (polls, lease extension, deadlines); default the real clock. `now`, when given, overrides its now() */
  clock?: Clock;
  /** the retry backoff's jitter source; default Math.random (the simulator seeds it) */
  random?: () => number;
  /** jobs it owns (split parents) are handed to it instead of a substrate; their leases stay tracked here */
  coordinator?: LeaseCoordinator;
  /** budgets and job cost caps (docs/costs.md); without it placement ignores cost limits */
  budget?: BudgetGate;
  /** how long a job waits (deferred, queued) before the budget is looked at again for it; default 5000 */
  budgetRecheckMs?: number;
}

/** Something that runs certain leased jobs itself (src/split/split-coordinator.ts). */
export interface LeaseCoordinator {
  owns(job: Lease['job']): boolean;
  /** runs the job to its end and writes its result; never rejects */
  run(lease: Lease): Promise<void>;
}

type LoopState = 'idle' | 'running' | 'draining' | 'stopped';

/**
 * 200 ms × 2^(attempt−1), capped at 30 s, equal jitter: a burst of failures
 * from one broken substrate does not come back as a synchronized burst.
 */
export const JOB_RETRY_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 30_000, jitter: 'equal' };
/** between failed store round trips (several dispatchers may share the store: jittered) */
const STORE_TAKE_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 2_000, jitter: 'equal' };
/** held jobs placed again when capacity may have freed (the longest-held first) */
const HELD_PREFIX = 256;
/** and all of them at least this often */
const HELD_REFRESH_MS = 1000;

export class DispatchLoop {
  private state: LoopState = 'idle';
  private readonly store: JobStore;
  private readonly registry: SubstrateRegistry;
  private readonly telemetry: Telemetry;
  private readonly logger: Logger;
  private readonly batchSize: number;
  private readonly maxHeld: number;
  private heldRefreshedAt = -Infinity;
  private readonly leaseMs: number;
  private readonly idlePollMs: number;
  private readonly graceMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly now: () => number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly coordinator: LeaseCoordinator | undefined;
  private readonly budget: BudgetGate | undefined;
  private readonly budgetRecheckMs: number;

  private readonly inFlight = new Set<Promise<void>>();
  private readonly inFlightLeases = new Set<Lease[]>();
  private held: Lease[] = [];
  /** whether capacity may have been freed since the held jobs were last placed */
  private heldStale = false;
  private wakeUp: (() => void) | null = null;
  private wakePending = false;
  private runPromise: Promise<void> | null = null;
  private leaseTimer: TimerHandle | null = null;

  constructor(opts: DispatchLoopOptions) {
    this.store = opts.store;
    this.registry = opts.registry;
    this.telemetry = opts.telemetry;
    this.logger = opts.logger;
    this.batchSize = opts.batchSize ?? 1024;
    this.maxHeld = opts.maxHeld ?? 16 * this.batchSize;
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.idlePollMs = opts.idlePollMs ?? 50;
    this.graceMs = opts.graceMs ?? 2_000;
    this.backoff = opts.backoff ?? JOB_RETRY_BACKOFF;
    this.clock = opts.clock ?? realClock;
    this.now = opts.now ?? this.clock.now;
    this.random = opts.random ?? Math.random;
    this.coordinator = opts.coordinator;
    this.budget = opts.budget;
    this.budgetRecheckMs = opts.budgetRecheckMs ?? 5000;
  }

  get status(): LoopState {
    return this.state;
  }

  start(): void {
    this.transition('idle', 'running');
    this.leaseTimer = this.clock.setInterval(() => void this.extendLeases(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.leaseTimer.unref();
    this.runPromise = this.run();
  }

  /** Capacity appeared (a node joined, a slot freed): held jobs are placed again, now. */
  capacityChanged(): void {
    this.heldStale = true;
    this.wake();
  }

  /** Something changed (a submit, a freed slot): look at the store now instead of at the next poll. */
  wake(): void {
    if (this.wakeUp) {
      const w = this.wakeUp;
      this.wakeUp = null;
      w();
    } else {
      this.wakePending = true;
    }
  }

  /** Stops taking work, lets in-flight batches finish and settle, gives held jobs back. */
  async drain(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'idle') { this.state = 'stopped'; return; }
    if (this.state === 'running') this.transition('running', 'draining');
    this.wake();
    await this.runPromise;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    if (this.held.length > 0) {
      const now = this.now();
      const back = this.held.splice(0);
      await this.store.retryLater(back.map((lease) => ({
        lease, delayMs: 0,
        error: attemptError(lease.attempt, null, { code: 'SHUTTING_DOWN', message: 'dispatcher shut down before the job was placed' }, now),
      }))).catch((err) => this.logger.warn({ err: toErrorBody(err) }, 'could not give held jobs back; their leases will expire'));
    }
    if (this.leaseTimer) this.clock.clearInterval(this.leaseTimer);
    this.transition('draining', 'stopped');
  }

  private transition(from: LoopState, to: LoopState): void {
    if (this.state !== from) throw new PacketFSError('INTERNAL', `dispatch loop: cannot go ${from} → ${to} from ${this.state}`);
    this.state = to;
  }

  private async run(): Promise<void> {
    const storeBackoff = new Backoff(STORE_TAKE_BACKOFF);
    while (this.state === 'running') {
      // Held jobs wait for capacity: place them again only once some may have been freed
      // (a batch settled, capacity changed, or a poll tick), not on every submit.
      // Only the first HELD_PREFIX held jobs (the longest-held) are placed again each time: freed
      // slots are few, and a deep queue placed again on every settle would cost held × settles.
      // Every HELD_REFRESH_MS all of them are, so each one's slack and queue position are re-checked.
      if (this.held.length > 0 && this.heldStale) {
        this.heldStale = false;
        const now = this.now();
        const all = this.held.length <= HELD_PREFIX || now - this.heldRefreshedAt >= HELD_REFRESH_MS;
        if (all) this.heldRefreshedAt = now;
        const retry = all ? this.held : this.held.slice(0, HELD_PREFIX);
        const rest = all ? [] : this.held.slice(HELD_PREFIX);
        this.held = [];
        this.placeAndRun(retry, true, all);
        // the ones still held stay ahead of the rest, in their order
        if (rest.length > 0) this.held = this.held.concat(rest);
      }
      const free = this.freeSlots();
      if (free <= 0 || this.held.length >= this.maxHeld) {
        await this.waitForWake(this.idlePollMs);
        continue;
      }
      let leases: Lease[];
      try {
        leases = await this.store.take(Math.min(free, this.batchSize), this.leaseMs);
        storeBackoff.reset();
      } catch (err) {
        const delay = storeBackoff.next();
        const failures = storeBackoff.attempts;
        if (failures === 1 || failures % 50 === 0) this.logger.warn({ err: toErrorBody(err), failures }, 'store take failed; retrying');
        await this.waitForWake(delay);
        continue;
      }
      if (leases.length === 0) {
        await this.waitForWake(this.idlePollMs);
        continue;
      }
      this.placeAndRun(leases);
    }
  }

  private waitForWake(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => { this.wakeUp = null; this.heldStale = true; resolve(); }, ms);
      this.wakeUp = () => { this.clock.clearTimeout(timer); resolve(); };
    });
  }

  private freeSlots(): number {
    return this.registry.freeSlots();
  }

  /** `requeue`: these are held jobs placed again, ahead of the other held ones; `allHeld`: all of them */
  private placeAndRun(taken: Lease[], requeue = false, allHeld = false): void {
    const leases = this.coordinator === undefined ? taken : this.handOver(taken, this.coordinator);
    const jobs = leases.map((l) => l.job);
    this.budget?.begin();
    const { groups, unplaced } = this.registry.place(jobs, (_job, i) => failedSubstrates(leases[i]!), this.budget, { requeue, allHeld });
    const now = this.now();
    const failures: Array<{ lease: Lease; error: ErrorBody }> = [];
    const deferrals: Deferral[] = [];
    for (const u of unplaced) {
      const lease = leases[u.index]!;
      // 'busy' means some substrate fits: only 'no_substrate' needs the (costlier) check
      if (u.reason === 'no_substrate' && !this.registry.canEverRun(lease.job)) {
        failures.push({ lease, error: this.registry.noSubstrateError(lease.job).toJSON() });
        continue;
      }
      const verdict = this.budget?.wasRefused(lease.job) === true ? this.budget.verdict(lease.job, this.registry.declared()) : null;
      if (verdict === null || verdict.kind === 'busy') {
        this.held.push(lease);
      } else if (verdict.kind === 'cap') {
        failures.push({ lease, error: verdict.error.toJSON() });
      } else if (lease.job.on_budget === 'fail') {
        failures.push({ lease, error: BudgetGate.budgetError(verdict.reason).toJSON() });
      } else {
        deferrals.push({ lease, delayMs: this.budgetRecheckMs, reason: `${verdict.reason}: waiting for budget` });
      }
    }
    for (const [substrate, indexes] of groups) this.runBatch(substrate, indexes.map((i) => leases[i]!), now);
    if (failures.length > 0) {
      this.track(failures.map((f) => f.lease), this.settleFailures(failures, now));
    }
    if (deferrals.length > 0) {
      this.track(deferrals.map((d) => d.lease), this.withStoreRetries(() => this.store.defer(deferrals)));
    }
  }

  /** Leases the coordinator owns run there (tracked, so their leases are extended); the rest are placed. */
  private handOver(leases: Lease[], coordinator: LeaseCoordinator): Lease[] {
    const rest: Lease[] = [];
    for (const lease of leases) {
      if (coordinator.owns(lease.job)) this.track([lease], coordinator.run(lease));
      else rest.push(lease);
    }
    return rest;
  }

  private runBatch(substrate: Substrate, batch: Lease[], dispatchedAt: number): void {
    const requests: ExecRequest[] = new Array(batch.length);
    let latestDeadline = 0;
    let declaredMs = 0;
    for (let i = 0; i < batch.length; i++) {
      const job = batch[i]!.job;
      declaredMs += job.required_duration_s * 1000;
      const deadline = dispatchedAt + job.timeout_s * 1000;
      if (deadline > latestDeadline) latestDeadline = deadline;
      requests[i] = { job_id: job.job_id, program: job.program, deadline, required_memory_mb: job.required_memory_mb };
      if (job.verify !== undefined) requests[i]!.verify = job.verify;
      if (batch[i]!.attempt >= job.max_attempts) requests[i]!.last_attempt = true;
    }
    this.registry.recordDispatch(substrate.name, batch.length, declaredMs);
    const work = this.executeWithDeadline(substrate, requests, latestDeadline + this.graceMs - dispatchedAt)
      .then((outcomes) => this.settle(substrate, batch, outcomes, dispatchedAt, declaredMs));
    this.track(batch, work);
  }

  private track(batch: Lease[], work: Promise<void>): void {
    this.inFlightLeases.add(batch);
    const done = work
      .catch((err) => this.logger.error({ err: toErrorBody(err) }, 'settling a batch failed; its leases will expire and the jobs run again'))
      .finally(() => {
        this.inFlight.delete(done);
        this.inFlightLeases.delete(batch);
        this.heldStale = true;
        this.wake();
      });
    this.inFlight.add(done);
  }

  /** A substrate that never answers must not hold jobs forever: past the deadline its jobs time out here. */
  private executeWithDeadline(substrate: Substrate, requests: ExecRequest[], waitMs: number): Promise<ExecOutcome[]> {
    let timer: TimerHandle | undefined;
    const safety = new Promise<ExecOutcome[]>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(requests.map(() => ({
        ok: false, retryable: true, exec_time_ms: waitMs,
        error: { code: 'TIMEOUT', message: `substrate ${substrate.name} did not answer before the job's timeout` },
      }))), waitMs);
    });
    const run = substrate.execute(requests).then(
      (outcomes) => outcomes.length === requests.length ? outcomes : requests.map(() => brokenOutcome(substrate, `returned ${outcomes.length} outcomes for ${requests.length} jobs`)),
      (err) => requests.map(() => brokenOutcome(substrate, toErrorBody(err).message)),
    );
    return Promise.race([run, safety]).finally(() => this.clock.clearTimeout(timer));
  }

  private async settle(substrate: Substrate, batch: Lease[], outcomes: ExecOutcome[], dispatchedAt: number, declaredMs: number): Promise<void> {
    const finishedAt = this.now();
    const { pricing, trust } = substrate.capabilities();
    const completions: Completion[] = [];
    const retries: Retry[] = [];
    let spentUsd = 0;
    let failures = 0;
    let bytes = 0;
    let execMs = 0;
    let okExecMs = 0;
    let okDeclaredMs = 0;
    let lastError: string | undefined;
    for (let i = 0; i < batch.length; i++) {
      const lease = batch[i]!;
      const outcome = outcomes[i]!;
      execMs += outcome.exec_time_ms;
      if (outcome.ok) {
        bytes += outcome.bytes_processed;
        okExecMs += outcome.exec_time_ms;
        okDeclaredMs += lease.job.required_duration_s * 1000;
        const costUsd = outcome.cost_usd ?? expectedCostUsd(pricing, lease.job, outcome.exec_time_ms / 1000);
        spentUsd += costUsd;
        const result = succeededRecord(lease, outcome, { substrate: substrate.name, dispatchedAt, costUsd, trust }, finishedAt);
        completions.push({ lease, result, metric: metricOf(result) });
        continue;
      }
      // only the substrate's own breakage counts against it: a job's bad input must not trip its breaker
      if (outcome.retryable) {
        failures++;
        lastError = `${outcome.error.code}: ${outcome.error.message}`;
      }
      this.telemetry.recordAttemptFailure(substrate.name, outcome.error.code);
      const failure = attemptError(lease.attempt, substrate.name, outcome.error, finishedAt, outcome.node);
      if (outcome.retryable && lease.attempt < lease.job.max_attempts) {
        retries.push({ lease, error: failure, delayMs: this.retryDelay(lease, substrate.name) });
      } else {
        const facts = { substrate: substrate.name, dispatchedAt, costUsd: 0, ...(outcome.node === undefined ? {} : { node: outcome.node }) };
        const result = failedRecord(lease, outcome.error, facts, outcome.exec_time_ms, finishedAt, failure);
        completions.push({ lease, result, metric: metricOf(result) });
      }
    }
    if (this.budget !== undefined) this.account(substrate.name, batch, spentUsd, finishedAt);
    this.registry.recordOutcome(substrate.name, { jobs: batch.length, failures, latencyMs: finishedAt - dispatchedAt, bytes, execMs, okExecMs, okDeclaredMs, declaredMs, ...(lastError === undefined ? {} : { error: lastError }) });
    await Promise.all([this.writeCompletions(completions), retries.length > 0 ? this.withStoreRetries(() => this.store.retryLater(retries)) : undefined]);
  }

  /** the batch's metered cost counts against the budget; its estimates stop counting */
  private account(substrate: string, batch: Lease[], spentUsd: number, at: number): void {
    const ledger = this.budget!.ledger;
    if (ledger.hasReservations) for (const lease of batch) ledger.release(lease.job.job_id);
    if (spentUsd > 0) ledger.record([{ substrate, usd: spentUsd, at }]);
  }

  private settleFailures(failures: Array<{ lease: Lease; error: ErrorBody }>, now: number): Promise<void> {
    const completions = failures.map(({ lease, error }) => {
      const result = failedRecord(lease, error, { substrate: null, dispatchedAt: now, costUsd: 0 }, 0, now, attemptError(lease.attempt, null, error, now));
      return { lease, result, metric: metricOf(result) };
    });
    return this.writeCompletions(completions);
  }

  private async writeCompletions(completions: Completion[]): Promise<void> {
    if (completions.length === 0) return;
    const written = await this.withStoreRetries(() => this.store.complete(completions));
    for (let i = 0; i < completions.length; i++) if (written[i]) this.telemetry.recordResult(completions[i]!.result);
  }

  /**
   * Results must not be dropped because the store blinked: retry a few times
   * with backoff. If it stays down the leases expire and the jobs run again,
   * which the idempotent result write makes harmless.
   */
  private withStoreRetries<T>(call: () => Promise<T>): Promise<T> {
    return withStoreRetries(call);
  }

  /** Immediate failover when another substrate can take the job; exponential backoff when only the failed one can. */
  private retryDelay(lease: Lease, failedOn: string): number {
    const avoid = new Set(failedSubstrates(lease) ?? []);
    avoid.add(failedOn);
    const alternative = this.registry.rank(lease.job, avoid).some((r) => !avoid.has(r.substrate.name));
    return alternative ? 0 : backoffDelayMs(this.backoff, lease.attempt - 1, this.random);
  }

  private async extendLeases(): Promise<void> {
    if (this.inFlightLeases.size === 0 && this.held.length === 0) return;
    const leases = this.held.slice();
    for (const batch of this.inFlightLeases) for (const l of batch) leases.push(l);
    try {
      await this.store.extendLeases(leases, this.leaseMs);
    } catch (err) {
      this.logger.warn({ err: toErrorBody(err) }, 'could not extend leases');
    }
  }
}

/** Names of substrates that failed this job in earlier attempts: the scheduler avoids them (failover). */
/**
 * Substrates a retry should avoid: those a previous attempt failed on. A failure the substrate pins
 * on one of its nodes (a browser tab closed, a volunteer left) is that node's, not the pool's: the
 * pool's other nodes stay as good as before, so it is not avoided for that.
 */
function failedSubstrates(lease: Lease): ReadonlySet<string> | undefined {
  if (lease.errors.length === 0) return undefined;
  const names = new Set<string>();
  for (const e of lease.errors) if (e.substrate && e.node === undefined) names.add(e.substrate);
  return names.size === 0 ? undefined : names;
}

function brokenOutcome(substrate: Substrate, why: string): ExecOutcome {
  return { ok: false, retryable: true, exec_time_ms: 0, error: { code: 'SUBSTRATE_FAILED', message: `substrate ${substrate.name} failed: ${why}` } };
}
