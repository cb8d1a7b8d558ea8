import type { Static, TSchema } from '@sinclair/typebox';
import { literalUnion, Type } from './type.js';
import { OP_NAMES, type OpName } from '../ops/types.js';
import { DEFAULT_LIMITS } from './limits.js';

/**
 * The job wire format (contracts §2, the original ComputeJob field names) as
 * one set of TypeBox schemas. From these come the input types below, the
 * compiled checks normalizeJob/normalizeProgram run first (validator.ts) and
 * the `Job`, `Program` and `JobBatch` components of /openapi.json.
 *
 * What a schema cannot say stays in the normalisers, and each schema's
 * description says it: one field of each alias pair, exactly one data
 * source, base64 validity, size limits (413), the window inside the data.
 * `errorMessage` is what a client reads when the field is wrong.
 */
export const MAX_MEMORY_MB = 1_048_576;
export const MAX_SECONDS = 86_400;
export const MAX_SUBSTRATES = 32;
export const MAX_ATTEMPTS = 100;
export const MAX_PRIORITY = 1000;
/** a cost cap above this is a typo, not a budget */
export const MAX_COST_USD = 1_000_000;
/** Fewest bytes a fixed split window may have; 1 keeps tiny test data splittable. */
export const MIN_WINDOW_BYTES = 1;
/** Most bytes in one split window: what one substrate holds in memory for one job at most. */
export const MAX_SPLIT_WINDOW_BYTES = 256 * 1024 * 1024;
/** URLs travel in every queued job and result; anything longer is a mistake or an attack. */
export const MAX_DATA_URL_CHARS = 4096;
export const JOB_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';
export const BLOB_ID_PATTERN = '^[A-Za-z0-9_-]{1,128}$';
export const SUBSTRATE_NAME_PATTERN = '^[a-z0-9_-]{1,64}$';
const FNV_STATE_PATTERN = '^[0-9a-fA-F]{16}$';
/** ISO-8601 date, optionally with time and zone (Python's isoformat() with 'T' or ' '). */
const ISO_8601_PATTERN = '^\\d{4}-\\d{2}-\\d{2}(?:[Tt ]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?(?:[Zz]|[+-]\\d{2}:?\\d{2})?)?$';
const DATA_URL_PATTERN = `^(?:[Hh][Tt][Tt][Pp][Ss]?://.+|/v1/blobs/[A-Za-z0-9_-]{1,128})$`;
const VALID_OPS = OP_NAMES.join(', ');


const seconds = (extra: { description?: string; default?: number }) => Type.Number({
  exclusiveMinimum: 0, maximum: MAX_SECONDS, errorMessage: `{key} must be a number of seconds > 0 and <= ${MAX_SECONDS}`, ...extra,
});
const flag = (extra: { description?: string; default?: boolean }) => Type.Boolean({ errorMessage: '{key} must be true or false', ...extra });
const opName = (extra: { description?: string }) => literalUnion<OpName>(OP_NAMES, { errorMessage: `unknown op {value}; valid ops: ${VALID_OPS}`, ...extra });
const imm = (extra: { description?: string; default?: number }) => Type.Integer({ minimum: 0, maximum: 255, errorMessage: '{key} must be an integer 0..255', ...extra });

export const OpSchema = Type.Union([
  opName({}),
  Type.Object({
    op: Type.Optional(opName({})),
    operation: Type.Optional(opName({ description: 'alias of op' })),
    imm: Type.Optional(imm({})),
  }, { additionalProperties: false, description: 'one of op / operation is required' }),
], { $id: 'Op', errorMessage: 'each op must be an op name or an object like {"op": "counteq", "imm": 7}' });

const opList = (description?: string) => Type.Array(OpSchema, {
  minItems: 1, maxItems: DEFAULT_LIMITS.maxOps,
  errorMessage: `{key} must list at least one op and at most ${DEFAULT_LIMITS.maxOps}, like {"op": "counteq", "imm": 7} or "crc32c"`,
  ...(description === undefined ? {} : { description }),
});

