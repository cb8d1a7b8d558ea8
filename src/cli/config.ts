import { readFile } from 'node:fs/promises';
import { CLUSTER_NODE } from './arg-parsers.js';
import { checkSubstrates, type SubstrateEntry } from '../config/index.js';
import { checkBudget, type BudgetConfig } from '../budget/budget-config.js';
import { PacketFSError } from '../errors.js';
import { UsageError } from './usage-error.js';

/**
 * The `serve` config file (JSON). Keys mirror the flags; flags (and the env
 * variables they read) override the file. The file never holds the token
 * itself, only `token_env`: the NAME of the variable that does, so config
 * files can be committed and shared.
 */
export interface ServeConfig {
  port?: number;
  host?: string;
  data_dir?: string;
  log_level?: LogLevelName;
  token_env?: string;
  redis_url?: string;
  /** Redis Cluster seed nodes: ["host:port", …] or "host:port,host:port" */
  redis_cluster?: string | string[];
  /** hash-tagged shards the queue is split into on a Redis Cluster (default 3) */
  redis_shards?: number;
  /** replicas a write must reach before it is acknowledged (default 1 on a Redis Cluster, 0 standalone) */
  redis_wait_replicas?: number;
  policy?: 'cost-latency' | 'classic';
  allow_private_data_urls?: boolean;
  allow_hosts?: string[];
  threads?: number;
  allow_insecure_listen?: boolean;
  lease_ms?: number;
  metrics_limit?: number;
  /** the embedded job store: sqlite (default, <data_dir>/packetfs.db) or memory */
  store?: StoreKind;
  /** SQLite commits: normal (survives a crash of the process) or always (fsync per commit: survives power loss) */
  fsync?: FsyncModeName;
  /** seconds a finished job's result is kept */
  result_ttl_s?: number;
  /** most results kept; the oldest go first */
  max_results?: number;
  /** most bytes of results kept; the oldest go first */
  max_result_bytes?: number;
  /** admit anonymous volunteer nodes even though the API has a token (public volunteer pages) */
  open_volunteers?: boolean;
  /** jobs that do not say are private: never sent to browsers or volunteers */
  private_by_default?: boolean;
  /** jobs may ask verify: "none" */
  allow_unverified?: boolean;
  /** submit answers 503 QUEUE_FULL past this many unfinished jobs */
  max_queued_jobs?: number;
  /** ... or past this much inline data (bytes of base64) held by unfinished jobs */
  max_queued_bytes?: number;
  /** origin under which remote substrates reach this dispatcher's /v1/blobs (e.g. https://packetfs.example.com) */
  public_origin?: string;
  /** cloud substrates (src/config/substrate-entries.ts) */
  substrates?: SubstrateEntry[];
  /** spend limits per UTC day and month, global and per substrate (docs/costs.md) */
  budget?: BudgetConfig;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevelName = typeof LOG_LEVELS[number];
export const POLICIES = ['cost-latency', 'classic'] as const;
export const STORE_KINDS = ['sqlite', 'memory'] as const;
export type StoreKind = typeof STORE_KINDS[number];
export const FSYNC_MODES = ['normal', 'always'] as const;
export type FsyncModeName = typeof FSYNC_MODES[number];

export const DEFAULT_CONFIG_FILE = 'packetfs.config.json';

type Check = (value: unknown) => string | null;

const isInt = (min: number, max: number): Check => (v) =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? null : `an integer from ${min} to ${max}`;
const isString: Check = (v) => typeof v === 'string' && v !== '' ? null : 'a non-empty string';
const isBool: Check = (v) => typeof v === 'boolean' ? null : 'true or false';
const isOneOf = (choices: readonly string[]): Check => (v) =>
  typeof v === 'string' && choices.includes(v) ? null : `one of ${choices.join(', ')}`;
const isEnvName: Check = (v) =>
  typeof v === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? null : 'the name of an environment variable';
const isRedisUrl: Check = (v) =>
  typeof v === 'string' && /^rediss?:\/\//.test(v) ? null : 'a redis:// or rediss:// URL';
const isClusterNodes: Check = (v) => {
  const nodes = typeof v === 'string' ? v.split(',').map((n) => n.trim()) : v;
  return Array.isArray(nodes) && nodes.length > 0 && nodes.every((n) => typeof n === 'string' && CLUSTER_NODE.test(n))
    ? null : 'host:port nodes, as an array of strings or one comma-separated string';
};
const isStringList: Check = (v) =>
  Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '') ? null : 'an array of non-empty strings';

