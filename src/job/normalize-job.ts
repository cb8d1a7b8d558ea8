import type { JobSpec } from './types.js';
import { DEFAULT_LIMITS, type JobLimits } from './limits.js';
import { JOB_DEFAULTS } from './defaults.js';
import { fieldPath, indexPath } from './field-path.js';
import { invalidJob, tooLarge, unknownField } from './invalid-job.js';
import { normalizeProgram } from './normalize-program.js';
import { isIntIn, isPlainObject, isPositiveUpTo } from './range-checks.js';
import { metadataCopy } from './metadata.js';
import { isoTime } from '../util/iso-time.js';
import { normalizeSplit } from './split-spec.js';

/**
 * Wire job (contracts §2, the original ComputeJob field names) → JobSpec:
 * aliases resolved, defaults filled, everything range-checked.
 *
 * This runs on the submit hot path (100k+ jobs/s in benchmarks), so it makes
 * one pass over the keys, uses only precompiled regexes and typeof checks,
 * builds error paths only when it throws, and allocates the output alone.
 */
export interface NormalizeJobOptions extends JobLimits {
  /** path prefix of errors, e.g. `jobs[3]`; '' (default) for a lone job */
  path?: string;
  /** clock for a missing created_at */
  now?: () => Date;
  /** id generator for a missing job_id; default crypto.randomUUID() */
  newId?: () => string;
  /** `private` of a job that does not say (config private_by_default) */
  privateByDefault?: boolean;
}

const JOB_FIELDS = [
  'job_id', 'program', 'required_memory_mb', 'required_duration_s', 'required_duration_seconds',
  'requires_gpu', 'requires_state', 'priority', 'timeout_s', 'timeout_seconds',
  'created_at', 'metadata', 'substrates', 'max_attempts', 'split', 'private', 'verify', 'max_cost_usd', 'on_budget',
] as const;

const JOB_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const SUBSTRATE_NAME = /^[a-z0-9_-]{1,64}$/;
/** ISO-8601 date, optionally with time and zone (Python's isoformat() with 'T' or ' '). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const MAX_MEMORY_MB = 1_048_576;
const MAX_SECONDS = 86_400;
const MAX_SUBSTRATES = 32;
/** a cap above this is a typo, not a budget */
const MAX_COST_USD = 1_000_000;

export function normalizeJob(input: unknown, opts?: NormalizeJobOptions): JobSpec {
  return normalizeJobAt(input, opts?.path ?? '', opts);
}

/**
 * Validates every job before returning any, so a batch is all or nothing.
 * Errors name the item: `jobs[3].program.imm` (base `opts.path`, default 'jobs').
 */
export function normalizeJobs(inputs: unknown, opts?: NormalizeJobOptions): JobSpec[] {
  const base = opts?.path ?? 'jobs';
  if (!Array.isArray(inputs)) throw invalidJob(base, 'jobs must be an array of job objects');
  const maxBatch = opts?.maxBatch ?? DEFAULT_LIMITS.maxBatch;
  if (inputs.length > maxBatch) throw tooLarge(base, `a batch holds at most ${maxBatch} jobs; got ${inputs.length}`);
  const jobs = new Array<JobSpec>(inputs.length);
  for (let i = 0; i < inputs.length; i++) jobs[i] = normalizeJobAt(inputs[i], indexPath(base, i), opts);
  return jobs;
}

