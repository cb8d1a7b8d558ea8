import type { Static, TSchema } from '@sinclair/typebox';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import type { ProgramSpec } from '../job/types.js';
import type { OpResult } from '../ops/types.js';
import { Type } from './type.js';

/**
 * Node protocol v1 (docs/protocol.md) as schemas: every frame a node or the
 * dispatcher sends over /v1/nodes/ws, with its bounds and the message a bad
 * field is told. src/node-protocol/ takes its message types (Static<>) and
 * its parser from these, and docs/protocol.md describes the same bounds.
 *
 * Rules of the protocol the schemas encode:
 *   - unknown fields are allowed (additive changes need no version bump);
 *     the parser drops them (schema/project.ts), so no end sees them;
 *   - optional capability fields have a `default` the parser fills in;
 *   - a missing field and a wrong one are told the same thing
 *     (`requiredMessage` = `errorMessage`), as the hand-written parser did;
 *   - programs inside `assign` are only objects here: each is validated when
 *     its job runs, so one bad job fails alone.
 * Runtime-neutral (no Node imports): the browser runtime is bundled from it.
 */
export const PROTOCOL_VERSION = 1;

/** Bounds of what either side may declare or send. */
export const LIMITS = Object.freeze({
  maxSlots: 1024,
  /** results per `results` frame, jobs per `assign` frame */
  maxBatch: 4096,
  /** node ids and assignment ids */
  maxIdLength: 128,
  /** job ids in `assign` (a split window's id is its parent's plus `~<index>`) */
  maxJobIdLength: 1024,
  maxTokenLength: 1024,
  maxUserAgentLength: 512,
  maxErrorMessageLength: 4096,
  maxErrorCodeLength: 64,
  maxResultOps: 64,
  maxHeartbeatMs: 3_600_000,
  /** `registered.max_message_bytes` and `max_batch` may not announce more than this */
  maxMessageBytes: 1024 * 1024 * 1024,
  /** `assign.timeout_ms`: what a timer can hold */
  maxTimeoutMs: 2 ** 31 - 1,
});

/** The message for a field that is wrong or missing. */
const told = (message: string) => ({ errorMessage: message, requiredMessage: message });
const text = (max: number) => Type.String({ minLength: 1, maxLength: max, ...told(`must be a string of 1..${max} characters`) });
const int = (min: number, max: number) => Type.Integer({ minimum: min, maximum: max, ...told(`must be an integer ${min}..${max}`) });
const flag = (options: { default?: boolean } = {}) => Type.Boolean({ ...options, ...told('must be true or false') });
const object = <P extends Parameters<typeof Type.Object>[0]>(properties: P) => Type.Object(properties, told('must be an object'));
const nodeId = Type.String({
  minLength: 1, maxLength: LIMITS.maxIdLength, pattern: '^[A-Za-z0-9._:-]+$',
  ...told(`must be 1..${LIMITS.maxIdLength} of letters, digits and . _ : - only`),
});
const errorCode = Type.Unsafe<ErrorCode>(Type.Union(ERROR_CODES.map((code) => Type.Literal(code)), told('must be one of the error codes in src/errors.ts')));

export const NodeCapabilitiesSchema = object({
  cores: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096, default: 1, ...told('must be an integer 1..4096') })),
  device_memory_gb: Type.Optional(Type.Number({ minimum: 0, maximum: 2 ** 20, ...told('must be a number of GB') })),
  wasm: Type.Optional(flag({ default: false })),
  shared_array_buffer: Type.Optional(flag({ default: false })),
  webgl2: Type.Optional(flag({ default: false })),
  webgpu: Type.Optional(flag({ default: false })),
  user_agent: Type.Optional(Type.String({ maxLength: LIMITS.maxUserAgentLength, default: '', ...told(`must be a string of 1..${LIMITS.maxUserAgentLength} characters`) })),
});

export const RegisterMessageSchema = object({
  type: Type.Literal('register'),
  protocol: Type.Literal(PROTOCOL_VERSION, told(`unsupported protocol version; this dispatcher speaks ${PROTOCOL_VERSION}`)),
  kind: Type.Union([Type.Literal('browser'), Type.Literal('node')], told('must be "browser" or "node"')),
  slots: int(1, LIMITS.maxSlots),
  token: Type.Optional(text(LIMITS.maxTokenLength)),
  node_id: Type.Optional(nodeId),
  capabilities: NodeCapabilitiesSchema,
});

/** One op result object: flat, of finite numbers and short strings (the result must then fit the program: trust/). */
const opResult = Type.Unsafe<OpResult>(Type.Record(Type.String(), Type.Union([Type.Number(), Type.String({ maxLength: 64 })]), {
  minProperties: 1, maxProperties: 8, ...told('must be an op result object of finite numbers and short strings'),
}));

