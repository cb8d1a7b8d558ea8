import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { DB_FILE } from '../../store/sqlite/schema.js';
import { Dispatcher } from '../../dispatcher/dispatcher.js';
import { createLogger, pinoOptions } from '../../logger.js';
import { isLoopbackHost } from '../../util/loopback.js';
import { assertListenAllowed, startServer, type RunningServer } from '../../server/server.js';
import { byteSize, clusterNodes, durationMs, integerIn, oneOf, redisUrl } from '../arg-parsers.js';
import { DEFAULT_CONFIG_FILE, FSYNC_MODES, LOG_LEVELS, loadConfig, POLICIES, STORE_KINDS } from '../config.js';
import { cloudSubstrates, resolveServeSettings, type CloudSubstrates, type ServeFlags, type ServeSettings } from '../serve-settings.js';
import { printLine } from '../output.js';
import { UsageError } from '../usage-error.js';

export function registerServe(program: Command): void {
  program.command('serve')
    .description('run a dispatcher with its HTTP API')
    .addOption(new Option('--port <port>', 'TCP port, 0 for any free one (default 8080)').argParser(integerIn(0, 65535)))
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--data-dir <dir>', 'where the job store (packetfs.db) and blobs are kept (default .data)')
    .option('--config <file>', `JSON config file (default ${DEFAULT_CONFIG_FILE} when it exists)`)
    .addOption(new Option('--log-level <level>', 'log level (default info)').argParser(oneOf(LOG_LEVELS)))
    .addOption(new Option('--token <token>', 'require this bearer token on /v1 routes').env('PACKETFS_TOKEN'))
    .addOption(new Option('--store <kind>', 'embedded job store: sqlite (durable, <data-dir>/packetfs.db) or memory (default sqlite)').argParser(oneOf(STORE_KINDS)))
    .addOption(new Option('--fsync <mode>', 'SQLite commits and blob uploads: normal survives a crash of the process, always (fsync before each acknowledgement) also power loss (default normal)').argParser(oneOf(FSYNC_MODES)))
    .addOption(new Option('--redis <url>', 'Redis job store URL, shared by several dispatchers (instead of --store)').env('REDIS_URL').argParser(redisUrl))
    .addOption(new Option('--redis-cluster <nodes>', 'Redis Cluster job store: seed nodes host:port[,host:port…] (instead of --store/--redis)').env('REDIS_CLUSTER_NODES').argParser(clusterNodes))
    .addOption(new Option('--redis-shards <n>', 'Redis Cluster: hash-tagged shards the queue is split into (default 3)').argParser(integerIn(1, 64)))
    .addOption(new Option('--redis-wait-replicas <n>', 'replicas a write must reach (WAIT) before it is acknowledged (default 1 with --redis-cluster, else 0)').argParser(integerIn(0, 16)))
    .addOption(new Option('--policy <policy>', 'scheduling policy (default queue-aware)').argParser(oneOf(POLICIES)))
    .option('--allow-private-data-urls', 'let data_url reach private and loopback addresses')
    .addOption(new Option('--threads <n>', 'local worker threads (default: one per core)').argParser(integerIn(1, 1024)))
    .option('--allow-insecure-listen', 'allow a non-loopback host without a token')
    .addOption(new Option('--node-token <token>', 'token browser/volunteer nodes must present on /v1/nodes/ws').env('PACKETFS_NODE_TOKEN'))
    .addOption(new Option('--lease-ms <ms>', 'lease (visibility timeout) of taken jobs; a crashed dispatcher\'s jobs run again after it (default 30000)').argParser(integerIn(100, 86_400_000)))
    .option('--open-volunteers', 'admit anonymous volunteer nodes although the API has a token (public volunteer pages)')
    .option('--private-by-default', 'jobs that do not say are private: never sent to browsers or volunteers')
    .option('--allow-unverified', 'let jobs ask verify: "none" (volunteer results accepted unchecked)')
    .addOption(new Option('--max-queued-jobs <n>', 'answer 503 QUEUE_FULL past this many unfinished jobs (default 1000000)').argParser(integerIn(1, 1_000_000_000)))
    .addOption(new Option('--max-queued-bytes <n>', 'answer 503 QUEUE_FULL past this much inline data in unfinished jobs (default 268435456)').argParser(integerIn(1024, Number.MAX_SAFE_INTEGER)))
    .addOption(new Option('--metrics-limit <n>', 'metric records kept in the store (default 10000)').argParser(integerIn(0, 10_000_000)))
    .addOption(new Option('--result-ttl <duration>', 'how long results are kept, e.g. 3600, 30m, 24h, 7d (default 24h)').argParser(durationMs))
    .addOption(new Option('--max-results <n>', 'most results kept, oldest dropped first (default 1000000 sqlite, 100000 memory, 10000000 redis)').argParser(integerIn(0, Number.MAX_SAFE_INTEGER)))
    .addOption(new Option('--max-result-bytes <size>', 'most bytes of results kept, e.g. 512MiB (default 1GiB sqlite, 256MiB memory, 4GiB redis)').argParser(byteSize))
    .action(async (flags: ServeFlags & { nodeToken?: string }) => {
      const config = await loadConfig(flags.config ?? DEFAULT_CONFIG_FILE, flags.config !== undefined);
      const settings = resolveServeSettings(flags, config, process.env);
      await serve(settings, flags.nodeToken, cloudSubstrates(config, process.env));
    });
}

