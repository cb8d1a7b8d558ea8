import { PacketFSError } from '../../errors.js';
import { JOB_DEFAULTS } from '../../job/defaults.js';
import { fieldPath, indexPath } from '../../schema/field-path.js';
import { unknownField } from '../../job/invalid-job.js';
import { isPlainObject, isPositiveUpTo } from '../../job/range-checks.js';
import type { ComputeJob } from './compute-types.js';
import { MAX_BATCH_JOBS } from './worker-env.js';

/**
 * The envelope of a compute request → jobs. Envelope faults (a bad job_id, a
 * bad timeout, too many jobs) reject the whole request with a 4xx; the program
 * is left raw here and validated per job, so one bad program fails one job.
 *
 * The original prototype's workers took `{jobId, program, timeout}` with the
 * timeout in milliseconds (its Lambda handler and Cloudflare Worker; see
 * docs/runtimes.md): those names are accepted too, so its clients work
 * unchanged. A job without any id gets a generated one, as there.
 */
const JOB_FIELDS = ['job_id', 'program', 'timeout_s', 'state_key', 'jobId', 'timeout'] as const;
const JOB_ID = /^[\x21-\x7e]{1,256}$/;
const STATE_KEY = /^[A-Za-z0-9._:/-]{1,256}$/;
/** A day: far beyond any runtime's own limit, small enough for a timer. */
const MAX_TIMEOUT_S = 86_400;

export interface ComputeBody {
  /** true for the `{jobs: [...]}` form, answered with `{results: [...]}` */
  batch: boolean;
  jobs: ComputeJob[];
  /** a single job named by the original's `jobId`: its reply carries the original's keys too */
  original: boolean;
}

export function parseComputeBody(body: unknown): ComputeBody {
  if (!isPlainObject(body)) throw invalidRequest('', 'body must be a JSON object: one job {job_id, program, timeout_s} or {jobs: [...]}');
  if (body.jobs === undefined) return { batch: false, jobs: [parseJob(body, '')], original: body.jobId !== undefined };
  for (const key in body) if (key !== 'jobs') throw invalidRequest(key, `unknown field '${key}' next to 'jobs'; a batch is {"jobs": [...]}`);
  if (!Array.isArray(body.jobs)) throw invalidRequest('jobs', 'jobs must be an array of {job_id, program, timeout_s}');
  if (body.jobs.length > MAX_BATCH_JOBS) {
    throw new PacketFSError('PAYLOAD_TOO_LARGE', `a batch holds at most ${MAX_BATCH_JOBS} jobs, got ${body.jobs.length}`, { path: 'jobs' });
  }
  return { batch: true, jobs: body.jobs.map((job, i) => parseJob(job, indexPath('jobs', i))), original: false };
}

function parseJob(input: unknown, path: string): ComputeJob {
  if (!isPlainObject(input)) throw invalidJob(path, 'each job must be an object {job_id, program, timeout_s}');
  for (const key in input) {
    if (!(JOB_FIELDS as readonly string[]).includes(key)) throw unknownField(fieldPath(path, key), key, JOB_FIELDS);
  }
  const { program, state_key: stateKey } = input;
  const idField = oneOf(input, path, 'job_id', 'jobId');
  const jobId = idField === undefined ? crypto.randomUUID() : input[idField];
  if (typeof jobId !== 'string' || !JOB_ID.test(jobId)) {
    throw invalidJob(fieldPath(path, idField ?? 'job_id'), `${idField ?? 'job_id'} must be 1..256 printable ASCII characters without spaces`);
  }
  if (program === undefined) throw invalidJob(fieldPath(path, 'program'), 'program is required');
  const job: ComputeJob = { job_id: jobId, program, timeout_s: timeoutSeconds(input, path) };
  if (stateKey !== undefined) {
    if (typeof stateKey !== 'string' || !STATE_KEY.test(stateKey)) {
      throw invalidJob(fieldPath(path, 'state_key'), 'state_key must be 1..256 characters of A-Z a-z 0-9 . _ : / -');
    }
    job.state_key = stateKey;
  }
  return job;
}

/** Which of two names for one field the job used (undefined: neither); both at once is an error. */
function oneOf(input: Record<string, unknown>, path: string, name: string, alias: string): string | undefined {
  if (input[name] !== undefined && input[alias] !== undefined) {
    throw invalidJob(fieldPath(path, alias), `give ${name} or ${alias}, not both`);
  }
  if (input[name] !== undefined) return name;
  return input[alias] !== undefined ? alias : undefined;
}

/** `timeout_s` in seconds, or the original's `timeout` in milliseconds. */
function timeoutSeconds(input: Record<string, unknown>, path: string): number {
  const field = oneOf(input, path, 'timeout_s', 'timeout');
  if (field === undefined) return JOB_DEFAULTS.timeout_s;
  const value = input[field];
  const scale = field === 'timeout' ? 1000 : 1;
  if (!isPositiveUpTo(value, MAX_TIMEOUT_S * scale)) {
    throw invalidJob(fieldPath(path, field), field === 'timeout'
      ? `timeout must be a number of milliseconds > 0 and <= ${MAX_TIMEOUT_S * scale}`
      : `timeout_s must be a number of seconds > 0 and <= ${MAX_TIMEOUT_S}`);
  }
  return (value as number) / scale;
}

function invalidJob(path: string, message: string): PacketFSError {
  return new PacketFSError('INVALID_JOB', message, path === '' ? {} : { path });
}

function invalidRequest(path: string, message: string): PacketFSError {
  return new PacketFSError('INVALID_REQUEST', message, path === '' ? {} : { path });
}
