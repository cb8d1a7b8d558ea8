import { MAX_SPLIT_WINDOW_BYTES, MIN_WINDOW_BYTES } from '../schema/job-schema.js';
import { invalidJob } from './invalid-job.js';
import { fieldPath } from '../schema/field-path.js';
import { isIntIn, isPlainObject } from './range-checks.js';

/**
 * The `split` field of a job: run the program over its whole range as many
 * window jobs (children) and combine their results into the one result a
 * single pass would give. `"auto"` lets the dispatcher pick the window size
 * (window-plan.ts); `{"window_bytes": N}` fixes it.
 */
export type SplitSpec = 'auto' | { window_bytes: number };

/** The window bounds are the job schema's (split.window_bytes). */
export { MAX_SPLIT_WINDOW_BYTES, MIN_WINDOW_BYTES };
/** Most windows one split job may have; more is a mistake (window_bytes far too small for the data). */
export const MAX_SPLIT_WINDOWS = 100_000;

/**
 * A child job's id: the parent's id, '~', the window index. '~' is not
 * allowed in submitted ids, so no user job can collide with a child, and
 * children are told apart from other jobs by their id alone (listings hide
 * them without any store support).
 */
export function childJobId(parentId: string, index: number): string {
  return `${parentId}~${index}`;
}

/** The parent id of a child job id, or null for an ordinary job. */
export function parentIdOf(jobId: string): string | null {
  const at = jobId.lastIndexOf('~');
  return at <= 0 ? null : jobId.slice(0, at);
}

export function normalizeSplit(value: unknown, path: string): SplitSpec {
  const at = fieldPath(path, 'split');
  if (value === 'auto') return 'auto';
  if (!isPlainObject(value)) throw invalidJob(at, 'split must be "auto" or {"window_bytes": N}');
  for (const key in value) {
    if (key !== 'window_bytes') throw invalidJob(fieldPath(at, key), `unknown field '${key}'; split takes only window_bytes (or is "auto")`);
  }
  const bytes = value.window_bytes;
  if (!isIntIn(bytes, MIN_WINDOW_BYTES, MAX_SPLIT_WINDOW_BYTES)) {
    throw invalidJob(fieldPath(at, 'window_bytes'), `window_bytes must be an integer ${MIN_WINDOW_BYTES}..${MAX_SPLIT_WINDOW_BYTES}`);
  }
  return { window_bytes: bytes };
}
