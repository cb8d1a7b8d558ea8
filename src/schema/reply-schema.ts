import { Composite, Omit as TypeOmit, Pick, Required, type Static, type TSchema } from '@sinclair/typebox';
import { ERROR_CODES, type ErrorBody, type ErrorCode } from '../errors.js';
import type { AttemptError, MetricRecord, ResultRecord, Verification } from '../job/types.js';
import type { OpResult } from '../ops/types.js';
import type { Capabilities, PricingModel } from '../scheduler/capabilities.js';
import type { SplitProgress } from '../split/split-progress.js';
import type { JobStatusView, SubstrateView } from '../dispatcher/api.js';
import type { JobView } from '../store/job-store.js';
import type { NodeView } from '../substrates/node-pool/node-pool.js';
import type { NodeCapabilities } from '../node-protocol/index.js';
import type { ReputationView } from '../trust/reputation.js';
import { NodeCapabilitiesSchema } from './node-protocol-schema.js';
import { ListJobsQuery } from './query-schema.js';
import { literalUnion, Type } from './type.js';

/**
 * What the HTTP API answers, as TypeBox schemas: the reply components of
 * /openapi.json (server/openapi-document.ts turns each into JSON Schema with
 * to-openapi.ts; `$id` is the component's name, so a schema used inside
 * another becomes a `$ref`), checkable with validator.ts like the request
 * schemas, and tied to the TypeScript reply types by the compile-time checks
 * at the end of this file. test/server/openapi-contract.test.ts checks real
 * replies against the document these make.
 */
const nonNegInt = (options: { description?: string } = {}) => Type.Integer({ minimum: 0, ...options });
const isoTime = (options: { description?: string } = {}) => Type.String({ format: 'date-time', ...options });
const nullable = <S extends TSchema>(schema: S) => Type.Union([schema, Type.Null()]);
const anyObject = (options: { description?: string } = {}) => Type.Record(Type.String(), Type.Unknown(), options);
const RESULT_STATUSES = ['succeeded', 'failed', 'cancelled'] as const;

export const ErrorCodeSchema = Type.Unsafe<ErrorCode>(literalUnion(ERROR_CODES, { $id: 'ErrorCode', description: 'the closed set of error codes (src/errors.ts)' }));

export const ErrorBodySchema = Type.Object({
  code: ErrorCodeSchema,
  message: Type.String(),
  path: Type.Optional(Type.String({ description: 'the field at fault, e.g. `jobs[3].program.imm`' })),
}, { $id: 'ErrorBody' });

export const ErrorSchema = Type.Object({ error: ErrorBodySchema }, {
  $id: 'Error', description: 'Every 4xx/5xx reply. Branch on `code`; `path` names the field at fault, e.g. `jobs[3].program.imm`.',
});

export const SplitProgressSchema = Type.Object({
  windows_total: nonNegInt(), windows_done: nonNegInt(), windows_failed: nonNegInt(), bytes_total: nonNegInt(), bytes_done: nonNegInt(),
}, { $id: 'SplitProgress', description: 'Progress of a split job; at the end of a successful one windows_done == windows_total and bytes_done == bytes_total.' });

export const JobStatusSchema = ListJobsQuery.properties.status;

export const SubmitOutcomeSchema = Type.Object({
  job_id: Type.String(),
  created: Type.Boolean({ description: 'false when the job_id was already known' }),
  status: JobStatusSchema,
}, { $id: 'SubmitOutcome' });

export const BatchOutcomeSchema = Type.Object({
  job_ids: Type.Array(Type.String()),
  created: Type.Array(Type.Boolean()),
  statuses: Type.Array(JobStatusSchema),
}, { $id: 'BatchOutcome', description: 'One entry per submitted job, in submission order.' });

/** One op's result: its value under the op's own key, plus the window length. Exactly one of the five shapes. */
const opResultOf = <K extends string, V extends TSchema>(key: K, value: V) =>
  Type.Object({ [key]: value, bytes: nonNegInt() } as { [P in K]: V } & { bytes: ReturnType<typeof nonNegInt> }, { additionalProperties: false });
