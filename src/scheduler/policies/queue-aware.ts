import { PacketFSError } from '../../errors.js';
import type { JobSpec } from '../../job/types.js';
import { expectedCostUsd } from '../pricing.js';
import type { SubstrateState } from '../substrate-state.js';
import type { Policy } from './policy.js';

/**
 * $0.000036 per hour of waiting (1e-8 USD per second): next to nothing on
 * purpose. The deadline (the job's timeout_s) is what bounds latency here,
 * so time only breaks ties: between free substrates the fastest wins, and
 * money is spent only to meet a deadline, never to shave a few seconds.
 */
export const QUEUE_AWARE_VALUE_OF_TIME_USD_PER_S = 1e-8;

/**
 * Free trusted capacity (the local pool) is scarce for private jobs, which
 * can run nowhere else free. While free untrusted nodes are connected (full
 * or not: a full pool frees slots all the time, and a job that would be late
 * waiting for it still takes the threads, by the late penalty), a job that is
 * not private pays for its time on a free trusted substrate as if it took
 * this many times longer: nodes get it whenever they finish within 10× the
 * local pool's time, and the local threads stay for private jobs.
 * Without free nodes there is nothing to save the threads for, and no charge.
 */
export const TRUSTED_RESERVE_FACTOR = 10;

/** how much queue (expected completion) a job may join on a substrate that queues internally: this many of its runs, at least the minimum */
const COMMIT_QUEUE_RUNS = 4;
const COMMIT_QUEUE_MIN_MS = 10_000;

/** a job keeps waiting for a cheaper substrate while its deadline is more than this × the paid completion (+ guard) away */
const HOLD_SAFETY = 2;
const HOLD_GUARD_MS = 5000;

/**
 * Substrates billing whole instances from launch until they are terminated idle, boot and idle time
 * included, by type: instance seconds billed beyond the runs when one is started. EC2 spot
 * (docs/spot.md): a worker joins about 90 s after launch, an instance idle for idle_terminate_s (300 by
 * default) is terminated. Its instance price is the substrate's cost_per_hour_usd.
 */
const INSTANCE_OVERHEAD: Readonly<Record<string, { bootS: number; idleS: number }>> = { spot: { bootS: 90, idleS: 300 } };
/** instances idle for less than this share of idleS are taken to be still up */
const STILL_UP_SHARE = 0.9;

/** added to the score of a substrate expected to finish the job after its deadline: any on-time choice beats it */
const LATE_PENALTY_USD = 1;

export interface QueueAwareOptions {
  /** USD the operator would pay to have a job finish one second sooner */
  valueOfTimeUsdPerS?: number;
  /** how many times its run a non-private job is charged, in time, on a free trusted substrate */
  trustedReserveFactor?: number;
}

/**
 * The default policy: the cheapest substrate expected to finish the job
 * before its deadline, counting the queue in front of it.
 *
 *   run        = declared duration × measured (exec time ÷ declared duration) there (1 until measured)
 *   wait       = jobs ahead beyond its parallel lanes ÷ lanes × measured exec time per job
 *                (ahead = in flight + queued in this placement; lanes = parallelism, else slots)
 *   completion = wait + network round trip (probe RTT; declared latency until probed) + run
 *   score      = expected cost of `run` there (pricing model; per-GB-second at the instance's memory)
 *              + value of time × reserve factor × run, for a non-private job on a free trusted substrate
 *              + value of time × completion
 *              + a late penalty when completion > timeout_s
 *
 * Unlike cost-latency it is queue-aware (the registry lets a job wait for
 * a full substrate when that scores best, rather than spill to a paid one),
 * prices jobs by how long they really run there, and never trades a missed
 * deadline for money.
 */
