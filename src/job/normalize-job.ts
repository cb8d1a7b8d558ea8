import type { JobSpec } from './types.js';
import { DEFAULT_LIMITS, type JobLimits } from '../schema/limits.js';
import { JOB_DEFAULTS } from './defaults.js';
import { fieldPath, indexPath } from '../schema/field-path.js';
import { invalidJob, tooLarge } from './invalid-job.js';
import { normalizeCheckedProgram } from './normalize-program.js';
import { isPlainObject } from './range-checks.js';
import { metadataCopy } from './metadata.js';
import { isoTime } from '../util/iso-time.js';
import { normalizeSplit } from './split-spec.js';
import { JobSchema } from '../schema/job-schema.js';
import { compiledValidator } from '../schema/compiled-validator.js';

/**
 * Wire job (contracts §2, the original ComputeJob field names) → JobSpec:
 * aliases resolved, defaults filled, everything range-checked.
 *
 * This runs on the submit hot path (100k+ jobs/s in benchmarks): the schema
 * (src/schema/job-schema.ts) is checked by code TypeBox generates once, error
 * paths and messages are built only when it fails, and what is left here is
 * what a schema cannot say plus building the output.
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

const jobs = compiledValidator(JobSchema, { code: 'INVALID_JOB' });

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
  // the compiled schema check: types, ranges, patterns, unknown fields (job-schema.ts)
  if (!isPlainObject(input)) throw invalidJob(path, 'a job must be a JSON object with at least a program');
  if (!jobs.check(input)) throw jobs.fail(input, path);
  if (input.required_duration_s !== undefined && input.required_duration_seconds !== undefined) throw aliasClash(path, 'required_duration_s', 'required_duration_seconds');
  if (input.timeout_s !== undefined && input.timeout_seconds !== undefined) throw aliasClash(path, 'timeout_s', 'timeout_seconds');

  const programPath = path === '' ? 'program' : `${path}.program`;
  const split = input.split === undefined ? undefined : normalizeSplit(input.split, path);
  // A split job's range is cut into windows later, so its length is bounded only by the data.
  const program = normalizeCheckedProgram(input.program, programPath, split === undefined ? opts : { ...opts, maxWindowBytes: Number.MAX_SAFE_INTEGER });
  if (split !== undefined && program.data !== undefined) {
    throw invalidJob(fieldPath(path, 'split'), 'split needs a blob or data_url program: inline data is small enough for one job');
  }

  const job: JobSpec = {
    job_id: input.job_id ?? (opts?.newId ? opts.newId() : globalThis.crypto.randomUUID()),
    program,
    required_memory_mb: input.required_memory_mb ?? JOB_DEFAULTS.required_memory_mb,
    required_duration_s: input.required_duration_s ?? input.required_duration_seconds ?? JOB_DEFAULTS.required_duration_s,
    requires_gpu: input.requires_gpu ?? JOB_DEFAULTS.requires_gpu,
    requires_state: input.requires_state ?? JOB_DEFAULTS.requires_state,
    priority: input.priority ?? JOB_DEFAULTS.priority,
    timeout_s: input.timeout_s ?? input.timeout_seconds ?? JOB_DEFAULTS.timeout_s,
    created_at: createdAt(input.created_at, path, opts),
    metadata: input.metadata === undefined ? {} : metadataCopy(input.metadata, path, opts?.maxMetadataBytes ?? DEFAULT_LIMITS.maxMetadataBytes),
    substrates: input.substrates == null ? null : [...input.substrates],
    max_attempts: input.max_attempts ?? JOB_DEFAULTS.max_attempts,
  };
  // Only set when they differ from the default, so stored jobs stay as small as before.
  if (input.private ?? opts?.privateByDefault === true) job.private = true;
  if (input.verify === 'quorum' || input.verify === 'none') job.verify = input.verify;
  if (split !== undefined) job.split = split;
  if (input.max_cost_usd !== undefined) job.max_cost_usd = input.max_cost_usd;
  if (input.on_budget === 'fail') job.on_budget = 'fail';
  return job;
}

function aliasClash(path: string, canonical: string, alias: string) {
  return invalidJob(fieldPath(path, alias), `give either '${canonical}' or its alias '${alias}', not both`);
}

/** Stored as canonical UTC ISO-8601 so every store and client compares the same strings. */
function createdAt(v: string | undefined, path: string, opts: NormalizeJobOptions | undefined): string {
  if (v === undefined) return opts?.now ? opts.now().toISOString() : isoTime(Date.now());
  // the schema checked the shape; an impossible date (month 13) still parses to NaN
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw invalidJob(fieldPath(path, 'created_at'), 'created_at must be an ISO-8601 date-time string, e.g. 2024-05-01T12:00:00Z');
  return new Date(ms).toISOString();
}
