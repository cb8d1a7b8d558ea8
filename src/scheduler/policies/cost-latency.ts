import { PacketFSError } from '../../errors.js';
import type { JobSpec } from '../../job/types.js';
import { jobBytes } from '../job-bytes.js';
import { expectedCostUsd } from '../pricing.js';
import type { SubstrateState } from '../substrate-state.js';
import type { Policy } from './policy.js';

/**
 * $3.60 per hour of waiting, i.e. 0.001 USD per second: roughly what an hour
 * of a large on-demand cloud machine costs. At this value paying for speed
 * wins only when it buys a noticeable wait: a $0.0002 Lambda invocation must
 * answer 200 ms sooner than a free substrate to be chosen over it, and a
 * $1.50/h machine's 30 s of billed time ($0.0125) is worth 12.5 s.
 */
export const DEFAULT_VALUE_OF_TIME_USD_PER_S = 0.001;

export interface CostLatencyOptions {
  /** USD the operator would pay to have a job finish one second sooner */
  valueOfTimeUsdPerS?: number;
}

/**
 * The default policy: money plus time, both in USD.
 *
 *   score = expected cost of the job there (pricing model, declared duration and memory)
 *         + valueOfTime × expected completion latency, where latency =
 *             measured round trip (declared latency_ms until measured)
 *           + queue wait: in_flight ÷ max_concurrent_jobs × measured exec time per job
 *           + job bytes ÷ measured throughput (when both are known)
 *
 * Every latency term comes from measurements as soon as they exist, so
 * placement follows what substrates actually do rather than what they claim.
 */
export function costLatencyPolicy(opts: CostLatencyOptions = {}): Policy {
  const valueOfTime = opts.valueOfTimeUsdPerS ?? DEFAULT_VALUE_OF_TIME_USD_PER_S;
  if (!(Number.isFinite(valueOfTime) && valueOfTime >= 0)) {
    throw new PacketFSError('INVALID_REQUEST', `value of time must be a finite number >= 0 (USD per second), got ${valueOfTime}`, { path: 'valueOfTimeUsdPerS' });
  }
  return {
    name: 'cost-latency',
    score: (sub, job) => expectedCostUsd(sub.capabilities.pricing, job) + valueOfTime * expectedLatencyMs(sub, job) / 1000,
  };
}

export function expectedLatencyMs(sub: SubstrateState, job: JobSpec): number {
  const roundTrip = sub.measuredLatencyMs ?? sub.capabilities.latency_ms;
  const slots = sub.capabilities.max_concurrent_jobs;
  const queueWait = sub.avgExecMs !== null && slots > 0 ? (sub.inFlight / slots) * sub.avgExecMs : 0;
  const bytes = jobBytes(job);
  const transfer = bytes > 0 && sub.measuredThroughputBps !== null && sub.measuredThroughputBps > 0
    ? (bytes / sub.measuredThroughputBps) * 1000
    : 0;
  return roundTrip + queueWait + transfer;
}
