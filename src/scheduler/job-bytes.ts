import type { JobSpec } from '../job/types.js';

/**
 * How many bytes a job will read, when that is known before it runs: the
 * window of inline data, or an explicit `length`. A data_url or blob window
 * "to the end" is unknown until fetched and counts as 0, so it adds no
 * transfer estimate rather than a made-up one.
 */
export function jobBytes(job: JobSpec): number {
  const program = job.program;
  if (program.length !== null) return program.length;
  if (program.data !== undefined) return Math.max(0, base64DecodedLength(program.data) - program.offset);
  return 0;
}

/**
 * Power-of-two bucket of a byte count (0 stays 0). Jobs in one bucket differ
 * in size by less than 2x, which changes a transfer estimate too little to be
 * worth scoring each job separately on the placement hot path.
 */
export function byteBucket(bytes: number): number {
  return bytes <= 0 ? 0 : 2 ** Math.ceil(Math.log2(bytes));
}

/** Decoded size of canonical (normalised, unwrapped) base64 without decoding it. */
function base64DecodedLength(b64: string): number {
  let padding = 0;
  if (b64.endsWith('==')) padding = 2;
  else if (b64.endsWith('=')) padding = 1;
  return Math.floor(b64.length * 3 / 4) - padding;
}
