import type { JobSpec } from '../job/types.js';
import { jobWindowBytes } from '../job/window-length.js';

/**
 * How many bytes a job will read, when that is known before it runs: the
 * window of inline data, or an explicit `length`. A data_url or blob window
 * "to the end" is unknown until fetched and counts as 0, so it adds no
 * transfer estimate rather than a made-up one.
 */
export function jobBytes(job: JobSpec): number {
  return jobWindowBytes(job.program) ?? 0;
}

/**
 * Power-of-two bucket of a byte count (0 stays 0). Jobs in one bucket differ
 * in size by less than 2x, which changes a transfer estimate too little to be
 * worth scoring each job separately on the placement hot path.
 */
export function byteBucket(bytes: number): number {
  return bytes <= 0 ? 0 : 2 ** Math.ceil(Math.log2(bytes));
}