export const OpResultSchema = Type.Union([
  opResultOf('count', nonNegInt({ description: 'counteq: bytes equal to imm' })),
  opResultOf('crc32c', nonNegInt({ description: 'crc32c of the window' })),
  opResultOf('fnv64', Type.String({ pattern: '^[0-9a-f]{16}$', description: 'fnv64 (FNV-1a, 64 bit) as 16 hex digits' })),
  opResultOf('xor', Type.Integer({ minimum: 0, maximum: 255, description: 'xor of all bytes' })),
  opResultOf('sum', nonNegInt({ description: 'add: sum of all bytes' })),
], { $id: 'OpResult', description: 'One op\'s result: count (counteq), crc32c, fnv64 (16 hex digits), xor or sum (add), each with bytes (the window length).' });

export const AttemptErrorSchema = Type.Object({
  attempt: Type.Integer({ minimum: 1 }), substrate: nullable(Type.String()), node: Type.Optional(Type.String()),
  code: ErrorCodeSchema, message: Type.String(), at: isoTime(),
}, { $id: 'AttemptError' });

export const VerificationSchema = Type.Object({
  method: literalUnion(['trusted', 'quorum', 'spot-check', 'unchecked'] as const),
  executions: Type.Integer({ minimum: 1 }),
  agreed: Type.Integer({ minimum: 1 }),
}, { $id: 'Verification', description: 'How a succeeded result was established (docs/trust.md).' });

export const ResultRecordSchema = Type.Object({
  job_id: Type.String(),
  status: literalUnion(RESULT_STATUSES),
  success: Type.Boolean(),
  substrate: nullable(Type.String()),
  node: Type.Optional(Type.String()),
  result: Type.Union([OpResultSchema, Type.Array(OpResultSchema), Type.Null()], {
    description: 'the op result for the single-op shorthand, else one per op in order; null unless succeeded',
  }),
  exec_time_ms: Type.Number(), queue_time_ms: Type.Number(),
  bytes_processed: nonNegInt(), cost_usd: Type.Number(), attempts: nonNegInt(),
  error: nullable(ErrorBodySchema),
  attempt_errors: Type.Optional(Type.Array(AttemptErrorSchema)),
  completed_at: isoTime(),
  verification: Type.Optional(VerificationSchema),
  corrected_at: Type.Optional(isoTime({ description: 'set when verification found the first stored result wrong and replaced it' })),
  progress: Type.Optional(SplitProgressSchema),
  split_substrates: Type.Optional(Type.Record(Type.String(), nonNegInt(), { description: 'split jobs: windows run per substrate' })),
}, { $id: 'ResultRecord' });

export const ReputationViewSchema = Type.Object({
  state: literalUnion(['probation', 'trusted', 'banned'] as const),
  verified: nonNegInt({ description: 'results confirmed by an independent execution (or a canary\'s known answer)' }),
  unchecked: nonNegInt({ description: 'results accepted without a check (trusted nodes only)' }),
  errors: nonNegInt({ description: 'failed or late answers' }),
  wrong: nonNegInt({ description: 'results shown wrong or malformed' }),
  check_rate: Type.Number({ minimum: 0, maximum: 1, description: 'current chance that one of its results is checked' }),
}, { $id: 'ReputationView', description: 'A node\'s standing (docs/trust.md).' });

/** What a node announced at register (node protocol), with the defaults filled in. */
const DEFAULTED_CAPABILITIES = ['cores', 'wasm', 'shared_array_buffer', 'webgl2', 'webgpu', 'user_agent'] as const;
export const NodeCapabilitiesReplySchema = Composite([
  TypeOmit(NodeCapabilitiesSchema, DEFAULTED_CAPABILITIES), Required(Pick(NodeCapabilitiesSchema, DEFAULTED_CAPABILITIES)),
], { $id: 'NodeCapabilities', description: 'What the node announced when it registered, defaults filled in.' });