export const ProgramSchema = Type.Object({
  op: Type.Optional(opName({ description: 'single-op shorthand: the result is one object, not an array' })),
  imm: Type.Optional(imm({ default: 0, description: 'the op immediate; in a list, the default of items without one' })),
  ops: Type.Optional(opList()),
  operations: Type.Optional(opList('alias of ops')),
  instructions: Type.Optional(opList('alias of ops')),
  data: Type.Optional(Type.String({
    contentEncoding: 'base64', errorMessage: 'data must be a base64 string', examples: ['AAECAwQFBgc='],
    description: `inline bytes, base64 (standard or URL-safe, padding optional); at most ${DEFAULT_LIMITS.maxInlineBytes} decoded bytes (else 413)`,
  })),
  data_url: Type.Optional(Type.String({
    maxLength: MAX_DATA_URL_CHARS, pattern: DATA_URL_PATTERN, examples: ['https://data.example.com/file.bin', '/v1/blobs/0123456789abcdef0123456789abcdef'],
    errorMessage: `data_url must be an absolute http(s) URL or /v1/blobs/<blob id>, at most ${MAX_DATA_URL_CHARS} characters`,
    description: 'http(s) URL fetched with Range, or /v1/blobs/<id>',
  })),
  blob: Type.Optional(Type.String({
    pattern: BLOB_ID_PATTERN, errorMessage: 'blob must be a blob id: 1..128 characters of A-Z a-z 0-9 _ -', examples: ['0123456789abcdef0123456789abcdef'],
    description: 'blob id from PUT /v1/blobs',
  })),
  offset: Type.Optional(Type.Integer({
    minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0, errorMessage: 'offset must be an integer >= 0 (at most 2^53 - 1)',
  })),
  length: Type.Optional(Type.Union([
    Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    Type.Null(),
  ], {
    errorMessage: 'length must be an integer >= 0 (at most 2^53 - 1), or null for "to the end"',
    description: `default: to the end; a window past the end fails the job; over ${DEFAULT_LIMITS.maxWindowBytes} bytes is 413 (split jobs excepted)`,
  })),
  fnv_state: Type.Optional(Type.String({
    pattern: FNV_STATE_PATTERN, errorMessage: 'fnv_state must be 16 hex digits (a 64-bit FNV-1a state)', examples: ['cbf29ce484222325'],
    description: 'FNV-1a 64 state to continue from',
  })),
  single: Type.Optional(Type.Boolean({
    errorMessage: 'single must be true or false',
    description: 'stored programs only: true when the shorthand op was used (a normalised program normalises to itself)',
  })),
}, {
  $id: 'Program', additionalProperties: false,
  errorMessage: 'program must be an object with op or ops and one data source',
  requiredMessage: 'program is required: an object with op or ops and one data source',
  description: 'Byte ops over one window of data. Exactly one of op / ops (aliases operations, instructions); exactly one of data, data_url, blob.',
});

export const SplitSchema = Type.Union([
  Type.Literal('auto', { description: 'window size chosen from the data size and the substrates\' measured throughput and latency' }),
  Type.Object({
    window_bytes: Type.Integer({
      minimum: MIN_WINDOW_BYTES, maximum: MAX_SPLIT_WINDOW_BYTES,
      errorMessage: `window_bytes must be an integer ${MIN_WINDOW_BYTES}..${MAX_SPLIT_WINDOW_BYTES}`,
    }),
  }, { additionalProperties: false }),
], {
  errorMessage: 'split must be "auto" or {"window_bytes": N}',
  description: 'run the program over its whole range (a blob or data_url of any size) as window jobs whose results combine into exactly the single-pass result (docs/split.md); not with inline data',
});

