import type { JobSpec } from '../job/types.js';
import type { Capabilities } from './capabilities.js';
import type { SubstrateState } from './substrate-state.js';

/** Why a substrate can never run a job, with the job field at fault (for NO_SUBSTRATE errors). */
export interface ConstraintMismatch {
  path: string;
  reason: string;
}

/**
 * The job's own constraints against what a substrate declares, ignoring its
 * health and load: a mismatch here means that substrate will never run this
 * job, however long it waits.
 */
export function constraintMismatch(
  job: JobSpec,
  sub: { readonly name: string; readonly type: string; readonly capabilities: Capabilities },
): ConstraintMismatch | null {
  const caps = sub.capabilities;
  if (job.substrates !== null && !job.substrates.includes(sub.name) && !job.substrates.includes(sub.type)) {
    return { path: 'substrates', reason: `not in the job's substrates (${job.substrates.join(', ')})` };
  }
  if (job.private === true && caps.trust !== 'trusted') {
    return { path: 'private', reason: 'is untrusted, and the job is private' };
  }
  if (job.required_memory_mb > caps.max_memory_mb) {
    return { path: 'required_memory_mb', reason: `needs ${job.required_memory_mb} MB, offers ${caps.max_memory_mb} MB` };
  }
  if (job.required_duration_s > caps.max_duration_seconds) {
    return { path: 'required_duration_s', reason: `needs ${job.required_duration_s} s, allows ${caps.max_duration_seconds} s` };
  }
  if (job.requires_gpu && !caps.supports_gpu) return { path: 'requires_gpu', reason: 'has no GPU' };
  if (job.requires_state && !caps.supports_persistent_state) return { path: 'requires_state', reason: 'has no persistent state' };
  return null;
}

/**
 * Why a substrate cannot take a job right now, or null when it can (contracts §6 filter).
 * With `ignoreSlots`, a substrate that is only full still counts (a queue-aware policy may wait for it),
 * but not one with no capacity at all.
 */
export function ineligibility(job: JobSpec, state: SubstrateState, ignoreSlots = false): string | null {
  const mismatch = constraintMismatch(job, state);
  if (mismatch !== null) return mismatch.reason;
  if (!state.healthy) return 'unhealthy';
  if (!state.admits) return `circuit ${state.circuit}`;
  if (!ignoreSlots && !(state.capabilities.available_slots > 0)) return 'no free slots';
  // nothing to wait for where nothing is connected (a node pool without nodes)
  if (ignoreSlots && !(state.capabilities.max_concurrent_jobs > 0)) return 'no capacity';
  return null;
}

export function eligible(job: JobSpec, state: SubstrateState): boolean {
  return ineligibility(job, state) === null;
}