export const NodeViewSchema = Type.Object({
  node_id: Type.String(), kind: literalUnion(['browser', 'node'] as const), address: Type.String(),
  label: nullable(Type.String()), credential: literalUnion(['open', 'shared', 'join'] as const),
  slots: nonNegInt(), slots_granted: nonNegInt(), in_flight: Type.Integer(), completed: nonNegInt(),
  latency_ms: nullable(Type.Number({ description: 'null before the first measurement' })),
  throughput_bytes_per_ms: nullable(Type.Number({ description: 'null before the first measurement' })), connected_at: isoTime(),
  state: literalUnion(['probation', 'trusted', 'banned'] as const), reputation: Type.Number(),
  record: ReputationViewSchema, capabilities: NodeCapabilitiesReplySchema,
}, { $id: 'NodeView' });

export const JoinTokenSchema = Type.Object({
  id: Type.String({ pattern: '^[0-9a-f]{16}$' }), kind: nullable(literalUnion(['browser', 'node'] as const)),
  label: nullable(Type.String()), created_at: isoTime(), expires_at: nullable(isoTime()), revoked_at: nullable(isoTime()),
  token: Type.Optional(Type.String({ description: 'only in the reply to POST: give it to the node; it is never stored' })),
}, { $id: 'JoinToken' });

export const PendingResultSchema = Type.Object({ job_id: Type.String(), status: literalUnion(['queued', 'running'] as const) }, { $id: 'PendingResult' });

export const JobViewSchema = Type.Object({
  job_id: Type.String(), status: JobStatusSchema, attempts: nonNegInt(), priority: Type.Integer(),
  created_at: isoTime(), substrates: nullable(Type.Array(Type.String())),
  errors: Type.Array(AttemptErrorSchema), result: nullable(ResultRecordSchema),
  parent_id: Type.Optional(Type.String({ description: 'window jobs of a split job: the split job\'s id (window ids are <parent>~<index>)' })),
  progress: Type.Optional(SplitProgressSchema),
  waiting: Type.Optional(Type.String({ description: 'a queued job held back: why (e.g. the budget is spent)' })),
}, { $id: 'JobView' });

export const DryRunOutcomeSchema = Type.Object({
  job_id: Type.String(), would: literalUnion(['run', 'wait', 'fail'] as const),
  substrate: nullable(Type.String()), estimated_cost_usd: nullable(Type.Number()),
  reason: Type.Optional(Type.String({ description: 'would wait: why' })),
  error: Type.Optional(Type.Object({ code: Type.Optional(Type.String()), message: Type.Optional(Type.String()), path: Type.Optional(Type.String()) }, {
    description: 'would fail: the error (code, message, path)',
  })),
}, { $id: 'DryRunOutcome' });

export const DryRunBatchSchema = Type.Object({ jobs: Type.Array(DryRunOutcomeSchema) }, { $id: 'DryRunBatch' });

const usdBySubstrate = Type.Record(Type.String(), Type.Number());
export const CostsReportSchema = Type.Object({
  period: Type.Object({ day: Type.Optional(Type.String()), month: Type.Optional(Type.String()) }),
  spent_usd: Type.Object({
    total: Type.Number(), by_substrate: usdBySubstrate,
    today: Type.Object({ total: Type.Number(), by_substrate: usdBySubstrate }),
  }, { description: 'this UTC month; `today` this UTC day' }),
  reserved_usd: Type.Number({ description: 'estimates of paid jobs in flight' }),
  budget: nullable(anyObject({ description: 'the configured budget plus `limits`: per limit its spend, what is left, used ratio and alert level' })),
  forecast_usd: Type.Number({ description: 'the month\'s spend at its average rate so far' }),
}, { $id: 'CostsReport' });

export const ListPageSchema = Type.Object({ jobs: Type.Array(JobViewSchema), next_cursor: nullable(Type.String()) }, { $id: 'ListPage' });

export const CancelOutcomeSchema = Type.Object({ job_id: Type.String(), status: Type.Literal('cancelled') }, { $id: 'CancelOutcome' });