const SucceededResult = object({
  assignment_id: text(LIMITS.maxIdLength),
  ok: Type.Literal(true),
  result: Type.Union([opResult, Type.Array(opResult, { minItems: 1, maxItems: LIMITS.maxResultOps, ...told(`must hold 1..${LIMITS.maxResultOps} op results`) })],
    told('must be an op result object or an array of them')),
  bytes_processed: int(0, Number.MAX_SAFE_INTEGER),
  exec_time_ms: Type.Number({ minimum: 0, ...told('must be a non-negative number') }),
});

const FailedResult = object({
  assignment_id: text(LIMITS.maxIdLength),
  ok: Type.Literal(false),
  error: object({ code: errorCode, message: text(LIMITS.maxErrorMessageLength) }),
  retryable: Type.Optional(flag({ default: false })),
  exec_time_ms: Type.Number({ minimum: 0, ...told('must be a non-negative number') }),
});

export const NodeResultSchema = Type.Union([SucceededResult, FailedResult], { discriminator: 'ok', discriminatorMessage: 'must be true or false', ...told('must be an object') });

export const ResultsMessageSchema = object({
  type: Type.Literal('results'),
  results: Type.Array(NodeResultSchema, { minItems: 1, maxItems: LIMITS.maxBatch, ...told(`must be an array of 1..${LIMITS.maxBatch} results`) }),
});
export const HeartbeatMessageSchema = object({ type: Type.Literal('heartbeat'), free_slots: Type.Optional(int(0, LIMITS.maxSlots)) });
export const ByeMessageSchema = object({ type: Type.Literal('bye') });

/** node → dispatcher */
export const NodeMessageSchema = Type.Union([RegisterMessageSchema, ResultsMessageSchema, HeartbeatMessageSchema, ByeMessageSchema], {
  discriminator: 'type', discriminatorMessage: 'must be register, results, heartbeat or bye', ...told('must be an object'),
});

export const RegisteredMessageSchema = object({
  type: Type.Literal('registered'),
  node_id: nodeId,
  heartbeat_ms: int(1, LIMITS.maxHeartbeatMs),
  max_message_bytes: int(1, LIMITS.maxMessageBytes),
  max_batch: int(1, LIMITS.maxBatch),
});

export const AssignmentSchema = object({
  assignment_id: text(LIMITS.maxIdLength),
  job_id: text(LIMITS.maxJobIdLength),
  // checked when the job runs (job/normalize-program), so one bad program fails only its job
  program: Type.Unsafe<ProgramSpec>(Type.Record(Type.String(), Type.Unknown(), told('must be an object'))),
  timeout_ms: int(1, LIMITS.maxTimeoutMs),
});

export const AssignMessageSchema = object({
  type: Type.Literal('assign'),
  jobs: Type.Array(AssignmentSchema, { minItems: 1, maxItems: LIMITS.maxBatch, ...told(`must be an array of 1..${LIMITS.maxBatch} assignments`) }),
});
export const DrainMessageSchema = object({ type: Type.Literal('drain') });
export const ErrorMessageSchema = object({ type: Type.Literal('error'), code: errorCode, message: text(LIMITS.maxErrorMessageLength) });

/** dispatcher → node */
export const DispatcherMessageSchema = Type.Union([RegisteredMessageSchema, AssignMessageSchema, DrainMessageSchema, ErrorMessageSchema], {
  discriminator: 'type', discriminatorMessage: 'must be registered, assign, drain or error', ...told('must be an object'),
});

/** A message as the parser hands it on: fields with a default are always there. */
type Defaulted<T, K extends keyof T> = Omit<T, K> & Required<Pick<T, K>>;
type WithDefaults<S extends TSchema, K extends keyof Static<S>> = Defaulted<Static<S>, K>;

export type NodeKind = 'browser' | 'node';
export type NodeCapabilities = WithDefaults<typeof NodeCapabilitiesSchema, 'cores' | 'wasm' | 'shared_array_buffer' | 'webgl2' | 'webgpu' | 'user_agent'>;
export type RegisterMessage = Omit<Static<typeof RegisterMessageSchema>, 'capabilities'> & { capabilities: NodeCapabilities };
export type NodeResult = Static<typeof SucceededResult> | WithDefaults<typeof FailedResult, 'retryable'>;
export interface ResultsMessage { type: 'results'; results: NodeResult[] }
export type HeartbeatMessage = Static<typeof HeartbeatMessageSchema>;
export type ByeMessage = Static<typeof ByeMessageSchema>;
export type NodeMessage = RegisterMessage | ResultsMessage | HeartbeatMessage | ByeMessage;

export type RegisteredMessage = Static<typeof RegisteredMessageSchema>;
export type Assignment = Static<typeof AssignmentSchema>;
export type AssignMessage = Static<typeof AssignMessageSchema>;
export type DrainMessage = Static<typeof DrainMessageSchema>;
export type ErrorMessage = Static<typeof ErrorMessageSchema>;
export type DispatcherMessage = RegisteredMessage | AssignMessage | DrainMessage | ErrorMessage;
