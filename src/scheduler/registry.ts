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
import { realClock, type Clock, type TimerHandle } from '../util/clock.js';

export interface RegistryOptions {
  policy: Policy;
  /** how often each substrate is probed, in the background; default 5000 */
  probeIntervalMs?: number;
  /** a probe that has not answered by then counts as failed; default 10 000 */
  probeTimeoutMs?: number;
  now?: () => number;
  /** time and timers (probes, probe timeouts); default the real clock. `now`, when given, overrides its now() */
  clock?: Clock;
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
  /** exec_time_ms and declared durations (ms) summed over the jobs that succeeded */
  okExecMs?: number;
  okDeclaredMs?: number;
  /** declared durations (ms) of all the batch's jobs, as given to recordDispatch */
  declaredMs?: number;
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

export interface PlaceOptions {
  /**
   * the jobs were held by earlier calls and are placed again, ahead of every other held job (the
   * dispatch loop keeps them in order, most urgent first); otherwise they are new, behind all held jobs
   */
  requeue?: boolean;
  /** with requeue: these are all the held jobs, so the registry's count of who waits where starts over */
  allHeld?: boolean;
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
  /** declared durations (ms) of the jobs in flight */
  inFlightDeclaredMs: number;
  /** when its last job in flight came back (null: never had one) */
  idleSince: number | null;
  /** the most jobs it had in flight at once lately, and when (PEAK_WINDOW_MS: a peak older than that starts over) */
  peakInFlight: number;
  peakAt: number;
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
  private readonly clock: Clock;
  private readonly newBreaker: () => CircuitBreaker;
  private readonly newTracker: () => LatencyTracker;
  private probeTimer: TimerHandle | null = null;
  /** ends the wait of each probe in progress, so close() does not leave timeouts holding the process open */
  private readonly probeWaits = new Set<(reason: Error) => void>();
  /** constraint keys of jobs a queue-aware placement has seen (jobs that wait are placed again each round) */
  private readonly keys = new WeakMap<JobSpec, string>();
  private readonly deadlines = new WeakMap<JobSpec, number>();
  /**
   * Jobs a queue-aware placement left waiting (held by the dispatch loop), per
   * substrate they wait for: new jobs count them as ahead. A job placed again
   * (`requeue`) first leaves the count it was in (`waitsFor`); a call with every
   * held job (`allHeld`) starts the counts over, so nothing stale lingers.
   */
  private readonly waiting = new Map<string, number>();
  private readonly waitsFor = new WeakMap<JobSpec, string>();
  /** held jobs per constraint key: a new job of a kind with held jobs queues behind them */
  private readonly heldOfKind = new Map<string, number>();
  /** per constraint key: arrivals (a count decaying over ARRIVAL_RATE_WINDOW_S) as of `at`, first seen `since` */
  private readonly arrivals = new Map<string, { count: number; at: number; since: number }>();
  /** per constraint key: jobs that went past a substrate for want of its launch (a count decaying over ARRIVAL_RATE_WINDOW_S) as of `at` */
  private readonly spills = new Map<string, { count: number; at: number }>();

  constructor(opts: RegistryOptions) {
    this.policy = opts.policy;
    this.probeIntervalMs = positive(opts.probeIntervalMs ?? 5000, 'probeIntervalMs');
    this.probeTimeoutMs = positive(opts.probeTimeoutMs ?? 10_000, 'probeTimeoutMs');
    this.clock = opts.clock ?? realClock;
    this.now = opts.now ?? this.clock.now;
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
      inFlightDeclaredMs: 0,
      idleSince: null,
      peakInFlight: 0,
      peakAt: -Infinity,
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
    this.probeTimer = this.clock.setInterval(() => void this.probeAll(), this.probeIntervalMs);
    // The server keeps the process alive; probes alone must not.
    this.probeTimer.unref();
  }