export const JobSchema = Type.Object({
  job_id: Type.Optional(Type.String({
    pattern: JOB_ID_PATTERN, errorMessage: 'job_id must be 1..128 characters of A-Z a-z 0-9 . _ : -', examples: ['report-2024-05-01.part:7'],
    description: 'idempotency key: resubmitting returns the existing job; default a random UUID',
  })),
  program: ProgramSchema,
  required_memory_mb: Type.Optional(Type.Integer({
    minimum: 1, maximum: MAX_MEMORY_MB, default: 256, errorMessage: `required_memory_mb must be an integer 1..${MAX_MEMORY_MB}`,
  })),
  required_duration_s: Type.Optional(seconds({ default: 30 })),
  required_duration_seconds: Type.Optional(seconds({ description: 'alias of required_duration_s (give one)' })),
  requires_gpu: Type.Optional(flag({ default: false })),
  requires_state: Type.Optional(flag({ default: false })),
  priority: Type.Optional(Type.Integer({
    minimum: -MAX_PRIORITY, maximum: MAX_PRIORITY, default: 0, description: 'higher runs first',
    errorMessage: `priority must be an integer -${MAX_PRIORITY}..${MAX_PRIORITY} (higher runs first)`,
  })),
  timeout_s: Type.Optional(seconds({ default: 300 })),
  timeout_seconds: Type.Optional(seconds({ description: 'alias of timeout_s (give one)' })),
  created_at: Type.Optional(Type.String({
    pattern: ISO_8601_PATTERN, examples: ['2024-05-01T12:00:00Z', '2024-05-01 12:00:00.123456+02:00', '2024-05-01'],
    errorMessage: 'created_at must be an ISO-8601 date-time string, e.g. 2024-05-01T12:00:00Z',
    description: 'default: when the job is submitted; stored as UTC ISO-8601',
  })),
  metadata: Type.Optional(Type.Object({}, {
    additionalProperties: true, errorMessage: 'metadata must be a JSON object',
    description: `anything the submitter wants back; at most ${DEFAULT_LIMITS.maxMetadataBytes} bytes of JSON`,
  })),
  substrates: Type.Optional(Type.Union([
    Type.Array(Type.String({
      pattern: SUBSTRATE_NAME_PATTERN, errorMessage: 'a substrate name must be 1..64 characters of a-z 0-9 _ -', examples: ['local', 'lambda-eu'],
    }), { minItems: 1, maxItems: MAX_SUBSTRATES, errorMessage: `substrates must be null or an array of 1..${MAX_SUBSTRATES} substrate names` }),
    Type.Null(),
  ], {
    errorMessage: `substrates must be null or an array of 1..${MAX_SUBSTRATES} substrate names`,
    description: 'substrate names or types the job may run on; null: any',
  })),
  max_attempts: Type.Optional(Type.Integer({
    minimum: 1, maximum: MAX_ATTEMPTS, default: 3, errorMessage: `max_attempts must be an integer 1..${MAX_ATTEMPTS}`,
  })),
  split: Type.Optional(SplitSchema),
  private: Type.Optional(flag({ description: 'never runs on, nor is checked by, an untrusted substrate (browser, volunteer); default false, or true with private_by_default' })),
  verify: Type.Optional(literalUnion(['auto', 'quorum', 'none'], {
    errorMessage: 'verify must be "auto", "quorum" or "none"',
    description: 'how results from untrusted nodes are checked (docs/trust.md); "none" only where the operator allows it',
  })),
  max_cost_usd: Type.Optional(Type.Number({
    minimum: 0, maximum: MAX_COST_USD, errorMessage: `max_cost_usd must be a number of US dollars 0..${MAX_COST_USD}`,
    description: 'most USD the job may cost by its estimate on a paid substrate; none can meet it: fails with BUDGET_EXCEEDED (docs/costs.md)',
  })),
  on_budget: Type.Optional(literalUnion(['wait', 'fail'], {
    default: 'wait', errorMessage: 'on_budget must be "wait" or "fail"',
    description: 'when the budget is spent: wait queued (with `waiting` set) or fail with BUDGET_EXCEEDED',
  })),
}, { $id: 'Job', additionalProperties: false, errorMessage: 'a job must be a JSON object with at least a program' });

export const JobBatchSchema = Type.Object({
  jobs: Type.Array(JobSchema, { maxItems: DEFAULT_LIMITS.maxBatch, description: `at most ${DEFAULT_LIMITS.maxBatch} jobs (else 413); all are accepted or none` }),
}, { $id: 'JobBatch', additionalProperties: false });

export type OpInput = Static<typeof OpSchema>;
export type ProgramInput = Static<typeof ProgramSchema>;
export type JobInput = Static<typeof JobSchema>;
export type JobBatchInput = Static<typeof JobBatchSchema>;

/** The schemas with an `$id`, for the OpenAPI components. */
export const JOB_SCHEMAS: readonly TSchema[] = [OpSchema, ProgramSchema, JobSchema, JobBatchSchema];
