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
 * What a second of a free *trusted* substrate (the local pool) is worth to
 * jobs that may run nowhere else free: private jobs must otherwise buy it
 * (one EC2 spot vCPU, about $0.0175 an hour). A job that could run on free
 * untrusted nodes is charged this there, so it leaves the scarce trusted
 * capacity to private jobs unless nodes would miss its deadline.
 */
export const TRUSTED_FREE_SHADOW_USD_PER_S = 0.0175 / 3600;

/** added to the score of a substrate expected to finish the job after its deadline: any on-time choice beats it */
const LATE_PENALTY_USD = 1;

export interface QueueAwareOptions {
  /** USD the operator would pay to have a job finish one second sooner */
  valueOfTimeUsdPerS?: number;
  /** price of a second of free trusted capacity for jobs that could run on untrusted nodes */
  trustedShadowUsdPerS?: number;
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
 *              + shadow price × run, for a non-private job on a free trusted substrate
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
  const shadow = opts.trustedShadowUsdPerS ?? TRUSTED_FREE_SHADOW_USD_PER_S;
  if (!(Number.isFinite(shadow) && shadow >= 0)) {
    throw new PacketFSError('INVALID_REQUEST', `trusted shadow price must be a finite number >= 0 (USD per second), got ${shadow}`, { path: 'trustedShadowUsdPerS' });
  }
  return {
    name: 'queue-aware',
    queueAware: true,
    latePenalty: LATE_PENALTY_USD,
    expectedCompletionMs: (sub, job, queued) => expectedCompletionMs(sub, job, queued),
    score: (sub, job, queued = 0) => {
      const runMs = expectedRunMs(sub, job);
      const completionMs = expectedWaitMs(sub, runMs, queued) + (sub.probeLatencyMs ?? sub.capabilities.latency_ms) + runMs;
      // per-GB-second clouds bill the instance's memory (max_memory_mb), whatever the job declared
      const billed = { required_duration_s: runMs / 1000, required_memory_mb: Math.max(job.required_memory_mb, sub.capabilities.max_memory_mb) };
      const caps = sub.capabilities;
      const reserve = job.private !== true && caps.trust === 'trusted' && caps.pricing.model === 'free' ? shadow * runMs / 1000 : 0;
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
  const lanes = Math.max(1, Math.min(caps.parallelism ?? caps.max_concurrent_jobs, caps.max_concurrent_jobs));
  if (caps.parallelism !== undefined) {
    // jobs queue inside it, per lane: a lane frees when a job ends
    const ahead = sub.inFlight + queued;
    return ahead < lanes ? 0 : ((ahead - lanes + 1) / lanes) * (sub.avgExecMs ?? runMs);
  }
  // every slot runs: the job waits only past the free slots, for a batch to answer and free its slots
  const over = queued - caps.available_slots + 1;
  return over <= 0 ? 0 : (over / lanes) * (sub.measuredLatencyMs ?? runMs);
}
