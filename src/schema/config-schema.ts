import type { Static, TLiteral, TUnion } from '@sinclair/typebox';
import { Type } from './type.js';

/**
 * packetfs.config.json as one TypeBox schema: the `serve` keys (they mirror
 * the flags) and the `substrates` section. The types of the checked file come
 * from here (ServeConfig, SubstrateEntry), and so does the check itself
 * (src/cli/config.ts, src/config/check-substrates.ts). Secrets are never in
 * the file: `*_env` keys name the environment variables that hold them.
 * `{path}`, `{key}` and `{json}` in messages are filled in by validator.ts.
 */
export const SUBSTRATE_TYPES = ['cloudflare', 'lambda', 'fly', 'cloudrun', 'vercel', 'spot'] as const;
export const PRICING_MODELS = ['free', 'per_hour', 'per_invocation', 'per_gb_second'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
/** scheduling policies by name, the default first (src/scheduler/policies/ implements them) */
export const POLICIES = ['queue-aware', 'cost-latency', 'classic'] as const;
export const STORE_KINDS = ['sqlite', 'memory'] as const;
export const FSYNC_MODES = ['normal', 'always'] as const;
/** one Redis Cluster node, host:port (the CLI's --redis-cluster reads the same) */
const CLUSTER_NODE = '(?:[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\]):\\d{1,5}';
/** the runtimes take at most this many jobs per request */
const MAX_REMOTE_BATCH = 1000;

function oneOf<T extends string>(values: readonly T[], errorMessage: string): TUnion<TLiteral<T>[]> {
  return Type.Union(values.map((v) => Type.Literal(v)), { errorMessage });
}

// --- the substrates section: messages name the full path (substrates[1].url)
const must = (what: string) => ({ errorMessage: `{path} must be ${what}` });
const str = () => Type.String({ minLength: 1, maxLength: 2048, ...must('a non-empty string') });
const envName = () => Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', ...must('the name of an environment variable') });
const httpUrl = () => Type.String({ maxLength: 2048, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^@/?#\\s]+(?:[/?#]\\S*)?$', ...must('an absolute http:// or https:// URL') });
const int = (min: number, max: number) => Type.Integer({ minimum: min, maximum: max, ...must(`an integer from ${min} to ${max}`) });
const usd = () => Type.Number({ minimum: 0, ...must('a number >= 0 (USD)') });
const amount = () => Type.Number({ minimum: 0, ...must('a number >= 0') });
const object = <P extends Parameters<typeof Type.Object>[0]>(properties: P) => Type.Object(properties, { additionalProperties: false, ...must('an object') });

const PricingSchema = object({
  model: Type.Optional(oneOf(PRICING_MODELS, `{path} must be one of ${PRICING_MODELS.join(', ')}`)),
  usd_per_hour: Type.Optional(usd()),
  usd_per_invocation: Type.Optional(usd()),
  usd_per_gb_second: Type.Optional(usd()),
  usd_per_request: Type.Optional(usd()),
  cost_per_hour_usd: Type.Optional(usd()),
  free_tier: Type.Optional(object({ requests: Type.Optional(amount()), gb_seconds: Type.Optional(amount()), hours: Type.Optional(amount()) })),
});

const common = {
  name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$', ...must('a name of letters, digits, . _ - (up to 63)') }),
  pricing: Type.Optional(PricingSchema),
  limits: Type.Optional(object({
    max_concurrent_jobs: Type.Optional(int(1, 1_000_000)),
    max_memory_mb: Type.Optional(int(1, 1_048_576)),
    max_duration_seconds: Type.Optional(int(1, 86_400)),
    max_batch: Type.Optional(int(1, MAX_REMOTE_BATCH)),
    concurrency: Type.Optional(int(1, 1024)),
  })),
  latency_ms: Type.Optional(Type.Number({ minimum: 0, ...must('a number >= 0 (milliseconds)') })),
};

const urlToken = <T extends 'cloudflare' | 'vercel'>(type: T) => object({ type: Type.Literal(type), ...common, url: httpUrl(), token_env: Type.Optional(envName()) });

export const SubstrateEntrySchema = Type.Union([
  urlToken('cloudflare'),
  urlToken('vercel'),
  object({
    type: Type.Literal('lambda'), ...common, region: str(), function_name: str(), qualifier: Type.Optional(str()), endpoint: Type.Optional(httpUrl()),
    credentials_env: Type.Optional(object({ access_key_id: envName(), secret_access_key: envName(), session_token: Type.Optional(envName()) })),
  }),
  object({
    type: Type.Literal('fly'), ...common, url: httpUrl(), token_env: Type.Optional(envName()),
    machines: Type.Optional(object({
      app: str(), api_token_env: envName(), api_url: Type.Optional(httpUrl()), min: int(0, 1000), max: int(1, 1000),
      jobs_per_machine: Type.Optional(int(1, 1_000_000)), idle_stop_s: Type.Optional(int(1, 86_400)),
    })),
  }),
  object({
    type: Type.Literal('cloudrun'), ...common, url: httpUrl(),
    /** a variable holding a ready ID token; otherwise tokens come from the metadata server */
    id_token_env: Type.Optional(envName()),
    metadata_url: Type.Optional(httpUrl()),
  }),
  // spot prices come from EC2 (DescribeSpotPriceHistory), so no pricing block; see docs/spot.md
  object({
    type: Type.Literal('spot'), name: common.name, latency_ms: common.latency_ms,
    region: str(), image_id: str(), instance_type: str(), max_instances: int(1, 1000),
    slots_per_instance: Type.Optional(int(1, 1024)), idle_terminate_s: Type.Optional(int(1, 86_400)), boot_timeout_s: Type.Optional(int(10, 86_400)),
    max_price_usd: Type.Optional(usd()), subnet_id: Type.Optional(str()), key_name: Type.Optional(str()), iam_instance_profile: Type.Optional(str()),
    worker_command: Type.Optional(str()),
    security_group_ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255, ...must('a security group id') }), { maxItems: 16, ...must('an array of security group ids') })),
    /** ws(s):// URL the instances reach this dispatcher's node socket at; default from public_origin */
    coordinator_url: Type.Optional(Type.String({ maxLength: 2048, pattern: '^[Ww][Ss][Ss]?://[^@/?#\\s]+(?:[/?#]\\S*)?$', ...must('a ws:// or wss:// URL of this dispatcher') })),
    endpoint: Type.Optional(httpUrl()), max_memory_mb: Type.Optional(int(1, 1_048_576)),
    credentials_env: Type.Optional(object({ access_key_id: envName(), secret_access_key: envName(), session_token: Type.Optional(envName()) })),
  }),
], { errorMessage: `{path} must be an object with a "type" (${SUBSTRATE_TYPES.join(', ')})`, discriminator: 'type', discriminatorMessage: `{path} must be one of ${SUBSTRATE_TYPES.join(', ')}` });

