import type { SubstrateView } from '../dispatcher/api.js';
import { PacketFSError } from '../errors.js';
import type { JobSpec } from '../job/types.js';
import type { Substrate } from '../substrates/substrate.js';
import type { Capabilities } from './capabilities.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { constraintMismatch, ineligibility, type ConstraintMismatch } from './filters.js';
import { byteBucket, jobBytes } from './job-bytes.js';
import { LatencyTracker } from './latency-tracker.js';
import type { Policy } from './policies/policy.js';
import type { PlacementGate } from './placement-gate.js';
import { REFERENCE_JOB } from './reference-job.js';
import type { SubstrateState } from './substrate-state.js';

export interface RegistryOptions {
  policy: Policy;
  /** how often each substrate is probed, in the background; default 5000 */
  probeIntervalMs?: number;
  /** a probe that has not answered by then counts as failed; default 10 000 */
  probeTimeoutMs?: number;
  now?: () => number;
  breaker?: { failureThreshold?: number; cooldownMs?: number };
  /** weight of a new sample in the latency/throughput moving averages; default 0.2 */
  latencyAlpha?: number;
}

/** What came back from one batch, for recordOutcome. */
export interface BatchOutcome {
  jobs: number;
  /**
   * jobs the substrate failed (crash, 5xx, disconnect). A job's own fault
   * (bad window, forbidden URL) is not the substrate's and should not be
   * counted, or bad input would trip the circuit breaker.
   */
  failures: number;
  /** wall time from handing the batch over until its outcomes came back */
  latencyMs: number;
  /** bytes the batch's jobs processed */
  bytes: number;
  /** sum of the jobs' own exec_time_ms */
  execMs: number;
  /** shown as last_error in /v1/substrates */
  error?: string;
}

/**
 * Why a job was not placed: 'no_substrate' when no registered substrate
 * meets its constraints even healthy and idle (fail it with NO_SUBSTRATE),
 * 'busy' when one could but none is free right now (keep it queued).
 */
export interface Unplaced {
  index: number;
  reason: 'no_substrate' | 'busy';
  detail: string;
}

export interface Placement {
  /** substrate → indexes into the placed jobs; each group is one batch within that substrate's free slots */
  groups: Map<Substrate, number[]>;
  unplaced: Unplaced[];
}

export interface Ranked {
  substrate: Substrate;
  score: number;
}

/** What the registry knows about one substrate beyond what it declares. */
interface Entry {
  readonly substrate: Substrate;
  readonly tracker: LatencyTracker;
  readonly breaker: CircuitBreaker;
  healthy: boolean;
  inFlight: number;
  probing: boolean;
  lastProbeAt: number | null;
  lastError: string | null;
}

/** One substrate within one placement call. */
interface Snapshot {
  readonly entry: Entry;
  readonly state: SubstrateState;
}

/** Eligible snapshots for one kind of job, best first (indexes into the call's snapshots). */
interface Ranking {
  readonly order: number[];
  readonly scores: number[];
  /** why such a job found no slot; worked out once per kind of job, on first need */
  unplaced?: Omit<Unplaced, 'index'>;
}

/**
 * The substrates of one dispatcher: which exist, how they are doing, and
 * where each job should go (contracts §6).
 *
 * Health comes from background probes only (every probeIntervalMs, never per
 * job). A substrate counts as healthy until its first probe says otherwise, so
 * jobs flow at once on start; a bad one is caught by that probe or by its
 * circuit breaker. Free slots come from the substrate's own
 * `available_slots`, which already counts its running jobs; `in_flight` is
 * the registry's count, used for the queue-wait estimate and /v1/substrates.
 */
export class SubstrateRegistry {
  readonly policy: Policy;
  private readonly entries = new Map<string, Entry>();
  private readonly probeIntervalMs: number;
  private readonly probeTimeoutMs: number;
  private readonly now: () => number;
  private readonly newBreaker: () => CircuitBreaker;
  private readonly newTracker: () => LatencyTracker;
  private probeTimer: NodeJS.Timeout | null = null;
  /** ends the wait of each probe in progress, so close() does not leave timeouts holding the process open */
  private readonly probeWaits = new Set<(reason: Error) => void>();

