import { Option, type Command } from 'commander';
import { createLogger } from '../../logger.js';
import { nodeSocketUrl, startVolunteer } from '../../runtimes/node-volunteer/volunteer-client.js';
import { startSpotVolunteer } from '../../runtimes/node-volunteer/spot-volunteer.js';
import { flagEnabled } from '../../runtimes/worker-core/worker-env.js';
import { assertListenAllowed } from '../../util/loopback.js';
import { integerIn, oneOf } from '../arg-parsers.js';
import { LOG_LEVELS, type LogLevelName } from '../config.js';
import { printLine } from '../output.js';
import { UsageError } from '../usage-error.js';

interface WorkerFlags {
  coordinator?: string;
  token?: string;
  slots?: number;
  http?: boolean;
  port?: number;
  host?: string;
  allowPrivateDataUrls?: boolean;
  allowInsecureListen?: boolean;
  logLevel?: LogLevelName;
  spot?: boolean;
  imdsUrl?: string;
}

export function registerWorker(program: Command): void {
  program.command('worker')
    .description('lend this machine: a volunteer node (--coordinator) or an HTTP worker for the fly/cloudrun substrates (--http)')
    .option('--coordinator <url>', 'dispatcher to serve as a volunteer node, e.g. ws://127.0.0.1:8080')
    .option('--token <token>', 'node token (volunteer; env PACKETFS_NODE_TOKEN) or required bearer token (--http; env PACKETFS_TOKEN)')
    .addOption(new Option('--slots <n>', 'jobs run at once (default: one per core)').argParser(integerIn(1, 1024)))
    .option('--http', 'serve POST /compute over HTTP instead of connecting to a dispatcher')
    .addOption(new Option('--port <port>', 'HTTP port with --http (default 8081)').argParser(integerIn(0, 65535)))
    .option('--host <host>', 'interface to listen on with --http (default 127.0.0.1; another host needs a token)')
    .option('--allow-insecure-listen', 'with --http: allow a non-loopback host without a token (env PACKETFS_ALLOW_INSECURE_LISTEN=1), e.g. behind Cloud Run IAM')
    .option('--allow-private-data-urls', 'let data_url reach private and loopback addresses')
    .addOption(new Option('--log-level <level>', 'log level (default info)').argParser(oneOf(LOG_LEVELS)))
    .option('--spot', 'volunteer on an EC2 spot instance: watch the instance metadata for the interruption notice and drain before it (docs/spot.md)')
    .option('--imds-url <url>', 'instance metadata endpoint with --spot (default http://169.254.169.254)')
    .action(async (flags: WorkerFlags) => {
      if (flags.http) await serveHttp(flags);
      else await volunteer(flags);
    });
}

async function volunteer(flags: WorkerFlags): Promise<void> {
  if (flags.coordinator === undefined) throw new UsageError('give --coordinator ws://host:port, or --http to serve HTTP', '--coordinator');
  try {
    nodeSocketUrl(flags.coordinator);
  } catch (err) {
    throw new UsageError((err as Error).message, '--coordinator');
  }
  const logger = createLogger(flags.logLevel ?? 'info');
  const token = flags.token ?? process.env.PACKETFS_NODE_TOKEN;
  if (flags.imdsUrl !== undefined && !flags.spot) throw new UsageError('--imds-url needs --spot', '--imds-url');
  if (flags.imdsUrl !== undefined && !/^https?:\/\/[^/?#]+\/?$/.test(flags.imdsUrl)) throw new UsageError('--imds-url must be an http:// origin such as http://169.254.169.254', '--imds-url');
  const options = {
    coordinator: flags.coordinator,
    logger,
    ...(token === undefined ? {} : { token }),
    ...(flags.slots === undefined ? {} : { slots: flags.slots }),
    ...(flags.allowPrivateDataUrls ? { allowPrivate: true } : {}),
  };
  const node = flags.spot ? startSpotVolunteer({ ...options, ...(flags.imdsUrl === undefined ? {} : { imdsUrl: flags.imdsUrl }) }) : startVolunteer(options);
  let signals = 0;
  const onSignal = (): void => {
    // a second signal means "now": skip finishing the running jobs
    if (++signals > 1) process.exit(1);
    void node.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await node.done;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

async function serveHttp(flags: WorkerFlags): Promise<void> {
  if (flags.coordinator !== undefined) throw new UsageError('--http and --coordinator exclude each other', '--http');
  const { startHttpWorker } = await import('../../runtimes/http-server/index.js');
  // containers (deploy/) hand the token over as a platform secret in PACKETFS_TOKEN
  const token = flags.token ?? (process.env.PACKETFS_TOKEN || undefined);
  const host = flags.host ?? '127.0.0.1';
  const allowInsecureListen = flags.allowInsecureListen === true || flagEnabled(process.env.PACKETFS_ALLOW_INSECURE_LISTEN);
  try {
    assertListenAllowed(host, token, allowInsecureListen);
  } catch (err) {
    throw new UsageError((err as Error).message, '--host');
  }
  const worker = await startHttpWorker({
    port: flags.port ?? 8081,
    logger: createLogger(flags.logLevel ?? 'info'),
    host,
    allowInsecureListen,
    ...(token === undefined ? {} : { token }),
    ...(flags.allowPrivateDataUrls ? { allowPrivate: true } : {}),
  });
  printLine(`packetfs worker listening on ${worker.url}`);
}