function normalizeJobAt(input: unknown, path: string, opts: NormalizeJobOptions | undefined): JobSpec {
  if (!isPlainObject(input)) throw invalidJob(path, 'a job must be a JSON object with at least a program');
  let duration: unknown;
  let durationKey: string | undefined;
  let timeout: unknown;
  let timeoutKey: string | undefined;
  for (const key in input) {
    const value = input[key];
    if (value === undefined) continue;
    switch (key) {
      case 'job_id': case 'program': case 'required_memory_mb': case 'requires_gpu': case 'requires_state':
      case 'priority': case 'created_at': case 'metadata': case 'substrates': case 'max_attempts': case 'split':
      case 'private': case 'verify': case 'max_cost_usd': case 'on_budget':
        break;
      case 'required_duration_s': case 'required_duration_seconds':
        if (durationKey !== undefined) throw aliasClash(path, 'required_duration_s', 'required_duration_seconds');
        duration = value;
        durationKey = key;
        break;
      case 'timeout_s': case 'timeout_seconds':
        if (timeoutKey !== undefined) throw aliasClash(path, 'timeout_s', 'timeout_seconds');
        timeout = value;
        timeoutKey = key;
        break;
      default:
        throw unknownField(fieldPath(path, key), key, JOB_FIELDS);
    }
  }

  const programPath = path === '' ? 'program' : `${path}.program`;
  if (input.program === undefined) throw invalidJob(programPath, 'program is required: an object with op or ops and one data source');
  const split = input.split === undefined ? undefined : normalizeSplit(input.split, path);
  // A split job's range is cut into windows later, so its length is bounded only by the data.
  const program = normalizeProgram(input.program, programPath, split === undefined ? opts : { ...opts, maxWindowBytes: Number.MAX_SAFE_INTEGER });
  if (split !== undefined && program.data !== undefined) {
    throw invalidJob(fieldPath(path, 'split'), 'split needs a blob or data_url program: inline data is small enough for one job');
  }

  let jobId: string;
  if (input.job_id === undefined) {
    jobId = opts?.newId ? opts.newId() : globalThis.crypto.randomUUID();
  } else {
    if (typeof input.job_id !== 'string' || !JOB_ID.test(input.job_id)) {
      throw invalidJob(fieldPath(path, 'job_id'), 'job_id must be 1..128 characters of A-Z a-z 0-9 . _ : -');
    }
    jobId = input.job_id;
  }

  const memory = input.required_memory_mb === undefined ? JOB_DEFAULTS.required_memory_mb : input.required_memory_mb;
  if (!isIntIn(memory, 1, MAX_MEMORY_MB)) throw invalidJob(fieldPath(path, 'required_memory_mb'), `required_memory_mb must be an integer 1..${MAX_MEMORY_MB}`);
  const durationS = duration === undefined ? JOB_DEFAULTS.required_duration_s : duration;
  if (!isPositiveUpTo(durationS, MAX_SECONDS)) throw invalidJob(fieldPath(path, durationKey!), `${durationKey} must be a number of seconds > 0 and <= ${MAX_SECONDS}`);
  const timeoutS = timeout === undefined ? JOB_DEFAULTS.timeout_s : timeout;
  if (!isPositiveUpTo(timeoutS, MAX_SECONDS)) throw invalidJob(fieldPath(path, timeoutKey!), `${timeoutKey} must be a number of seconds > 0 and <= ${MAX_SECONDS}`);
  const gpu = input.requires_gpu === undefined ? JOB_DEFAULTS.requires_gpu : input.requires_gpu;
  if (typeof gpu !== 'boolean') throw invalidJob(fieldPath(path, 'requires_gpu'), 'requires_gpu must be true or false');
  const state = input.requires_state === undefined ? JOB_DEFAULTS.requires_state : input.requires_state;
  if (typeof state !== 'boolean') throw invalidJob(fieldPath(path, 'requires_state'), 'requires_state must be true or false');
  const priority = input.priority === undefined ? JOB_DEFAULTS.priority : input.priority;
  if (!isIntIn(priority, -1000, 1000)) throw invalidJob(fieldPath(path, 'priority'), 'priority must be an integer -1000..1000 (higher runs first)');
  const maxAttempts = input.max_attempts === undefined ? JOB_DEFAULTS.max_attempts : input.max_attempts;
  if (!isIntIn(maxAttempts, 1, 100)) throw invalidJob(fieldPath(path, 'max_attempts'), 'max_attempts must be an integer 1..100');

  const isPrivate = input.private === undefined ? opts?.privateByDefault === true : input.private;
  if (typeof isPrivate !== 'boolean') throw invalidJob(fieldPath(path, 'private'), 'private must be true or false');
  const verify = input.verify;
  if (verify !== undefined && verify !== 'auto' && verify !== 'quorum' && verify !== 'none') {
    throw invalidJob(fieldPath(path, 'verify'), 'verify must be "auto", "quorum" or "none"');
  }

  const maxCost = input.max_cost_usd;
  if (maxCost !== undefined && !(typeof maxCost === 'number' && maxCost >= 0 && maxCost <= MAX_COST_USD)) {
    throw invalidJob(fieldPath(path, 'max_cost_usd'), `max_cost_usd must be a number of US dollars 0..${MAX_COST_USD}`);
  }
  const onBudget = input.on_budget;
  if (onBudget !== undefined && onBudget !== 'wait' && onBudget !== 'fail') {
    throw invalidJob(fieldPath(path, 'on_budget'), 'on_budget must be "wait" or "fail"');
  }

  const job: JobSpec = {
    job_id: jobId,
    program,
    required_memory_mb: memory,
    required_duration_s: durationS,
    requires_gpu: gpu,
    requires_state: state,
    priority,
    timeout_s: timeoutS,
    created_at: createdAt(input.created_at, path, opts),
    metadata: input.metadata === undefined ? {} : metadataCopy(input.metadata, path, opts?.maxMetadataBytes ?? DEFAULT_LIMITS.maxMetadataBytes),
    substrates: substrates(input.substrates, path),
    max_attempts: maxAttempts,
  };
  // Only set when they differ from the default, so stored jobs stay as small as before.
  if (isPrivate) job.private = true;
  if (verify === 'quorum' || verify === 'none') job.verify = verify;
  if (split !== undefined) job.split = split;
  if (maxCost !== undefined) job.max_cost_usd = maxCost;
  if (onBudget === 'fail') job.on_budget = 'fail';
  return job;
}

function aliasClash(path: string, canonical: string, alias: string) {
  return invalidJob(fieldPath(path, alias), `give either '${canonical}' or its alias '${alias}', not both`);
}

/** Stored as canonical UTC ISO-8601 so every store and client compares the same strings. */
function createdAt(v: unknown, path: string, opts: NormalizeJobOptions | undefined): string {
  if (v === undefined) return opts?.now ? opts.now().toISOString() : isoTime(Date.now());
  const ms = typeof v === 'string' && ISO_8601.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw invalidJob(fieldPath(path, 'created_at'), 'created_at must be an ISO-8601 date-time string, e.g. 2024-05-01T12:00:00Z');
  return new Date(ms).toISOString();
}

function substrates(v: unknown, path: string): string[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_SUBSTRATES) {
    throw invalidJob(fieldPath(path, 'substrates'), `substrates must be null or an array of 1..${MAX_SUBSTRATES} substrate names`);
  }
  const names = new Array<string>(v.length);
  for (let i = 0; i < v.length; i++) {
    const name: unknown = v[i];
    if (typeof name !== 'string' || !SUBSTRATE_NAME.test(name)) {
      throw invalidJob(indexPath(fieldPath(path, 'substrates'), i), 'a substrate name must be 1..64 characters of a-z 0-9 _ -');
    }
    names[i] = name;
  }
  return names;
}
