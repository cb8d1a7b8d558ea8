import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { silentLogger, type Logger } from '../../logger.js';
import { assertListenAllowed } from '../../util/loopback.js';
import { installNativeKernels } from '../../ops/node/native-kernels.js';
import { errorReply, handleComputeRequest, headerRecord, type WorkerEnv } from '../worker-core/index.js';
import { createNodeWorkerEnv } from './node-worker-env.js';

/**
 * The worker core over node:http, for containers (Fly.io, Cloud Run, any
 * VM): `packetfs worker --http --port P`. Bodies are streamed into the core,
 * which bounds them. SIGTERM (what Fly and Cloud Run send before stopping a
 * machine) stops accepting connections and lets in-flight requests finish.
 */
export interface HttpWorkerOptions {
  port: number;
  /** default 127.0.0.1; a non-loopback host needs a token or allowInsecureListen */
  host?: string;
  token?: string;
  /** listen on a non-loopback host without a token (a platform in front checks callers, e.g. Cloud Run IAM) */
  allowInsecureListen?: boolean;
  allowPrivate?: boolean;
  logger?: Logger;
  maxBodyBytes?: number;
  maxWindowBytes?: number;
  /** close on SIGTERM/SIGINT (default true); the handlers are removed by close() */
  handleSignals?: boolean;
  /** how long close() waits for in-flight requests before cutting connections */
  drainMs?: number;
}

export interface HttpWorker {
  url: string;
  close(): Promise<void>;
}

const DEFAULT_DRAIN_MS = 10_000;

export async function startHttpWorker(opts: HttpWorkerOptions): Promise<HttpWorker> {
  const logger = opts.logger ?? silentLogger;
  const host = opts.host ?? '127.0.0.1';
  assertListenAllowed(host, opts.token, opts.allowInsecureListen ?? false);
  // A container has node_modules, so the hardware CRC-32C is there to use; without it the pure one runs.
  installNativeKernels();
  const env = createNodeWorkerEnv({ ...opts, runtime: 'http' });
  const state = { draining: false };
  const server = createServer((req, res) => void serve(req, res, env, logger, state));
  // Keep-alive longer than typical load balancer idle timeouts (Cloud Run, Fly proxy) avoids reset races.
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => { server.off('error', reject); resolve(); });
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  logger.info({ event: 'http_worker_listening', url, auth: env.token !== undefined }, 'worker listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      state.draining = true;
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      const cut = setTimeout(() => server.closeAllConnections(), opts.drainMs ?? DEFAULT_DRAIN_MS);
      server.close(() => { clearTimeout(cut); resolve(); });
      server.closeIdleConnections();
    });
    return closing;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info({ event: 'shutdown', signal }, 'stopping: no new connections, finishing in-flight requests');
    void close();
  };
  if (opts.handleSignals !== false) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { url, close };
}

async function serve(req: IncomingMessage, res: ServerResponse, env: WorkerEnv, logger: Logger, state: { draining: boolean }): Promise<void> {
  let response: Response;
  try {
    response = await handleComputeRequest(toRequest(req), env);
  } catch (err) {
    logger.error({ event: 'http_worker_error', err: (err as Error).message }, 'request failed');
    response = errorReply(err);
  }
  const body = req.method === 'HEAD' ? undefined : Buffer.from(await response.arrayBuffer());
  const headers = headerRecord(response.headers);
  // A body refused unread (401, 413) leaves the connection mid-request: close it rather than read the rest.
  // While draining, a kept-alive connection would hold close() until the drain timeout.
  if (!req.complete || state.draining) headers.connection = 'close';
  res.writeHead(response.status, headers);
  res.end(body);
}

function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const method = req.method ?? 'GET';
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (method !== 'GET' && method !== 'HEAD') {
    init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
    init.duplex = 'half';
  }
  return new Request(`http://worker${req.url ?? '/'}`, init);
}