export type SubstrateEntry = Static<typeof SubstrateEntrySchema>;
export type SubstrateType = SubstrateEntry['type'];
export type PricingEntry = Static<typeof PricingSchema>;
export type SpotEntry = Extract<SubstrateEntry, { type: 'spot' }>;

// --- the budget section (docs/costs.md): messages name the full path (budget.per_substrate.lambda.daily_usd)
/** a limit above this is a typo, not a budget */
export const MAX_BUDGET_USD = 1_000_000_000;
const limitUsd = () => Type.Number({ minimum: 0, maximum: MAX_BUDGET_USD, ...must(`a number of US dollars 0..${MAX_BUDGET_USD}`) });
const PeriodLimitsSchema = object({ daily_usd: Type.Optional(limitUsd()), monthly_usd: Type.Optional(limitUsd()) });
export const BudgetSchema = object({
  daily_usd: Type.Optional(limitUsd()),
  monthly_usd: Type.Optional(limitUsd()),
  per_substrate: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$' }), PeriodLimitsSchema, {
    additionalProperties: false, ...must('an object: substrate name → {daily_usd, monthly_usd}, keyed by substrate names (letters, digits, . _ -, up to 63)'),
  })),
});
export type PeriodLimits = Static<typeof PeriodLimitsSchema>;
export type BudgetConfig = Static<typeof BudgetSchema>;

