import { PacketFSError } from '../../errors.js';
import { JOB_DEFAULTS } from '../../job/defaults.js';
import { fieldPath, indexPath } from '../../job/field-path.js';
import { unknownField } from '../../job/invalid-job.js';
import { isPlainObject, isPositiveUpTo } from '../../job/range-checks.js';
import type { ComputeJob } from './compute-types.js';
import { MAX_BATCH_JOBS } from './worker-env.js';

/**
 * The envelope of a compute request → jobs. Envelope faults (no job_id, a bad
 * timeout, too many jobs) reject the whole request with a 4xx; the program is
 * left raw here and validated per job, so one bad program fails one job.
 */
const JOB_FIELDS = ['job_id', 'program', 'timeout_s', 'state_key'] as const;
const JOB_ID = /^[\x21-\x7e]{1,256}$/;
const STATE_KEY = /^[A-Za-z0-9._:/-]{1,256}$/;
/** A day: far beyond any runtime's own limit, small enough for a timer. */
const MAX_TIMEOUT_S = 86_400;

export interface ComputeBody {
  /** true for the `{jobs: [...]}` form, answered with `{results: [...]}` */
  batch: boolean;
  jobs: ComputeJob[];
}

export function parseComputeBody(body: unknown): ComputeBody {
  if (!isPlainObject(body)) throw invalidRequest('', 'body must be a JSON object: one job {job_id, program, timeout_s} or {jobs: [...]}');
  if (body.jobs === undefined) return { batch: false, jobs: [parseJob(body, '')] };
  for (const key in body) if (key !== 'jobs') throw invalidRequest(key, `unknown field '${key}' next to 'jobs'; a batch is {"jobs": [...]}`);
  if (!Array.isArray(body.jobs)) throw invalidRequest('jobs', 'jobs must be an array of {job_id, program, timeout_s}');
  if (body.jobs.length > MAX_BATCH_JOBS) {
    throw new PacketFSError('PAYLOAD_TOO_LARGE', `a batch holds at most ${MAX_BATCH_JOBS} jobs, got ${body.jobs.length}`, { path: 'jobs' });
  }
  return { batch: true, jobs: body.jobs.map((job, i) => parseJob(job, indexPath('jobs', i))) };
}

function parseJob(input: unknown, path: string): ComputeJob {
  if (!isPlainObject(input)) throw invalidJob(path, 'each job must be an object {job_id, program, timeout_s}');
  for (const key in input) {
    if (!(JOB_FIELDS as readonly string[]).includes(key)) throw unknownField(fieldPath(path, key), key, JOB_FIELDS);
  }
  const { job_id: jobId, program, timeout_s: timeout, state_key: stateKey } = input;
  if (typeof jobId !== 'string' || !JOB_ID.test(jobId)) {
    throw invalidJob(fieldPath(path, 'job_id'), 'job_id must be 1..256 printable ASCII characters without spaces');
  }
  if (program === undefined) throw invalidJob(fieldPath(path, 'program'), 'program is required');
  if (timeout !== undefined && !isPositiveUpTo(timeout, MAX_TIMEOUT_S)) {
    throw invalidJob(fieldPath(path, 'timeout_s'), `timeout_s must be a number of seconds > 0 and <= ${MAX_TIMEOUT_S}`);
  }
  const job: ComputeJob = { job_id: jobId, program, timeout_s: timeout ?? JOB_DEFAULTS.timeout_s };
  if (stateKey !== undefined) {
    if (typeof stateKey !== 'string' || !STATE_KEY.test(stateKey)) {
      throw invalidJob(fieldPath(path, 'state_key'), 'state_key must be 1..256 characters of A-Z a-z 0-9 . _ : / -');
    }
    job.state_key = stateKey;
  }
  return job;
}

function invalidJob(path: string, message: string): PacketFSError {
  return new PacketFSError('INVALID_JOB', message, path === '' ? {} : { path });
}

function invalidRequest(path: string, message: string): PacketFSError {
  return new PacketFSError('INVALID_REQUEST', message, path === '' ? {} : { path });
}