export const BlobInfoSchema = Type.Object({
  blob_id: Type.String({ description: 'content hash: re-uploading the same bytes returns the same id' }),
  size: nonNegInt(), crc32c: nonNegInt(),
}, { $id: 'BlobInfo' });

export const PricingModelSchema = Type.Union([
  Type.Object({ model: Type.Literal('free') }),
  Type.Object({ model: Type.Literal('per_hour'), usd_per_hour: Type.Number() }),
  Type.Object({ model: Type.Literal('per_invocation'), usd_per_invocation: Type.Number() }),
  Type.Object({ model: Type.Literal('per_gb_second'), usd_per_gb_second: Type.Number(), usd_per_request: Type.Optional(Type.Number()) }),
], { $id: 'PricingModel' });

export const CapabilitiesSchema = Type.Object({
  max_concurrent_jobs: nonNegInt(), max_memory_mb: Type.Number(), max_duration_seconds: Type.Number(),
  supports_gpu: Type.Boolean(), supports_persistent_state: Type.Boolean(),
  cost_per_hour_usd: Type.Number(), latency_ms: Type.Number(), available_slots: nonNegInt(),
  parallelism: Type.Optional(Type.Integer({ minimum: 1, description: 'jobs that actually run at once when fewer than max_concurrent_jobs do; absent: every slot runs' })),
  pricing: PricingModelSchema, trust: literalUnion(['trusted', 'untrusted'] as const),
}, { $id: 'Capabilities' });

export const SubstrateViewSchema = Type.Object({
  name: Type.String(), type: Type.String(), capabilities: CapabilitiesSchema, healthy: Type.Boolean(),
  circuit: literalUnion(['closed', 'open', 'half_open'] as const), in_flight: nonNegInt(),
  measured_latency_ms: nullable(Type.Number()), measured_throughput_bps: nullable(Type.Number()),
  score: nullable(Type.Number()), last_probe_at: nullable(isoTime()), last_error: nullable(Type.String()),
}, { $id: 'SubstrateView' });

export const MetricRecordSchema = Type.Object({
  timestamp: isoTime(), job_id: Type.String(), substrate: nullable(Type.String()), success: Type.Boolean(),
  status: literalUnion(RESULT_STATUSES), exec_time_ms: Type.Number(),
  queue_time_ms: Type.Number(), bytes_processed: nonNegInt(), cost_usd: Type.Number(), attempts: nonNegInt(),
}, { $id: 'MetricRecord' });

export const SubstrateAggregateSchema = Type.Object({
  jobs: nonNegInt(), succeeded: nonNegInt(), failed: nonNegInt(), avg_exec_time_ms: Type.Number(),
  total_cost_usd: Type.Number(), bytes_processed: nonNegInt(),
}, { $id: 'SubstrateAggregate' });

export const MetricsReportSchema = Type.Object({
  metrics: Type.Array(MetricRecordSchema, { description: 'newest first' }),
  substrates: Type.Record(Type.String(), SubstrateAggregateSchema),
}, { $id: 'MetricsReport' });

export const ReadyReportSchema = Type.Object({
  ready: Type.Boolean(), store: Type.Boolean({ description: 'job store reachable' }),
  substrates: Type.Integer({ description: 'healthy substrates' }),
  store_warning: Type.Optional(Type.String({ description: 'present when the store can lose acknowledged jobs on a restart (e.g. Redis without appendonly)' })),
  error: Type.Optional(ErrorBodySchema),
}, { $id: 'ReadyReport' });