const CHECKS: Record<keyof ServeConfig, Check> = {
  port: isInt(0, 65535),
  host: isString,
  data_dir: isString,
  log_level: isOneOf(LOG_LEVELS),
  token_env: isEnvName,
  redis_url: isRedisUrl,
  redis_cluster: isClusterNodes,
  redis_shards: isInt(1, 64),
  redis_wait_replicas: isInt(0, 16),
  policy: isOneOf(POLICIES),
  allow_private_data_urls: isBool,
  allow_hosts: isStringList,
  threads: isInt(1, 1024),
  allow_insecure_listen: isBool,
  lease_ms: isInt(100, 86_400_000),
  metrics_limit: isInt(0, 10_000_000),
  store: isOneOf(STORE_KINDS),
  fsync: isOneOf(FSYNC_MODES),
  result_ttl_s: isInt(0, 365 * 86_400),
  max_results: isInt(0, Number.MAX_SAFE_INTEGER),
  max_result_bytes: isInt(0, Number.MAX_SAFE_INTEGER),
  open_volunteers: isBool,
  private_by_default: isBool,
  allow_unverified: isBool,
  max_queued_jobs: isInt(1, 1_000_000_000),
  max_queued_bytes: isInt(1024, Number.MAX_SAFE_INTEGER),
  public_origin: (v) => typeof v === 'string' && /^https?:\/\/[^/?#]+$/.test(v) ? null : 'an origin such as https://host:port (no path)',
  // checked field by field in checkConfig, so errors name e.g. substrates[1].url
  substrates: () => null,
  // checked by checkBudget, so errors name e.g. budget.per_substrate.lambda.daily_usd
  budget: () => null,
};

/**
 * Reads and checks a config file. A missing file is fine only when it is the
 * default one (`explicit` false); every problem names the file and the key.
 */
export async function loadConfig(path: string, explicit: boolean): Promise<ServeConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!explicit && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read config file ${path}: ${(err as Error).message}`, '--config');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(err as Error).message}`, '--config');
  }
  return checkConfig(parsed, path);
}

export function checkConfig(parsed: unknown, source: string): ServeConfig {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`config file ${source} must hold a JSON object`);
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'token') {
      throw new UsageError(`${source}: "token" is not allowed in a config file; put the token in an environment variable and name it with "token_env"`, key);
    }
    if (key === 'substrates') {
      checkSubstrateSection(value, source);
      continue;
    }
    if (key === 'budget') {
      checkNested(() => checkBudget(value), source);
      continue;
    }
    const check = CHECKS[key as keyof ServeConfig];
    if (check === undefined) {
      throw new UsageError(`${source}: unknown key "${key}" (known keys: ${Object.keys(CHECKS).join(', ')})`, key);
    }
    const expected = check(value);
    if (expected !== null) throw new UsageError(`${source}: "${key}" must be ${expected}, got ${JSON.stringify(value)}`, key);
  }
  return parsed as ServeConfig;
}

/** The substrates section has nested paths (`substrates[1].url`); its errors keep them. */
function checkSubstrateSection(value: unknown, source: string): void {
  checkNested(() => checkSubstrates(value), source);
}

function checkNested(check: () => unknown, source: string): void {
  try {
    check();
  } catch (err) {
    if (err instanceof PacketFSError) throw new UsageError(`${source}: ${err.message}`, err.path);
    throw err;
  }
}