  constructor(opts: RegistryOptions) {
    this.policy = opts.policy;
    this.probeIntervalMs = positive(opts.probeIntervalMs ?? 5000, 'probeIntervalMs');
    this.probeTimeoutMs = positive(opts.probeTimeoutMs ?? 10_000, 'probeTimeoutMs');
    this.now = opts.now ?? Date.now;
    const now = this.now;
    this.newBreaker = () => new CircuitBreaker({ ...opts.breaker, now });
    this.newTracker = () => new LatencyTracker(opts.latencyAlpha === undefined ? {} : { alpha: opts.latencyAlpha });
    // Bad breaker or alpha options fail here, at configuration, not at the first add().
    this.newBreaker();
    this.newTracker();
  }

  add(substrate: Substrate): void {
    if (this.entries.has(substrate.name)) {
      throw new PacketFSError('CONFLICT', `a substrate named "${substrate.name}" is already registered`, { path: 'name' });
    }
    this.entries.set(substrate.name, {
      substrate,
      tracker: this.newTracker(),
      breaker: this.newBreaker(),
      healthy: true,
      inFlight: 0,
      probing: false,
      lastProbeAt: null,
      lastError: null,
    });
  }

  /** forgets a substrate (it is not closed); outcomes still arriving for it are ignored */
  remove(name: string): boolean {
    return this.entries.delete(name);
  }

  get(name: string): Substrate | undefined {
    return this.entries.get(name)?.substrate;
  }

  all(): Substrate[] {
    return Array.from(this.entries.values(), (e) => e.substrate);
  }

  /** starts background health probes: one round now, then every probeIntervalMs */
  start(): void {
    if (this.probeTimer !== null) return;
    void this.probeAll();
    this.probeTimer = setInterval(() => void this.probeAll(), this.probeIntervalMs);
    // The server keeps the process alive; probes alone must not.
    this.probeTimer.unref();
  }

  /** stops the probes; closing substrates is the dispatcher's job */
  close(): void {
    if (this.probeTimer !== null) clearInterval(this.probeTimer);
    this.probeTimer = null;
    for (const stop of this.probeWaits) stop(new Error('registry closed'));
  }

  /** one probe round over every substrate not already being probed; resolves when all answered or timed out */
  async probeAll(): Promise<void> {
    const idle = Array.from(this.entries.values()).filter((e) => !e.probing);
    await Promise.all(idle.map((e) => this.probe(e)));
  }

  /** eligible substrates for a job, best (lowest score) first; `exclude` is avoided unless nothing else is eligible */
  rank(job: JobSpec, exclude?: ReadonlySet<string>): Ranked[] {
    const snaps = this.snapshot();
    const ranking = rankSnapshots(snaps, job, this.policy);
    const ranked = ranking.order.map((k, j) => ({ substrate: snaps[k]!.entry.substrate, score: ranking.scores[j]! }));
    if (exclude === undefined || exclude.size === 0) return ranked;
    const kept = ranked.filter((r) => !exclude.has(r.substrate.name));
    return kept.length > 0 ? kept : ranked;
  }

