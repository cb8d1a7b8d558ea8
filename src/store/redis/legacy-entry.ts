import { createHash } from 'node:crypto';
import { toErrorBody, type ErrorBody } from '../../errors.js';
import { normalizeJob, type JobSpec } from '../../job/index.js';

/**
 * What one entry of the original's job list (`LPUSH packetfs:jobs:queue
 * '<ComputeJob JSON>'`) turns into:
 *   job       valid: enqueue it
 *   rejected  invalid, but its job_id can be read: it becomes a failed job
 *             whose result carries the validation error
 *   invalid   no job_id to report under: dead-lettered with the reason
 */
export type LegacyEntry =
  | { kind: 'job'; job: JobSpec }
  | { kind: 'rejected'; jobId: string; error: ErrorBody }
  | { kind: 'invalid'; error: ErrorBody };

/**
 * The job_id given to an entry that has none. It must be the same every time
 * the same claimed entry is processed (a crash mid-move makes us process it
 * again, and enqueue only ignores a job_id it knows), yet differ between two
 * pushes of identical JSON (the original ran those twice). So it comes from
 * the entry's number, assigned once when the entry is claimed and kept with
 * it until processed, plus a digest of the content, so that even a lost
 * counter (Redis flushed or evicting keys) cannot make a new entry collide
 * with an old job_id unless the content is identical too.
 */
export function derivedJobId(entryNumber: string, raw: string): string {
  const digest = createHash('sha1').update(raw).digest('hex').slice(0, 10);
  return `ingress-${entryNumber}-${digest}`;
}

export function readLegacyEntry(raw: string, entryNumber: string): LegacyEntry {
  let input: unknown;
  try {
    input = JSON.parse(raw);
  } catch (err) {
    return { kind: 'invalid', error: { code: 'INVALID_JSON', message: `entry is not JSON: ${(err as Error).message}` } };
  }
  let ownId: string | undefined;
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const fields = input as Record<string, unknown>;
    if (fields.job_id === undefined || fields.job_id === null) {
      // the original's to_dict always wrote a job_id; hand-written entries may not
      input = { ...fields, job_id: derivedJobId(entryNumber, raw) };
    } else if (typeof fields.job_id === 'string') {
      ownId = fields.job_id;
    }
  }
  try {
    return { kind: 'job', job: normalizeJob(input) };
  } catch (err) {
    const error = toErrorBody(err);
    // a job_id that is itself invalid cannot name a result key
    const idReadable = ownId !== undefined && error.path !== 'job_id';
    return idReadable ? { kind: 'rejected', jobId: ownId!, error } : { kind: 'invalid', error };
  }
}
