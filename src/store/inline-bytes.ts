import type { JobSpec } from '../job/types.js';

/** Inline data a job carries (base64 characters): what QueueDepth.inline_bytes adds up for unfinished jobs. */
export function inlineBytesOf(spec: JobSpec): number {
  return spec.program.data?.length ?? 0;
}