  /**
   * Assigns each job to its best eligible substrate that still has a free
   * slot, counting slots taken earlier in this call. Scores are a snapshot at
   * the start of the call; the slot count is what spreads a large batch.
   *
   * The hot path: capabilities() is read once per substrate per call, and
   * jobs with the same constraints (memory, duration, gpu, state, pinning,
   * byte-size bucket) share one ranking, so a batch of identical tiny jobs
   * scores each substrate once. `excludeFor` names substrates a job should
   * avoid (it failed there); they are used only when no other is eligible.
   * A `gate` (the budget) may refuse a substrate for a job; the next in
   * ranking order is tried.
   */
  place(jobs: JobSpec[], excludeFor?: (job: JobSpec, index: number) => ReadonlySet<string> | undefined, gate?: PlacementGate): Placement {
    const snaps = this.snapshot();
    const free = snaps.map((s) => Math.max(0, Math.floor(s.state.capabilities.available_slots)));
    const rankings = new Map<string, Ranking>();
    const groups = new Map<Substrate, number[]>();
    const unplaced: Unplaced[] = [];
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      const key = constraintKey(job);
      let ranking = rankings.get(key);
      if (ranking === undefined) {
        ranking = rankSnapshots(snaps, job, this.policy);
        rankings.set(key, ranking);
      }
      const chosen = pickWithFreeSlot(ranking.order, snaps, free, excludeFor?.(job, i), gate === undefined ? undefined : (k) => gate.admits(job, snaps[k]!.state));
      if (chosen === -1) {
        ranking.unplaced ??= this.whyUnplaced(job, ranking, snaps);
        unplaced.push({ index: i, ...ranking.unplaced });
        continue;
      }
      gate?.placed(job, snaps[chosen]!.state);
      free[chosen]!--;
      const substrate = snaps[chosen]!.entry.substrate;
      const group = groups.get(substrate);
      if (group === undefined) groups.set(substrate, [i]);
      else group.push(i);
    }
    return { groups, unplaced };
  }

  /** every substrate as it declares itself, whatever its health and load */
  declared(): Array<{ name: string; type: string; capabilities: Capabilities }> {
    return Array.from(this.entries.values(), (e) => declared(e.substrate));
  }

  /** whether some registered substrate meets the job's constraints, healthy and free or not */
  canEverRun(job: JobSpec): boolean {
    for (const entry of this.entries.values()) {
      if (constraintMismatch(job, declared(entry.substrate)) === null) return true;
    }
    return false;
  }

  /**
   * The NO_SUBSTRATE error for a job no substrate can ever run. When every
   * substrate refuses it for the same field, `path` names that field.
   */
  noSubstrateError(job: JobSpec): PacketFSError {
    const mismatches = Array.from(this.entries.values(), (e) => ({ name: e.substrate.name, mismatch: constraintMismatch(job, declared(e.substrate)) }));
    const paths = new Set(mismatches.map((m) => m.mismatch?.path));
    const path = paths.size === 1 ? [...paths][0] : undefined;
    return new PacketFSError('NO_SUBSTRATE', explainMismatches(mismatches), path === undefined ? {} : { path });
  }

  /** a batch of `count` jobs was handed to the substrate */
  recordDispatch(name: string, count: number): void {
    const entry = this.entries.get(name);
    if (entry === undefined) return;
    entry.inFlight += count;
    entry.breaker.onDispatch();
  }

  /**
   * The batch's outcomes came back. A batch with any success proves the
   * substrate works (breaker success) and is measured; one where every job
   * failed counts its failures towards opening the breaker and is not
   * measured, since a crash answers fast and would look like speed.
   */
  recordOutcome(name: string, outcome: BatchOutcome): void {
    const entry = this.entries.get(name);
    if (entry === undefined) return;
    entry.inFlight = Math.max(0, entry.inFlight - outcome.jobs);
    if (outcome.error !== undefined) entry.lastError = outcome.error;
    if (outcome.jobs <= 0) return;
    if (outcome.failures < outcome.jobs) {
      entry.tracker.recordBatch(outcome);
      entry.breaker.onSuccess();
    } else {
      entry.breaker.onFailure(outcome.failures);
    }
  }

  /** GET /v1/substrates: each substrate with its state and its score for the reference job */
  views(): SubstrateView[] {
    return Array.from(this.entries.values(), (entry) => {
      const state = stateOf(entry);
      const score = this.policy.score(state, REFERENCE_JOB);
      return {
        name: state.name,
        type: state.type,
        capabilities: state.capabilities,
        healthy: state.healthy,
        circuit: state.circuit,
        in_flight: state.inFlight,
        measured_latency_ms: state.measuredLatencyMs,
        measured_throughput_bps: state.measuredThroughputBps,
        score: Number.isFinite(score) ? score : null,
        last_probe_at: entry.lastProbeAt === null ? null : new Date(entry.lastProbeAt).toISOString(),
        last_error: entry.lastError,
      };
    });
  }

  private snapshot(): Snapshot[] {
    return Array.from(this.entries.values(), (entry) => ({ entry, state: stateOf(entry) }));
  }

  private whyUnplaced(job: JobSpec, ranking: Ranking, snaps: Snapshot[]): Omit<Unplaced, 'index'> {
    if (ranking.order.length > 0) return { reason: 'busy', detail: 'every eligible substrate is full' };
    const mismatches = snaps.map((s) => ({ name: s.state.name, mismatch: constraintMismatch(job, s.state) }));
    if (mismatches.some((m) => m.mismatch === null)) {
      const why = snaps.map((s) => `${s.state.name}: ${ineligibility(job, s.state)}`).join('; ');
      return { reason: 'busy', detail: `no substrate can take it right now (${why})` };
    }
    return { reason: 'no_substrate', detail: explainMismatches(mismatches) };
  }

  /** a probe's answer, or a rejection after probeTimeoutMs (or on close) */
  private withProbeTimeout<T>(probe: Promise<T>): Promise<T> {
    let stop!: (reason: Error) => void;
    const timeout = new Promise<never>((_, reject) => { stop = reject; });
    const timer = setTimeout(() => stop(new Error(`no answer within ${this.probeTimeoutMs} ms`)), this.probeTimeoutMs);
    this.probeWaits.add(stop);
    return Promise.race([probe, timeout]).finally(() => {
      clearTimeout(timer);
      this.probeWaits.delete(stop);
    });
  }

  private async probe(entry: Entry): Promise<void> {
    entry.probing = true;
    const startedAt = this.now();
    try {
      const report = await this.withProbeTimeout(entry.substrate.probe());
      entry.healthy = report.healthy;
      if (report.healthy) entry.tracker.recordProbe(report.latency_ms ?? this.now() - startedAt);
      else entry.lastError = report.detail ?? 'probe reported unhealthy';
      entry.breaker.onProbe(report.healthy);
    } catch (err) {
      entry.healthy = false;
      entry.lastError = `probe failed: ${err instanceof Error ? err.message : String(err)}`;
      entry.breaker.onProbe(false);
    } finally {
      entry.probing = false;
      entry.lastProbeAt = this.now();
    }
  }
}