async function serve(settings: ServeSettings, nodeToken: string | undefined, cloud: CloudSubstrates): Promise<void> {
  // refuse before any worker thread is started; it is the command line that is wrong
  try {
    assertListenAllowed(settings.host, settings.token, settings.allowInsecureListen);
  } catch (err) {
    throw new UsageError((err as Error).message, '--host');
  }
  const logger = createLogger(settings.logLevel);
  const dispatcher = await Dispatcher.create({
    dataDir: settings.dataDir,
    policy: settings.policy,
    allowPrivateDataUrls: settings.allowPrivateDataUrls,
    allowHosts: settings.allowHosts,
    publicOrigins: [...publicOrigins(settings.host, settings.port), ...cloud.publicOrigins],
    substrates: cloud.substrates,
    ...(nodeToken === undefined || nodeToken === '' ? {} : { nodeToken }),
    requireNodeCredential: nodesNeedCredential(settings, nodeToken),
    ...joinSecret(settings),
    privateByDefault: settings.privateByDefault,
    allowUnverified: settings.allowUnverified,
    ...(settings.budget === undefined ? {} : { budget: settings.budget }),
    ...(settings.maxQueuedJobs === undefined ? {} : { maxQueuedJobs: settings.maxQueuedJobs }),
    ...(settings.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: settings.maxQueuedBytes }),
    logger,
    ...(settings.redisUrl === undefined ? {} : { redisUrl: settings.redisUrl }),
    ...(settings.redisCluster === undefined ? {} : { redisCluster: settings.redisCluster }),
    ...(settings.redisShards === undefined ? {} : { redisShards: settings.redisShards }),
    ...(settings.redisWaitReplicas === undefined ? {} : { redisWaitReplicas: settings.redisWaitReplicas }),
    storeKind: settings.store,
    fsync: settings.fsync,
    ...(settings.resultTtlMs === undefined ? {} : { resultTtlMs: settings.resultTtlMs }),
    ...(settings.maxResults === undefined ? {} : { maxResults: settings.maxResults }),
    ...(settings.maxResultBytes === undefined ? {} : { maxResultBytes: settings.maxResultBytes }),
    ...(settings.threads === undefined ? {} : { threads: settings.threads }),
    ...(settings.leaseMs === undefined ? {} : { leaseMs: settings.leaseMs }),
    ...(settings.metricsLimit === undefined ? {} : { metricsLimit: settings.metricsLimit }),
  });
  let server: RunningServer;
  try {
    server = await startServer(dispatcher, {
      host: settings.host,
      port: settings.port,
      allowInsecureListen: settings.allowInsecureListen,
      logger: httpLogger(settings.logLevel),
      ...(settings.token === undefined ? {} : { token: settings.token }),
    });
  } catch (err) {
    await dispatcher.close();
    throw err;
  }
  const substrates = (await dispatcher.listSubstrates()).map((s) => s.name).join(', ');
  const store = settings.redisCluster !== undefined ? 'redis cluster' : settings.redisUrl !== undefined ? 'redis' : settings.store === 'sqlite' ? `sqlite ${join(resolve(settings.dataDir), DB_FILE)}` : 'memory';
  printLine(`packetfs listening on ${server.url} (store: ${store}, substrates: ${substrates})`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // a second signal means "now": skip the drain
      process.exit(1);
    }
    stopping = true;
    logger.info({ event: 'shutdown', signal }, 'stopping: no new requests, draining in-flight jobs');
    void shutdown(server, dispatcher).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ event: 'shutdown_failed', error: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/**
 * Nodes must present a credential whenever the API is protected or reachable
 * from other machines, unless the operator opens the pool to anonymous
 * volunteers; the loopback development default (no token) admits anyone.
 */
function nodesNeedCredential(settings: ServeSettings, nodeToken: string | undefined): boolean {
  if (settings.openVolunteers) return false;
  return settings.token !== undefined || (nodeToken !== undefined && nodeToken !== '') || !isLoopbackHost(settings.host);
}

/** Join tokens are signed with PACKETFS_JOIN_SECRET, else the API token, so every dispatcher of a deployment accepts them. */
function joinSecret(settings: ServeSettings): { joinSecret?: string } {
  const secret = process.env.PACKETFS_JOIN_SECRET;
  if (secret !== undefined && secret !== '') return { joinSecret: secret };
  return settings.token === undefined ? {} : { joinSecret: settings.token };
}

/** Fastify's pino logger, set up like the dispatcher's (src/logger.ts), on stderr. */
function httpLogger(level: ServeSettings['logLevel']): object | false {
  if (level === 'silent') return false;
  return { ...pinoOptions(level), stream: process.stderr };
}

/** Stop accepting HTTP, let the dispatcher finish or release in-flight work, then close everything. */
async function shutdown(server: RunningServer, dispatcher: Dispatcher): Promise<void> {
  const httpClosed = server.close();
  await dispatcher.drain();
  await httpClosed;
  await dispatcher.close();
}

/**
 * Origins under which this server's /v1/blobs are reachable, so data_urls
 * pointing at them read the blob store directly. Unknown before listening
 * when the port is 0; relative /v1/blobs/<id> URLs work regardless.
 * Loopback origins are claimed only when we listen on loopback or on every
 * interface: otherwise 127.0.0.1:<port> may be someone else.
 */
function publicOrigins(host: string, port: number): string[] {
  if (port === 0) return [];
  const everywhere = host === '0.0.0.0' || host === '::' || host === '[::]';
  const loopback = everywhere || isLoopbackHost(host);
  const origins = new Set<string>();
  if (!everywhere) origins.add(`http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`);
  if (loopback) {
    origins.add(`http://127.0.0.1:${port}`);
    origins.add(`http://localhost:${port}`);
    origins.add(`http://[::1]:${port}`);
  }
  return [...origins];
}
