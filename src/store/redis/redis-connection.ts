import { Cluster, Redis } from 'ioredis';
import { PacketFSError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { backoffDelayMs } from '../../util/backoff.js';

/**
 * Opening the store's Redis connection, and turning what ioredis throws into
 * PacketFSErrors.
 *
 * Outage behaviour comes from three settings: no offline queue (a command
 * issued while disconnected fails at once instead of waiting for the
 * reconnection), no per-request retries (commands in flight when the
 * connection drops fail at once too; the store's scripts are safe to repeat,
 * so callers retry them) and a command timeout (a Redis that accepts the
 * connection but stops answering cannot hang a caller). ioredis itself keeps
 * reconnecting with capped exponential backoff, and everything resumes on the
 * same client once Redis answers again.
 */
export interface ConnectionOptions {
  /** how long connect() waits for a first successful connection; default 10 s */
  connectTimeoutMs?: number;
  /** a command not answered in this time fails with STORE_UNAVAILABLE; default 5 s */
  commandTimeoutMs?: number;
  /** ceiling of the reconnection backoff; default 2 s */
  maxReconnectDelayMs?: number;
}

/** A standalone connection or a Redis Cluster client: the store uses only what both offer. */
export type RedisClient = Redis | Cluster;

/** 50 ms, 100 ms, 200 ms … capped at maxDelay, with jitter so many dispatchers do not reconnect in lockstep */
const backoff = (maxDelay: number) => (times: number) => backoffDelayMs({ baseMs: 50, maxMs: maxDelay, jitter: 'equal' }, times - 1);

export async function openRedis(url: string, opts: ConnectionOptions, logger: Logger): Promise<Redis> {
  const maxDelay = opts.maxReconnectDelayMs ?? 2000;
  let redis: Redis;
  try {
    redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: opts.commandTimeoutMs ?? 5000,
      connectTimeout: Math.min(opts.connectTimeoutMs ?? 10_000, 5000),
      retryStrategy: backoff(maxDelay),
      // commands issued in the same tick share one write (the store reads many keys with Promise.all)
      enableAutoPipelining: true,
    });
  } catch (err) {
    throw new PacketFSError('INVALID_REQUEST', `not a usable Redis URL: ${(err as Error).message}`, { path: 'redis', cause: err });
  }
  watchConnection(redis, logger, 'redis');
  await firstConnection(redis, opts, `Redis at ${redactUrl(url)}`);
  return redis;
}

/**
 * A Redis Cluster client on the given seed nodes ("host:port"; the others
 * are discovered). The same outage behaviour as a standalone connection
 * (fail fast, reconnect with backoff), plus what a cluster needs: MOVED/ASK
 * redirections and CLUSTERDOWN/TRYAGAIN during a failover are retried by
 * ioredis for a short while, commands go to masters only (a replica may lag
 * behind), and commands for the same node issued in one tick share a write.
 */
export async function openRedisCluster(nodes: string[], opts: ConnectionOptions, logger: Logger): Promise<Cluster> {
  const maxDelay = opts.maxReconnectDelayMs ?? 2000;
  const seeds = nodes.map((node) => {
    const m = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/.exec(node.trim());
    const port = m === null ? NaN : Number(m[2]);
    if (m === null || port < 1 || port > 65535) {
      throw new PacketFSError('INVALID_REQUEST', `a Redis Cluster node is host:port, got '${node}'`, { path: 'redis_cluster' });
    }
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
  });
  if (seeds.length === 0) throw new PacketFSError('INVALID_REQUEST', 'give at least one Redis Cluster node (host:port)', { path: 'redis_cluster' });
  const cluster = new Cluster(seeds, {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    scaleReads: 'master',
    maxRedirections: 16,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    clusterRetryStrategy: backoff(maxDelay),
    slotsRefreshTimeout: 2000,
    redisOptions: {
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: opts.commandTimeoutMs ?? 5000,
      connectTimeout: Math.min(opts.connectTimeoutMs ?? 10_000, 5000),
    },
  });
  watchConnection(cluster, logger, 'redis-cluster');
  await firstConnection(cluster, opts, `Redis Cluster at ${nodes.join(',')}`);
  return cluster;
}

async function firstConnection(redis: RedisClient, opts: ConnectionOptions, what: string): Promise<void> {
  const timeoutMs = opts.connectTimeoutMs ?? 10_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
      redis.once('ready', () => { clearTimeout(timer); resolve(); });
      // a failed first attempt is retried by the retry strategy; the 'ready' event or the timer decides
      redis.connect().catch(() => {});
    });
  } catch (err) {
    redis.disconnect();
    throw new PacketFSError('STORE_UNAVAILABLE', `cannot reach ${what}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Logs outages once (not every reconnection attempt) and their end. The
 * 'error' listener is also what keeps ioredis's errors from being thrown as
 * unhandled 'error' events.
 */
export function watchConnection(redis: RedisClient, logger: Logger, role: string): void {
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn({ store: 'redis', role, err: err.message }, 'Redis connection lost; reconnecting');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ store: 'redis', role }, 'Redis connection restored');
  });
}

/** Redis replies that mean "not now" rather than "never": the server is there but cannot serve. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|OOM|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;

/** true when `err` means Redis could not be reached or could not serve right now. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof PacketFSError) return err.code === 'STORE_UNAVAILABLE';
  if (!(err instanceof Error)) return false;
  if (err.name === 'ReplyError') return TRANSIENT_REPLY.test(err.message);
  return true;
}

/**
 * What a store method throws: STORE_UNAVAILABLE (HTTP 503) for outages, the
 * PacketFSError itself when it already is one, INTERNAL for anything else
 * (a Redis error reply that is not transient points at a bug, not an outage).
 */
export function storeError(err: unknown): PacketFSError {
  if (err instanceof PacketFSError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isUnavailable(err)) return new PacketFSError('STORE_UNAVAILABLE', `job store unavailable: ${message}`, { cause: err });
  return new PacketFSError('INTERNAL', `job store error: ${message}`, { cause: err });
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