function stateOf(entry: Entry): SubstrateState {
  const { substrate, tracker, breaker } = entry;
  return {
    name: substrate.name,
    type: substrate.type,
    capabilities: substrate.capabilities(),
    healthy: entry.healthy,
    circuit: breaker.state,
    admits: breaker.canDispatch(),
    inFlight: entry.inFlight,
    measuredLatencyMs: tracker.latencyMs,
    measuredThroughputBps: tracker.throughputBps,
    avgExecMs: tracker.avgExecMs,
  };
}

function declared(substrate: Substrate): { name: string; type: string; capabilities: Capabilities } {
  return { name: substrate.name, type: substrate.type, capabilities: substrate.capabilities() };
}

function rankSnapshots(snaps: Snapshot[], job: JobSpec, policy: Policy): Ranking {
  const scored: Array<{ k: number; score: number }> = [];
  for (let k = 0; k < snaps.length; k++) {
    const state = snaps[k]!.state;
    if (ineligibility(job, state) !== null) continue;
    const score = policy.score(state, job);
    // NaN would leave the sort order arbitrary; a policy that cannot score a substrate does not rank it.
    if (!Number.isNaN(score)) scored.push({ k, score });
  }
  scored.sort((a, b) => a.score - b.score);
  return { order: scored.map((s) => s.k), scores: scored.map((s) => s.score) };
}

/**
 * First substrate in ranking order with a free slot that the gate admits,
 * avoiding `exclude` unless the ranking has nothing else; -1 if none.
 */
function pickWithFreeSlot(order: number[], snaps: Snapshot[], free: number[], exclude: ReadonlySet<string> | undefined, admits: ((k: number) => boolean) | undefined): number {
  let othersEligible = false;
  if (exclude !== undefined && exclude.size > 0) {
    for (const k of order) {
      if (exclude.has(snaps[k]!.state.name) || (admits !== undefined && !admits(k))) continue;
      othersEligible = true;
      if (free[k]! > 0) return k;
    }
  }
  if (othersEligible) return -1;
  for (const k of order) if (free[k]! > 0 && (admits === undefined || admits(k))) return k;
  return -1;
}

/** jobs with equal keys are interchangeable for filtering and (up to the byte bucket) for scoring */
function constraintKey(job: JobSpec): string {
  const pins = job.substrates === null ? '*' : JSON.stringify(job.substrates);
  return `${job.required_memory_mb}|${job.required_duration_s}|${job.requires_gpu ? 1 : 0}|${job.requires_state ? 1 : 0}|${job.private === true ? 1 : 0}|${byteBucket(jobBytes(job))}|${pins}`;
}

function explainMismatches(mismatches: Array<{ name: string; mismatch: ConstraintMismatch | null }>): string {
  if (mismatches.length === 0) return 'no substrates are registered';
  const why = mismatches.map((m) => `${m.name}: ${m.mismatch?.reason ?? 'could run it'}`).join('; ');
  return `no substrate can run this job (${why})`;
}

function positive(value: number, path: string): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new PacketFSError('INVALID_REQUEST', `${path} must be a positive number, got ${value}`, { path });
  }
  return value;
}