export function queueAwarePolicy(opts: QueueAwareOptions = {}): Policy {
  const valueOfTime = opts.valueOfTimeUsdPerS ?? QUEUE_AWARE_VALUE_OF_TIME_USD_PER_S;
  if (!(Number.isFinite(valueOfTime) && valueOfTime >= 0)) {
    throw new PacketFSError('INVALID_REQUEST', `value of time must be a finite number >= 0 (USD per second), got ${valueOfTime}`, { path: 'valueOfTimeUsdPerS' });
  }
  const reserveFactor = opts.trustedReserveFactor ?? TRUSTED_RESERVE_FACTOR;
  if (!(Number.isFinite(reserveFactor) && reserveFactor >= 0)) {
    throw new PacketFSError('INVALID_REQUEST', `trusted reserve factor must be a finite number >= 0, got ${reserveFactor}`, { path: 'trustedReserveFactor' });
  }
  // State: whether the placement in progress saw free untrusted nodes connected (set by beginPlacement, read by score).
  let nodesUp = false;
  return {
    name: 'queue-aware',
    queueAware: true,
    beginPlacement: (states) => {
      nodesUp = states.some((s) => s.capabilities.trust === 'untrusted' && s.capabilities.pricing.model === 'free' && s.healthy && s.admits && s.capabilities.max_concurrent_jobs > 0);
    },
    latePenalty: LATE_PENALTY_USD,
    // Hold while the paid substrate would still finish the job with time to spare: twice its expected
    // completion (runs vary; the declared duration is an upper bound, the estimate a mean) plus a guard.
    canWaitFor: (job, msLeft, paidCompletionMs) => msLeft > HOLD_SAFETY * Math.max(paidCompletionMs, job.required_duration_s * 1000 * 0.5) + HOLD_GUARD_MS,
    expectedCompletionMs: (sub, job, queued) => expectedCompletionMs(sub, job, queued),
    drainRate: (sub, job) => lanesOf(sub.capabilities) * 1000 / Math.max(1, expectedRunMs(sub, job)),
    expectedWaitMs: (sub, job, queued) => expectedWaitMs(sub, expectedRunMs(sub, job), queued),
    launchUsd: (sub, _job, sent) => {
      const overhead = INSTANCE_OVERHEAD[sub.type];
      // instances up: busy, started by this placement already, or idle but not yet terminated
      if (overhead === undefined || sent > 0 || (sub.idleMs ?? Infinity) < STILL_UP_SHARE * overhead.idleS * 1000) return 0;
      return sub.capabilities.cost_per_hour_usd * (overhead.bootS + overhead.idleS) / 3600;
    },
    // Instances launched for the recent peak of jobs in flight are up until idle for idleS: while that
    // peak is younger than STILL_UP_SHARE of it, the slots beyond the jobs in flight now are paid for and
    // idle. Only while jobs run there (its instances are busy anyway, and one more does not keep an
    // otherwise idle fleet alive).
    warmSlots: (sub, queued) => {
      const overhead = INSTANCE_OVERHEAD[sub.type];
      const peak = sub.recentPeak;
      if (overhead === undefined || peak === undefined || sub.inFlight === 0 || peak.ageMs >= STILL_UP_SHARE * overhead.idleS * 1000) return 0;
      return Math.max(0, peak.inFlight - sub.inFlight - queued);
    },
    // A queue inside a substrate (the local pool) is a commitment: keep it to a few runs' worth, enough
    // to keep its lanes busy between rounds; the rest wait in the dispatcher, free to go where a slot frees.
    commitLimitMs: (sub, job) => sub.capabilities.parallelism === undefined ? Infinity : Math.max(COMMIT_QUEUE_MIN_MS, COMMIT_QUEUE_RUNS * expectedRunMs(sub, job)),
    score: (sub, job, queued = 0) => {
      const runMs = expectedRunMs(sub, job);
      const completionMs = expectedWaitMs(sub, runMs, queued) + (sub.probeLatencyMs ?? sub.capabilities.latency_ms) + runMs;
      // per-GB-second clouds bill the instance's memory (max_memory_mb), whatever the job declared
      const billed = { required_duration_s: runMs / 1000, required_memory_mb: Math.max(job.required_memory_mb, sub.capabilities.max_memory_mb) };
      const caps = sub.capabilities;
      const reserve = nodesUp && job.private !== true && caps.trust === 'trusted' && caps.pricing.model === 'free' ? valueOfTime * reserveFactor * runMs / 1000 : 0;
      return expectedCostUsd(caps.pricing, billed) + reserve + valueOfTime * completionMs / 1000;
    },
  };
}

function expectedCompletionMs(sub: SubstrateState, job: JobSpec, queued: number): number {
  const runMs = expectedRunMs(sub, job);
  return expectedWaitMs(sub, runMs, queued) + (sub.probeLatencyMs ?? sub.capabilities.latency_ms) + runMs;
}

/** how long the job should run there: its declaration scaled by what that substrate measured */
export function expectedRunMs(sub: SubstrateState, job: JobSpec): number {
  return job.required_duration_s * 1000 * (sub.execRatio ?? 1);
}

/** how long the job would wait for a lane, behind `queued` more jobs than are in flight there */
export function expectedWaitMs(sub: SubstrateState, runMs: number, queued: number): number {
  const caps = sub.capabilities;
  const lanes = lanesOf(caps);
  if (caps.parallelism !== undefined) {
    // Jobs queue inside it, per lane: a lane frees when a job ends. Until its first batch is
    // measured there is nothing to go on but the declaration (30 s by default, usually far off):
    // assume no queue, and let that first batch measure it.
    if (sub.avgExecMs === null) return 0;
    const ahead = sub.inFlight + queued;
    if (ahead < lanes) return 0;
    // the work ahead of it, as declared and scaled by what the substrate measured, shared by the lanes
    const inFlightWorkMs = sub.inFlightDeclaredMs !== undefined && sub.execRatio !== null && sub.execRatio !== undefined
      ? sub.inFlightDeclaredMs * sub.execRatio
      : sub.inFlight * sub.avgExecMs;
    return (inFlightWorkMs + queued * runMs) / lanes;
  }
  // every slot runs: the job waits only past the free slots, for a batch to answer and free its slots
  const over = queued - caps.available_slots + 1;
  if (over <= 0) return 0;
  // jobs ahead are mostly of its own kind. Once runs there are measured, each frees its slot after
  // about its run plus a round trip (the batch round-trip average swings with each batch's slowest
  // job); before that, a batch takes at least this job's run to answer.
  const perJobMs = sub.execRatio !== null && sub.execRatio !== undefined
    ? runMs + (sub.probeLatencyMs ?? caps.latency_ms)
    : Math.max(sub.measuredLatencyMs ?? 0, runMs);
  return (over / lanes) * perJobMs;
}

/** jobs that run at once there: its parallelism (the local pool's threads), else every slot */
function lanesOf(caps: SubstrateState['capabilities']): number {
  return Math.max(1, Math.min(caps.parallelism ?? caps.max_concurrent_jobs, caps.max_concurrent_jobs));
}