export const NodeListSchema = Type.Object({
  nodes: Type.Array(NodeViewSchema), require_credential: Type.Boolean(), verification: anyObject(),
}, { $id: 'NodeList' });
export const BanOutcomeSchema = Type.Object({ node_id: Type.Optional(Type.String()), status: Type.Optional(Type.Literal('banned')) }, { $id: 'BanOutcome' });
export const BanListSchema = Type.Object({ bans: Type.Optional(Type.Array(anyObject())) }, { $id: 'BanList' });
export const JoinTokenListSchema = Type.Object({ tokens: Type.Optional(Type.Array(JoinTokenSchema)) }, { $id: 'JoinTokenList' });
export const RevokeOutcomeSchema = Type.Object({ id: Type.Optional(Type.String()), status: Type.Optional(Type.Literal('revoked')) }, { $id: 'RevokeOutcome' });
export const SubstrateListSchema = Type.Object({ substrates: Type.Array(SubstrateViewSchema) }, { $id: 'SubstrateList' });
export const DashboardFrameSchema = Type.Object({
  at: Type.Number({ description: 'when the frame was made, ms since the epoch' }), dispatchers: Type.Array(anyObject()), totals: anyObject(),
  jobs_per_second: Type.Number(), substrates: Type.Array(anyObject()),
}, { $id: 'DashboardFrame' });
export const HealthReportSchema = Type.Object({ status: Type.Optional(Type.Literal('ok')) }, { $id: 'HealthReport' });

/** Every reply component, in the order /openapi.json lists them. */
export const REPLY_SCHEMAS: readonly TSchema[] = [
  ErrorCodeSchema, ErrorBodySchema, ErrorSchema, SplitProgressSchema, SubmitOutcomeSchema, BatchOutcomeSchema, OpResultSchema,
  AttemptErrorSchema, ResultRecordSchema, VerificationSchema, ReputationViewSchema, NodeCapabilitiesReplySchema, NodeViewSchema, JoinTokenSchema, PendingResultSchema, JobViewSchema,
  DryRunOutcomeSchema, DryRunBatchSchema, CostsReportSchema, ListPageSchema, CancelOutcomeSchema, BlobInfoSchema, PricingModelSchema,
  CapabilitiesSchema, SubstrateViewSchema, MetricRecordSchema, SubstrateAggregateSchema, MetricsReportSchema, ReadyReportSchema,
  NodeListSchema, BanOutcomeSchema, BanListSchema, JoinTokenListSchema, RevokeOutcomeSchema, SubstrateListSchema, DashboardFrameSchema,
  HealthReportSchema,
];

/**
 * The reply types the code builds and the schemas the document states must
 * be the same shape: each line fails to compile when a field is added,
 * dropped, retyped or made optional on one side only. `Exact` is mutual
 * assignability (which alone misses an optional field present on one side
 * only) plus the same keys; each nested object with a schema of its own has
 * its own line.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Exact<A, B> = Same<A, B> extends true ? Same<keyof A, keyof B> : false;
type Holds<T extends true> = T;
export type ReplyTypesMatchTheirSchemas = [
  Holds<Exact<Static<typeof ErrorBodySchema>, ErrorBody>>,
  Holds<Exact<Static<typeof AttemptErrorSchema>, AttemptError>>,
  Holds<Exact<Static<typeof MetricRecordSchema>, MetricRecord>>,
  Holds<Exact<Static<typeof VerificationSchema>, Verification>>,
  Holds<Exact<Static<typeof SplitProgressSchema>, SplitProgress>>,
  Holds<Exact<Static<typeof OpResultSchema>, OpResult>>,
  Holds<Exact<Static<typeof ResultRecordSchema>, ResultRecord>>,
  // GET /v1/jobs/:id answers the dispatcher's JobStatusView; a listing's entries are the store's JobView, the same less parent_id and progress
  Holds<Exact<Static<typeof JobViewSchema>, JobStatusView>>,
  Holds<Exact<Omit<Static<typeof JobViewSchema>, 'parent_id' | 'progress'>, JobView>>,
  Holds<Exact<Static<typeof ReputationViewSchema>, ReputationView>>,
  Holds<Exact<Static<typeof NodeCapabilitiesReplySchema>, NodeCapabilities>>,
  Holds<Exact<Static<typeof NodeViewSchema>, NodeView>>,
  Holds<Exact<Static<typeof PricingModelSchema>, PricingModel>>,
  Holds<Exact<Static<typeof CapabilitiesSchema>, Capabilities>>,
  Holds<Exact<Static<typeof SubstrateViewSchema>, SubstrateView>>,
];
