import type { Cluster, Redis } from 'ioredis';

/**
 * Whether a Redis would keep acknowledged jobs across a restart, read from
 * its own settings (CONFIG GET appendonly / appendfsync / save; managed
 * Redis services often forbid CONFIG, then INFO persistence tells whether
 * the append-only file is on).
 *
 *   appendonly yes, appendfsync always    durable: each write is fsynced before the reply
 *   appendonly yes, appendfsync everysec  a crash of redis-server alone loses nothing (written to
 *                                         the OS before the reply); a power loss or kernel crash
 *                                         loses up to about a second (2 s if the disk stalls)
 *   appendonly yes, appendfsync no        as everysec, but the OS decides when (~30 s on Linux)
 *   appendonly no, save "<rules>"         snapshots only: everything since the last one is lost
 *   appendonly no, save ""                nothing survives a restart
 *
 * docs/redis-store.md gives the settings to use.
 */
export interface PersistenceReport {
  /** true when a restart of redis-server (crash included) keeps every acknowledged job */
  durable: boolean;
  /** the settings read, e.g. 'appendonly yes, appendfsync everysec' */
  settings: string;
  /** what an operator should know when not durable (also logged and shown by /readyz), else null */
  warning: string | null;
}

type Client = Redis | Cluster;

async function configValue(redis: Client, name: string): Promise<string | null> {
  const reply = await redis.config('GET', name) as unknown;
  return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : null;
}

/** A Cluster is as durable as its least durable master: each is read, the first one at risk is reported. */
export async function checkPersistence(redis: Client): Promise<PersistenceReport> {
  if (!redis.isCluster) return checkNode(redis, 'Redis');
  const masters = (redis as Cluster).nodes('master');
  const reports = await Promise.all(masters.map((node) => checkNode(node, `Redis Cluster master ${node.options.host}:${node.options.port}`)));
  return reports.find((r) => !r.durable) ?? reports[0] ?? { durable: false, settings: 'no master connected', warning: 'Redis Cluster: no master connected' };
}

async function checkNode(redis: Client, where: string): Promise<PersistenceReport> {
  let appendonly: string | null;
  let fsync: string | null = null;
  let save: string | null = null;
  try {
    appendonly = await configValue(redis, 'appendonly');
    fsync = await configValue(redis, 'appendfsync');
    save = await configValue(redis, 'save');
  } catch {
    // CONFIG disabled or renamed (managed services): INFO still says whether AOF is on
    const info = await redis.info('persistence');
    const aof = /^aof_enabled:(\d)/m.exec(info)?.[1];
    appendonly = aof === undefined ? null : aof === '1' ? 'yes' : 'no';
  }
  if (appendonly === 'yes') {
    const settings = `appendonly yes${fsync === null ? '' : `, appendfsync ${fsync}`}`;
    return { durable: true, settings, warning: null };
  }
  if (appendonly === null) {
    return { durable: false, settings: 'unknown (CONFIG and INFO persistence unavailable)', warning: `${where}: cannot tell whether acknowledged jobs survive a restart; turn on appendonly (docs/redis-store.md)` };
  }
  const settings = `appendonly no, save "${save ?? 'unknown'}"`;
  const loses = save === '' ? 'every queued job and stored result' : 'every job acknowledged since the last snapshot';
  return { durable: false, settings, warning: `${where} (${settings}) loses ${loses} when it restarts; set appendonly yes (docs/redis-store.md)` };
}
