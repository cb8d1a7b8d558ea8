import type { Static, TSchema } from '@sinclair/typebox';
import { ERROR_CODES, type ErrorBody, type ErrorCode } from '../errors.js';
import type { AttemptError, MetricRecord, Verification } from '../job/types.js';
import type { SplitProgress } from '../split/split-progress.js';
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

export const OpResultSchema = Type.Object({
  count: Type.Optional(nonNegInt()), crc32c: Type.Optional(nonNegInt()), fnv64: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}$' })),
  xor: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })), sum: Type.Optional(nonNegInt()), bytes: nonNegInt(),
}, { $id: 'OpResult', description: 'One of count (counteq), crc32c, fnv64 (16 hex digits), xor, sum (add), plus bytes (window length).' });

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

export const NodeViewSchema = Type.Object({
  node_id: Type.String(), kind: literalUnion(['browser', 'node'] as const), address: Type.String(),
  label: nullable(Type.String()), credential: literalUnion(['open', 'shared', 'join'] as const),
  slots: nonNegInt(), slots_granted: nonNegInt(), in_flight: Type.Integer(), completed: nonNegInt(),
  latency_ms: Type.Optional(nullable(Type.Number())), throughput_bytes_per_ms: Type.Optional(nullable(Type.Number())), connected_at: Type.Optional(isoTime()),
  state: literalUnion(['probation', 'trusted', 'banned'] as const), reputation: Type.Number(),
  record: Type.Optional(anyObject()), capabilities: Type.Optional(anyObject()),
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
  AttemptErrorSchema, ResultRecordSchema, VerificationSchema, NodeViewSchema, JoinTokenSchema, PendingResultSchema, JobViewSchema,
  DryRunOutcomeSchema, DryRunBatchSchema, CostsReportSchema, ListPageSchema, CancelOutcomeSchema, BlobInfoSchema, PricingModelSchema,
  CapabilitiesSchema, SubstrateViewSchema, MetricRecordSchema, SubstrateAggregateSchema, MetricsReportSchema, ReadyReportSchema,
  NodeListSchema, BanOutcomeSchema, BanListSchema, JoinTokenListSchema, RevokeOutcomeSchema, SubstrateListSchema, DashboardFrameSchema,
  HealthReportSchema,
];

/**
 * The reply types the code builds and the schemas the document states must
 * be the same shape: each line fails to compile when a field is added,
 * dropped or retyped on one side only.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type ReplyTypesMatchTheirSchemas = [
  Holds<Same<Static<typeof ErrorBodySchema>, ErrorBody>>,
  Holds<Same<Static<typeof AttemptErrorSchema>, AttemptError>>,
  Holds<Same<Static<typeof MetricRecordSchema>, MetricRecord>>,
  Holds<Same<Static<typeof VerificationSchema>, Verification>>,
  Holds<Same<Static<typeof SplitProgressSchema>, SplitProgress>>,
];
