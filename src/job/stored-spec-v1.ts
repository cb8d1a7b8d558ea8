import type { JobSpec } from './types.js';

/**
 * What version 1 of the stored spec encodings leaves out, shared by the
 * SQLite row (src/store/sqlite/spec-codec.ts) and the Redis `specs` hash
 * (src/store/redis/spec-codec.ts): a field equal to its value here is not
 * written, and decoding puts the value back.
 *
 * Deliberately not JOB_DEFAULTS: these are frozen with version 1. Should
 * normalization's defaults ever change, a spec stored as version 1 must still
 * decode to the job that was accepted; a new version gets its own table.
 * (Each store's format differs in what else it leaves out — the SQLite row
 * has columns for some fields — so only this table is shared.)
 */
export const STORED_SPEC_V1_DEFAULTS: Readonly<Pick<JobSpec,
  'required_memory_mb' | 'required_duration_s' | 'requires_gpu' | 'requires_state' | 'priority' | 'timeout_s' | 'substrates' | 'max_attempts'>> = Object.freeze({
  required_memory_mb: 256,
  required_duration_s: 30,
  requires_gpu: false,
  requires_state: false,
  priority: 0,
  timeout_s: 300,
  substrates: null,
  max_attempts: 3,
});

/** Whether an object has no own enumerable key (an empty `metadata` is left out); no array is built. */
export function isEmptyObject(value: Record<string, unknown>): boolean {
  for (const _ in value) return false;
  return true;
}