// --- the serve keys: messages name the key and show the value given
const key = (what: string) => ({ errorMessage: `"{key}" must be ${what}, got {json}` });
const keyInt = (min: number, max: number) => Type.Optional(Type.Integer({ minimum: min, maximum: max, ...key(`an integer from ${min} to ${max}`) }));
const keyBool = () => Type.Optional(Type.Boolean(key('true or false')));
const keyString = () => Type.Optional(Type.String({ minLength: 1, ...key('a non-empty string') }));
const keyOneOf = <T extends string>(values: readonly T[]) => Type.Optional(oneOf(values, `"{key}" must be one of ${values.join(', ')}, got {json}`));

export const ServeConfigSchema = Type.Object({
  port: keyInt(0, 65535),
  host: keyString(),
  data_dir: keyString(),
  log_level: keyOneOf(LOG_LEVELS),
  token_env: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', ...key('the name of an environment variable') })),
  redis_url: Type.Optional(Type.String({ pattern: '^rediss?://', ...key('a redis:// or rediss:// URL') })),
  /** Redis Cluster seed nodes: ["host:port", …] or "host:port,host:port" */
  redis_cluster: Type.Optional(Type.Union([
    Type.String({ pattern: `^${CLUSTER_NODE}(?:\\s*,\\s*${CLUSTER_NODE})*$` }),
    Type.Array(Type.String({ pattern: `^${CLUSTER_NODE}$` }), { minItems: 1 }),
  ], key('host:port nodes, as an array of strings or one comma-separated string'))),
  /** hash-tagged shards the queue is split into on a Redis Cluster (default 3) */
  redis_shards: keyInt(1, 64),
  /** replicas a write must reach before it is acknowledged (default 1 on a Redis Cluster, 0 standalone) */
  redis_wait_replicas: keyInt(0, 16),
  policy: keyOneOf(POLICIES),
  allow_private_data_urls: keyBool(),
  allow_hosts: Type.Optional(Type.Array(
    Type.String({ minLength: 1, errorMessage: '"{path}" must be a non-empty string (a host name or CIDR), got {json}' }),
    key('an array of non-empty strings'),
  )),
  threads: keyInt(1, 1024),
  allow_insecure_listen: keyBool(),
  lease_ms: keyInt(100, 86_400_000),
  metrics_limit: keyInt(0, 10_000_000),
  /** the embedded job store: sqlite (default, <data_dir>/packetfs.db) or memory */
  store: keyOneOf(STORE_KINDS),
  /** SQLite commits and blob uploads: normal (survives a crash of the process) or always (fsync before each acknowledgement: survives power loss) */
  fsync: keyOneOf(FSYNC_MODES),
  /** seconds a finished job's result is kept */
  result_ttl_s: keyInt(0, 365 * 86_400),
  /** most results kept; the oldest go first */
  max_results: keyInt(0, Number.MAX_SAFE_INTEGER),
  /** most bytes of results kept; the oldest go first */
  max_result_bytes: keyInt(0, Number.MAX_SAFE_INTEGER),
  /** admit anonymous volunteer nodes even though the API has a token (public volunteer pages) */
  open_volunteers: keyBool(),
  /** jobs that do not say are private: never sent to browsers or volunteers */
  private_by_default: keyBool(),
  /** jobs may ask verify: "none" */
  allow_unverified: keyBool(),
  /** submit answers 503 QUEUE_FULL past this many unfinished jobs */
  max_queued_jobs: keyInt(1, 1_000_000_000),
  /** ... or past this much inline data (bytes of base64) held by unfinished jobs */
  max_queued_bytes: keyInt(1024, Number.MAX_SAFE_INTEGER),
  /** origin under which remote substrates reach this dispatcher's /v1/blobs (e.g. https://packetfs.example.com) */
  public_origin: Type.Optional(Type.String({ pattern: '^https?://[^/?#]+$', ...key('an origin such as https://host:port (no path)') })),
  /** cloud substrates */
  substrates: Type.Optional(Type.Array(SubstrateEntrySchema, must('an array of substrate entries'))),
  /** spend limits per UTC day and month, global and per substrate (docs/costs.md) */
  budget: Type.Optional(BudgetSchema),
}, { additionalProperties: false, errorMessage: 'the config file must hold a JSON object' });

export type ServeConfig = Static<typeof ServeConfigSchema>;
export type LogLevelName = typeof LOG_LEVELS[number];
export type StoreKind = typeof STORE_KINDS[number];
export type FsyncModeName = typeof FSYNC_MODES[number];