  /** stops the probes; closing substrates is the dispatcher's job */
  close(): void {
    if (this.probeTimer !== null) this.clock.clearInterval(this.probeTimer);
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
  place(jobs: JobSpec[], excludeFor?: (job: JobSpec, index: number) => ReadonlySet<string> | undefined, gate?: PlacementGate, opts: PlaceOptions = {}): Placement {
    if (this.policy.queueAware === true) return this.placeQueueAware(jobs, excludeFor, gate, opts.requeue === true, opts.allHeld === true);
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

  /**
   * Placement for a queue-aware policy: each job goes where its score is
   * lowest counting the jobs this call already sent or left waiting there
   * (`queued`), full substrates included. When a full substrate wins, the
   * job waits for it (unplaced, 'busy') rather than spilling to a worse one;
   * its `queued` count grows with every job that waits, so the wait it
   * predicts grows too and, past some point, an alternative wins.
   *
   * Rankings are still shared per kind of job; a substrate's score is
   * recomputed only when its `queued` count moved since it was scored, so
   * a batch costs about one extra score call per job.
   */
  private placeQueueAware(jobs: JobSpec[], excludeFor: ((job: JobSpec, index: number) => ReadonlySet<string> | undefined) | undefined, gate: PlacementGate | undefined, requeue: boolean, allHeld: boolean): Placement {
    const snaps = this.snapshot();
    this.policy.beginPlacement?.(snaps.map((s) => s.state));
    const now = this.now();
    // A substrate that queues jobs internally (parallelism) and has not been measured yet gets one job
    // per lane: its queue wait cannot be estimated, so its first batch is kept small and answers soon.
    const free = snaps.map((s) => Math.max(0, Math.floor(unmeasuredQueue(s.state) ? Math.min(s.state.capabilities.available_slots, s.state.capabilities.parallelism! - s.state.inFlight) : s.state.capabilities.available_slots)));
    // Who waits where: jobs placed again stop counting where they waited; all of them placed again: start over.
    if (requeue && allHeld) {
      this.waiting.clear();
      this.heldOfKind.clear();
    } else if (requeue) {
      for (const job of jobs) {
        const was = this.waitsFor.get(job);
        if (was === undefined) continue;
        this.waitsFor.delete(job);
        this.waiting.set(was, (this.waiting.get(was) ?? 1) - 1);
        const key = this.keys.get(job);
        if (key !== undefined) this.heldOfKind.set(key, (this.heldOfKind.get(key) ?? 1) - 1);
      }
    }
    const heldAtStart = new Map<string, number>();
    // held jobs placed again are ahead of the other held jobs; new jobs are behind every held one
    const queued = snaps.map((s) => (requeue ? 0 : this.waiting.get(s.state.name) ?? 0));
    // A batch answers when its last job is done: a job joining one must not make the batch's earliest deadline late.
    const batchMsLeft = new Array<number>(snaps.length).fill(Infinity);
    const waitingFor: Array<Omit<Unplaced, 'index'> | undefined> = new Array(snaps.length);
    // jobs this call handed to each substrate (not those left waiting for it)
    const sent = new Array<number>(snaps.length).fill(0);
    const rankings = new Map<string, QueueRanking>();
    const groups = new Map<Substrate, number[]>();
    const unplaced: Unplaced[] = [];
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      // held jobs are placed again on every round while they wait: their key is worked out once
      let key = this.keys.get(job);
      if (key === undefined) {
        key = constraintKey(job);
        this.keys.set(job, key);
        this.countArrival(key, now);
      }
      let ranking = rankings.get(key);
      if (ranking === undefined) {
        ranking = { candidates: [], scores: [], completions: [], limits: [], late: [], scoredAt: [], arrivalsPerS: this.arrivalsPerS(key, now), spilled: this.recentSpills(key, now), launchable: Infinity };
        for (let k = 0; k < snaps.length; k++) {
          if (ineligibility(job, snaps[k]!.state, true) !== null) continue;
          ranking.candidates.push(k);
          ranking.scores.push(this.policy.score(snaps[k]!.state, job, 0));
          ranking.completions.push(this.policy.expectedCompletionMs?.(snaps[k]!.state, job, 0) ?? 0);
          ranking.limits.push(this.policy.commitLimitMs?.(snaps[k]!.state, job) ?? Infinity);
          ranking.late.push('no');
          ranking.scoredAt.push(0);
        }
        rankings.set(key, ranking);
      }
      const exclude = excludeFor?.(job, i);
      const admits = gate === undefined ? undefined : (k: number): boolean => free[k]! <= 0 || gate.admits(job, snaps[k]!.state);
      const msLeft = this.msLeft(job, now);
      let pick = bestCandidate(ranking, snaps, job, this.policy, queued, exclude, msLeft, batchMsLeft, admits, free, sent);
      // a job about to wait for a trusted substrate (scarce: the local threads, Fly) may take a paid, idle spot slot
      const waitsFor = pick.hold !== -1 ? pick.hold : pick.best !== -1 && free[pick.best]! <= 0 ? pick.best : -1;
      if (waitsFor !== -1 && snaps[waitsFor]!.state.capabilities.trust === 'trusted') {
        const warm = warmCandidate(ranking, snaps, this.policy, queued, free, exclude, admits);
        if (warm !== -1) pick = { best: warm, hold: -1 };
      }
      const chosen = pick.hold === -1 ? pick.best : pick.hold;
      if (chosen === -1) {
        if (ranking.candidates.length === 0 && ranking.unplaced === undefined) ranking.unplaced = this.whyUnplaced(job, { order: [], scores: [] }, snaps);
        const why = ranking.unplaced ?? ALL_FULL;
        unplaced.push({ index: i, reason: why.reason, detail: why.detail });
        continue;
      }
      queued[chosen]!++;
      // a new job does not overtake held jobs of its kind (same constraints): they have the earlier
      // deadlines, and the capacity it would take is what they wait for; it queues behind them
      // (held by earlier calls: jobs of this call are in their order already)
      let heldBefore = heldAtStart.get(key);
      if (heldBefore === undefined) {
        heldBefore = this.heldOfKind.get(key) ?? 0;
        heldAtStart.set(key, heldBefore);
      }
      const behindHeld = !requeue && heldBefore > 0;
      if (free[chosen]! <= 0 || pick.hold !== -1 || behindHeld) {
        this.waiting.set(snaps[chosen]!.state.name, (this.waiting.get(snaps[chosen]!.state.name) ?? 0) + 1);
        this.waitsFor.set(job, snaps[chosen]!.state.name);
        this.heldOfKind.set(key, (this.heldOfKind.get(key) ?? 0) + 1);
        let why = waitingFor[chosen];
        if (why === undefined) {
          why = { reason: 'busy', detail: `waiting for ${snaps[chosen]!.state.name}: expected to finish it sooner or cheaper than elsewhere` };
          waitingFor[chosen] = why;
        }
        unplaced.push({ index: i, reason: why.reason, detail: why.detail });
        continue;
      }
      if (pick.hold === -1 && passedLaunch(ranking, chosen)) {
        ranking.spilled++;
        this.countSpill(key, now);
      }
      gate?.placed(job, snaps[chosen]!.state);
      free[chosen]!--;
      sent[chosen]!++;
      if (msLeft < batchMsLeft[chosen]!) batchMsLeft[chosen] = msLeft;
      const substrate = snaps[chosen]!.entry.substrate;
      const group = groups.get(substrate);
      if (group === undefined) groups.set(substrate, [i]);
      else group.push(i);
    }
    return { groups, unplaced };
  }

  /** one more job of this kind arrived (first seen by a placement) */
  private countArrival(key: string, now: number): void {
    const a = this.arrivals.get(key);
    if (a === undefined) {
      this.arrivals.set(key, { count: 1, at: now, since: now });
      return;
    }
    a.count = a.count * Math.exp(-Math.max(0, now - a.at) / 1000 / ARRIVAL_RATE_WINDOW_S) + 1;
    a.at = now;
  }

  /** one more job of this kind went past a substrate for want of its launch */
  private countSpill(key: string, now: number): void {
    const a = this.spills.get(key);
    if (a === undefined) {
      this.spills.set(key, { count: 1, at: now });
      return;
    }
    a.count = a.count * Math.exp(-Math.max(0, now - a.at) / 1000 / ARRIVAL_RATE_WINDOW_S) + 1;
    a.at = now;
  }

  /** jobs of this kind that went past a substrate for want of its launch lately (decayed over about ARRIVAL_RATE_WINDOW_S) */
  private recentSpills(key: string, now: number): number {
    const a = this.spills.get(key);
    return a === undefined ? 0 : a.count * Math.exp(-Math.max(0, now - a.at) / 1000 / ARRIVAL_RATE_WINDOW_S);
  }

  /**
   * jobs of this kind arriving per second, averaged over about the last ARRIVAL_RATE_WINDOW_S
   * (a decayed count over the decayed span; while the kind is newer than the window, over its age)
   */
  private arrivalsPerS(key: string, now: number): number {
    const a = this.arrivals.get(key);
    if (a === undefined) return 0;
    const count = a.count * Math.exp(-Math.max(0, now - a.at) / 1000 / ARRIVAL_RATE_WINDOW_S);
    const spanS = ARRIVAL_RATE_WINDOW_S * (1 - Math.exp(-Math.max(1, now - a.since) / 1000 / ARRIVAL_RATE_WINDOW_S));
    return count / spanS;
  }

  /** ms until the job's deadline (created_at + timeout_s), worked out once per job */
  private msLeft(job: JobSpec, now: number): number {
    let due = this.deadlines.get(job);
    if (due === undefined) {
      const created = Date.parse(job.created_at);
      due = (Number.isFinite(created) ? created : now) + job.timeout_s * 1000;
      this.deadlines.set(job, due);
    }
    return due - now;
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

  /** a batch of `count` jobs, declaring `declaredMs` of run time in all, was handed to the substrate */
  recordDispatch(name: string, count: number, declaredMs = 0): void {
    const entry = this.entries.get(name);
    if (entry === undefined) return;
    entry.inFlight += count;
    const now = this.now();
    if (entry.inFlight >= entry.peakInFlight || now - entry.peakAt > PEAK_WINDOW_MS) {
      entry.peakInFlight = entry.inFlight;
      entry.peakAt = now;
    }
    entry.inFlightDeclaredMs += declaredMs;
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
    entry.inFlightDeclaredMs = entry.inFlight === 0 ? 0 : Math.max(0, entry.inFlightDeclaredMs - (outcome.declaredMs ?? 0));
    if (entry.inFlight === 0) entry.idleSince = this.now();
    if (outcome.error !== undefined) entry.lastError = outcome.error;
    if (outcome.jobs <= 0) return;
    if (outcome.failures < outcome.jobs) {
      entry.tracker.recordBatch(outcome);
      entry.breaker.onSuccess();
    } else {
      entry.breaker.onFailure(outcome.failures);
    }
  }

  /** free slots of the substrates that can take work now (healthy, breaker admitting): how much to take from the store */
  freeSlots(): number {
    let free = 0;
    for (const entry of this.entries.values()) {
      if (!entry.healthy || !entry.breaker.canDispatch()) continue;
      free += Math.max(0, entry.substrate.capabilities().available_slots);
    }
    return free;
  }

  /** GET /v1/substrates: each substrate with its state and its score for the reference job */
  views(): SubstrateView[] {
    return Array.from(this.entries.values(), (entry) => {
      const state = stateOf(entry, this.now());
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
    const now = this.now();
    return Array.from(this.entries.values(), (entry) => ({ entry, state: stateOf(entry, now) }));
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
    const timer = this.clock.setTimeout(() => stop(new Error(`no answer within ${this.probeTimeoutMs} ms`)), this.probeTimeoutMs);
    this.probeWaits.add(stop);
    return Promise.race([probe, timeout]).finally(() => {
      this.clock.clearTimeout(timer);
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

function stateOf(entry: Entry, now: number): SubstrateState {
  const { substrate, tracker, breaker } = entry;
  return {
    name: substrate.name,
    type: substrate.type,
    capabilities: substrate.capabilities(),
    healthy: entry.healthy,
    circuit: breaker.state,
    admits: breaker.canDispatch(),
    inFlight: entry.inFlight,
    inFlightDeclaredMs: entry.inFlightDeclaredMs,
    measuredLatencyMs: tracker.latencyMs,
    measuredThroughputBps: tracker.throughputBps,
    avgExecMs: tracker.avgExecMs,
    execRatio: tracker.execRatio,
    probeLatencyMs: tracker.probeLatencyMs,
    idleMs: entry.inFlight > 0 ? 0 : entry.idleSince === null ? Infinity : Math.max(0, now - entry.idleSince),
    recentPeak: { inFlight: entry.peakInFlight, ageMs: Math.max(0, now - entry.peakAt) },
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

const LATE_MARGIN = 0.75;
/** how long a substrate's peak of jobs in flight is remembered (SubstrateState.recentPeak): about an instance's idle termination */
const PEAK_WINDOW_MS = 300_000;
/** seconds over which the arrival rate of each kind of job is averaged */
const ARRIVAL_RATE_WINDOW_S = 30;
const CATCH_UP_MARGIN = 0.9;
/** a job is held for a cheaper substrate only while that one is expected to finish it within this share of the time left (without the late margin) */
const HOLD_REACH = 1;
const ALL_FULL: Omit<Unplaced, 'index'> = { reason: 'busy', detail: 'every eligible substrate is full' };

/** one kind of job's candidates for a queue-aware policy, with each one's score and the `queued` count it was scored at */
interface QueueRanking {
  readonly candidates: number[];
  readonly scores: number[];
  /** expected completion (ms from now), for deadline-aware policies */
  readonly completions: number[];
  /** the most completion time a job of this kind may commit to there (Policy.commitLimitMs) */
  readonly limits: number[];
  /** whether, and why, a job of this kind would be late there (as of the last bestCandidate) */
  readonly late: Array<'no' | 'batch' | 'limit' | 'deadline'>;
  /** jobs of this kind arriving per second lately */
  readonly arrivalsPerS: number;
  /** jobs of this kind that lately went past a substrate for want of its launch (a decayed count); grows within the call */
  spilled: number;
  /** for the job being placed: the lowest score, launch aside, of the candidates that would need one (Infinity: none) */
  launchable: number;
  readonly scoredAt: number[];
  unplaced?: Omit<Unplaced, 'index'>;
}

/** What bestCandidate found: where the job should go, and whether it should rather wait for a cheaper substrate. */
interface Pick {
  /** the lowest-scoring candidate, late penalty included; -1 if none */
  best: number;
  /**
   * -1, or a cheaper candidate expected to finish late right now (its queue is long): the job
   * waits for it (stays queued, not handed to it) instead of paying for `best`, because the
   * policy says it can still go to `best` later and finish on time (see Policy.canWaitFor)
   */
  hold: number;
}

/**
 * The lowest-scoring candidate (re-scored if its queue moved) that the gate admits,
 * avoiding `exclude` unless nothing else is a candidate; and whether to hold the job for a cheaper one.
 */
function bestCandidate(
  ranking: QueueRanking, snaps: Snapshot[], job: JobSpec, policy: Policy, queued: number[], exclude: ReadonlySet<string> | undefined, msLeft: number,
  batchMsLeft: readonly number[], admits: ((k: number) => boolean) | undefined, free: readonly number[], sent: readonly number[],
): Pick {
  let best = -1;
  let bestScore = Infinity;
  let bestBase = Infinity;
  let bestLate = false;
  let bestCompletion = Infinity;
  // late only by the policy's commit limit, not by the deadline: wait for it rather than queue there now
  let bestOverLimit = false;
  let bestExcluded = -1;
  let bestExcludedScore = Infinity;
  const { candidates, scores, scoredAt } = ranking;
  for (let c = 0; c < candidates.length; c++) {
    const k = candidates[c]!;
    if (scoredAt[c] !== queued[k]) {
      scores[c] = policy.score(snaps[k]!.state, job, queued[k]);
      if (policy.expectedCompletionMs !== undefined) ranking.completions[c] = policy.expectedCompletionMs(snaps[k]!.state, job, queued[k]!);
      scoredAt[c] = queued[k]!;
    }
  }
  if (policy.launchUsd !== undefined) addLaunchShares(ranking, snaps, job, policy, sent);
  for (let c = 0; c < candidates.length; c++) {
    const k = candidates[c]!;
    // late: expected to finish in the last quarter of the time left or after it (estimates err; leave a margin);
    // the penalty grows with lateness, so a job already late goes where it finishes soonest
    const completion = ranking.completions[c]!;
    const dueMs = LATE_MARGIN * Math.min(msLeft, batchMsLeft[k]!);
    const lateMs = completion - Math.min(dueMs, ranking.limits[c]!);
    const base = scores[c]!;
    // why late, if late: only by joining a batch with an earlier deadline (a new batch next round
    // would do), only by the commit limit (its queue could still reach the job in time), or by the deadline
    ranking.late[c] = lateMs <= 0 ? 'no'
      : completion <= Math.min(LATE_MARGIN * msLeft, ranking.limits[c]!) ? 'batch'
        : completion <= CATCH_UP_MARGIN * msLeft && completion > ranking.limits[c]! ? 'limit' : 'deadline';
    const score = lateMs > 0 ? base + (policy.latePenalty ?? 0) * (1 + lateMs / 1000) : base;
    if (Number.isNaN(score)) continue;
    // the gate (budget) is asked only about a candidate that would win so far, and only when it has a free slot
    if (exclude?.has(snaps[k]!.state.name)) {
      if (score < bestExcludedScore && (admits === undefined || admits(k))) { bestExcludedScore = score; bestExcluded = k; }
      continue;
    }
    if (score < bestScore && (admits === undefined || admits(k))) {
      bestScore = score;
      bestBase = base;
      bestLate = lateMs > 0;
      bestCompletion = completion;
      bestOverLimit = lateMs > 0 && completion <= dueMs;
      best = k;
    }
  }
  if (best === -1) return { best: bestExcluded, hold: -1 };
  if (bestOverLimit) return { best, hold: best };
  // A cheaper substrate late only because of the batch this call is filling there (its next batch
  // will do), or only past its commit limit while jobs like this arrive slower than it finishes them
  // (it will catch up, and paying now would only leave it idle later): wait for it.
  if (!bestLate) {
    let catchUp = -1;
    let catchUpBase = bestBase;
    for (let c = 0; c < candidates.length; c++) {
      const k = candidates[c]!;
      const why = ranking.late[c];
      if ((why !== 'batch' && why !== 'limit') || scores[c]! >= catchUpBase || exclude?.has(snaps[k]!.state.name) === true) continue;
      if (why === 'batch' || ranking.arrivalsPerS < (policy.drainRate?.(snaps[k]!.state, job) ?? 0)) {
        catchUp = k;
        catchUpBase = scores[c]!;
      }
    }
    if (catchUp !== -1) return { best, hold: catchUp };
  }
  // Pay only when needed: while the job could still go to `best` later and be on time, it waits
  // for the cheapest substrate that is cheaper and expected to finish it before the deadline,
  // only not with the late margin: its queue may move faster than estimated (capacity frees, runs
  // end early), and each round places held jobs again, so the choice is re-made with fresher numbers.
  if (bestLate || policy.canWaitFor?.(job, msLeft, bestCompletion) !== true) return { best, hold: -1 };
  // A held job is not bound to one substrate: whichever cheaper one frees a lane first takes it. So the
  // cheaper substrates are one queue: every job waiting at any of them (in its internal queue or held
  // for it) is ahead, and that queue drains at their combined rate. Counting one substrate's queue
  // against its share of the rate would miss the jobs held for the others, and hold twice too many.
  const pool = pooledBacklog(ranking, snaps, job, policy, queued, exclude, bestBase);
  let hold = -1;
  let holdBase = bestBase;
  for (let c = 0; c < candidates.length; c++) {
    const k = candidates[c]!;
    const base = scores[c]!;
    // A cheaper substrate with free slots is waited for only when late just by its commit limit (the local
    // pool's short queue) and the job is a retry barred from a substrate it failed on: the cheaper ones
    // it may still use are fewer, its best is then a dearer one (Lambda after Fly failed it), and the local
    // queue, drained in its turn, still makes the deadline. A first attempt does not: the free slot of
    // a capacity-limited `best` (Fly) used now is capacity the next jobs cannot use later.
    const waitable = free[k]! <= 0 || (ranking.late[c] === 'limit' && exclude !== undefined && exclude.size > 0);
    if (base >= holdBase || !waitable || exclude?.has(snaps[k]!.state.name) === true) continue;
    const ownWait = policy.expectedWaitMs?.(snaps[k]!.state, job, queued[k]!) ?? 0;
    const reach = pool.rate > 0 ? pool.aheadJobs / pool.rate * 1000 + ranking.completions[c]! - ownWait : ranking.completions[c]!;
    if (reach < HOLD_REACH * msLeft) {
      holdBase = base;
      hold = k;
    }
  }
  return { best, hold };
}

/**
 * Capacity already paid for, for a job that would wait for a trusted substrate (the local threads, Fly:
 * capacity the jobs behind it need; free nodes are plenty): a substrate billing whole instances (spot) with
 * slots of instances up and idle (Policy.warmSlots), billed whether used or not, that finishes the job on
 * time. Waiting for a cheaper substrate would leave them idle now and take that one's capacity from the
 * jobs behind, which then need more instances, or a dearer cloud, later. The lowest-scoring such
 * candidate with a free slot; -1 if none.
 */
function warmCandidate(
  ranking: QueueRanking, snaps: Snapshot[], policy: Policy, queued: readonly number[], free: readonly number[],
  exclude: ReadonlySet<string> | undefined, admits: ((k: number) => boolean) | undefined,
): number {
  if (policy.warmSlots === undefined) return -1;
  let warm = -1;
  let warmScore = Infinity;
  for (let c = 0; c < ranking.candidates.length; c++) {
    const k = ranking.candidates[c]!;
    if (free[k]! <= 0 || ranking.late[c] !== 'no' || ranking.scores[c]! >= warmScore || exclude?.has(snaps[k]!.state.name) === true) continue;
    if (policy.warmSlots(snaps[k]!.state, queued[k]!) <= 0 || (admits !== undefined && !admits(k))) continue;
    warm = k;
    warmScore = ranking.scores[c]!;
  }
  return warm;
}

/**
 * Starting capacity on a substrate that bills whole instances (boot and idle time too) costs a
 * one-off sum (Policy.launchUsd), shared by the jobs that will use it. How many will is measured:
 * the jobs of this kind that lately went to a dearer substrate although this one, launched, would
 * have run them for less, this one included. A burst overflowing the cheaper substrates shares one launch among dozens of
 * jobs; a job or two overflowing at the end of one pays for it alone, and then a cloud billed per
 * run is cheaper. The share is added to the candidate's score for this job only (scoredAt is reset
 * so the next job scores it afresh).
 */
function addLaunchShares(ranking: QueueRanking, snaps: Snapshot[], job: JobSpec, policy: Policy, sent: readonly number[]): void {
  ranking.launchable = Infinity;
  for (let c = 0; c < ranking.candidates.length; c++) {
    const k = ranking.candidates[c]!;
    const launch = policy.launchUsd!(snaps[k]!.state, job, sent[k]!);
    if (!(launch > 0)) continue;
    ranking.launchable = Math.min(ranking.launchable, ranking.scores[c]!);
    ranking.scores[c]! += launch / (1 + ranking.spilled);
    ranking.scoredAt[c] = NaN;
  }
}

/** whether the job, sent to snapshot `k`, passed over a substrate that would have run it cheaper but for a launch */
function passedLaunch(ranking: QueueRanking, k: number): boolean {
  if (!(ranking.launchable < Infinity)) return false;
  const at = ranking.candidates.indexOf(k);
  return at !== -1 && ranking.scores[at]! > ranking.launchable;
}

/**
 * The substrates cheaper than `belowBase` (not excluded) as one queue: jobs that finish there per
 * second, summed, and the jobs ahead of this one there (each one's expected wait × its drain rate).
 */
function pooledBacklog(
  ranking: QueueRanking, snaps: Snapshot[], job: JobSpec, policy: Policy, queued: readonly number[], exclude: ReadonlySet<string> | undefined, belowBase: number,
): { rate: number; aheadJobs: number } {
  let rate = 0;
  let aheadJobs = 0;
  for (let c = 0; c < ranking.candidates.length; c++) {
    const k = ranking.candidates[c]!;
    if (ranking.scores[c]! >= belowBase || exclude?.has(snaps[k]!.state.name) === true) continue;
    const r = policy.drainRate?.(snaps[k]!.state, job) ?? 0;
    rate += r;
    aheadJobs += (policy.expectedWaitMs?.(snaps[k]!.state, job, queued[k]!) ?? 0) / 1000 * r;
  }
  return { rate, aheadJobs };
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

/** a substrate that queues jobs behind its lanes, before any batch there was measured */
function unmeasuredQueue(state: SubstrateState): boolean {
  return state.capabilities.parallelism !== undefined && state.avgExecMs === null;
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
