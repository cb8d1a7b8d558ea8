import type { BudgetConfig } from '../budget/budget-config.js';
import { buildSubstrates } from '../config/index.js';
import { PacketFSError } from '../errors.js';
import type { Substrate } from '../substrates/substrate.js';
import type { FsyncModeName, LogLevelName, ServeConfig, StoreKind } from './config.js';
import { UsageError } from './usage-error.js';

/** `serve` flags as commander hands them over: absent when not given, so the config file can fill them. */
export interface ServeFlags {
  port?: number;
  host?: string;
  dataDir?: string;
  config?: string;
  logLevel?: LogLevelName;
  token?: string;
  redis?: string;
  redisCluster?: string[];
  redisShards?: number;
  redisWaitReplicas?: number;
  policy?: 'cost-latency' | 'classic';
  allowPrivateDataUrls?: boolean;
  threads?: number;
  allowInsecureListen?: boolean;
  leaseMs?: number;
  metricsLimit?: number;
  store?: StoreKind;
  fsync?: FsyncModeName;
  resultTtl?: number;
  maxResults?: number;
  maxResultBytes?: number;
  openVolunteers?: boolean;
  privateByDefault?: boolean;
  allowUnverified?: boolean;
  maxQueuedJobs?: number;
  maxQueuedBytes?: number;
}

export interface ServeSettings {
  port: number;
  host: string;
  dataDir: string;
  logLevel: LogLevelName;
  token: string | undefined;
  redisUrl: string | undefined;
  /** Redis Cluster seed nodes (instead of redisUrl) */
  redisCluster: string[] | undefined;
  redisShards: number | undefined;
  redisWaitReplicas: number | undefined;
  policy: 'cost-latency' | 'classic';
  allowPrivateDataUrls: boolean;
  allowHosts: string[];
  threads: number | undefined;
  allowInsecureListen: boolean;
  leaseMs: number | undefined;
  metricsLimit: number | undefined;
  /** the embedded store (ignored with redisUrl, which cannot be combined with an explicit store) */
  store: StoreKind;
  fsync: FsyncModeName;
  resultTtlMs: number | undefined;
  maxResults: number | undefined;
  maxResultBytes: number | undefined;
  openVolunteers: boolean;
  privateByDefault: boolean;
  allowUnverified: boolean;
  maxQueuedJobs: number | undefined;
  maxQueuedBytes: number | undefined;
  /** the config file's budget section (docs/costs.md) */
  budget: BudgetConfig | undefined;
}

/** Flags (and the env variables behind them) override the file; the file overrides the defaults. */
export function resolveServeSettings(flags: ServeFlags, config: ServeConfig, env: NodeJS.ProcessEnv): ServeSettings {
  const redisUrl = flags.redis ?? config.redis_url;
  const store = flags.store ?? config.store;
  const fromConfig = config.redis_cluster;
  const redisCluster = flags.redisCluster ?? (typeof fromConfig === 'string' ? fromConfig.split(',').map((n) => n.trim()) : fromConfig);
  if (redisUrl !== undefined && store !== undefined) {
    throw new UsageError(`--store ${store} and --redis choose two different job stores; give one of them`, flags.store === undefined ? 'store' : '--store');
  }
  if (redisCluster !== undefined && (redisUrl !== undefined || store !== undefined)) {
    const other = redisUrl !== undefined ? '--redis' : `--store ${store}`;
    throw new UsageError(`--redis-cluster and ${other} choose two different job stores; give one of them`, flags.redisCluster === undefined ? 'redis_cluster' : '--redis-cluster');
  }
  return {
    port: flags.port ?? config.port ?? 8080,
    host: flags.host ?? config.host ?? '127.0.0.1',
    dataDir: flags.dataDir ?? config.data_dir ?? '.data',
    logLevel: flags.logLevel ?? config.log_level ?? 'info',
    token: resolveToken(flags.token, config.token_env, env),
    redisUrl,
    redisCluster,
    redisShards: flags.redisShards ?? config.redis_shards,
    redisWaitReplicas: flags.redisWaitReplicas ?? config.redis_wait_replicas,
    policy: flags.policy ?? config.policy ?? 'cost-latency',
    allowPrivateDataUrls: flags.allowPrivateDataUrls ?? config.allow_private_data_urls ?? false,
    allowHosts: config.allow_hosts ?? [],
    threads: flags.threads ?? config.threads,
    allowInsecureListen: flags.allowInsecureListen ?? config.allow_insecure_listen ?? false,
    leaseMs: flags.leaseMs ?? config.lease_ms,
    metricsLimit: flags.metricsLimit ?? config.metrics_limit,
    store: store ?? 'sqlite',
    fsync: flags.fsync ?? config.fsync ?? 'normal',
    resultTtlMs: flags.resultTtl ?? (config.result_ttl_s === undefined ? undefined : config.result_ttl_s * 1000),
    maxResults: flags.maxResults ?? config.max_results,
    maxResultBytes: flags.maxResultBytes ?? config.max_result_bytes,
    openVolunteers: flags.openVolunteers ?? config.open_volunteers ?? false,
    privateByDefault: flags.privateByDefault ?? config.private_by_default ?? false,
    allowUnverified: flags.allowUnverified ?? config.allow_unverified ?? false,
    maxQueuedJobs: flags.maxQueuedJobs ?? config.max_queued_jobs,
    maxQueuedBytes: flags.maxQueuedBytes ?? config.max_queued_bytes,
    budget: config.budget,
  };
}

function resolveToken(flagToken: string | undefined, tokenEnv: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flagToken !== undefined) {
    if (flagToken === '') throw new UsageError('the token must not be empty', '--token');
    return flagToken;
  }
  if (tokenEnv === undefined) return undefined;
  const value = env[tokenEnv];
  // the operator asked for a token: starting without one would silently open the API
  if (value === undefined || value === '') {
    throw new UsageError(`the config file names ${tokenEnv} as the token variable (token_env), but ${tokenEnv} is not set`, 'token_env');
  }
  return value;
}

export interface CloudSubstrates {
  substrates: Substrate[];
  /** the config's public_origin, added to the dispatcher's own origins */
  publicOrigins: string[];
}

/** Builds the config file's cloud substrates, reading their secrets from `env`; a missing secret is a usage error naming the field. */
export function cloudSubstrates(config: ServeConfig, env: NodeJS.ProcessEnv): CloudSubstrates {
  const publicOrigins = config.public_origin === undefined ? [] : [config.public_origin];
  try {
    const substrates = buildSubstrates(config.substrates ?? [], { env, ...(config.public_origin === undefined ? {} : { publicOrigin: config.public_origin }) });
    return { substrates, publicOrigins };
  } catch (err) {
    if (err instanceof PacketFSError) throw new UsageError(err.message, err.path);
    throw err;
  }
}
