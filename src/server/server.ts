import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { PacketFSError } from '../errors.js';
import { REDACTED_PATHS, redactUrlSignatures } from '../logger.js';
import type { ServedDispatcher } from './served-dispatcher.js';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandling } from './error-handler.js';
import { registerBlobPreflight, trackRoutes } from './method-routing.js';
import { installBearerAuth } from './auth.js';
import { parseJsonBody } from './json-body.js';
import { assertListenAllowed } from '../util/loopback.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerJobEventRoutes } from './routes/job-events.js';
import { blobRoutes } from './routes/blobs.js';
import { registerSubstrateRoutes } from './routes/substrates.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerOpenApiRoute } from './routes/openapi.js';
import { registerBrowserAssetRoutes } from './routes/browser-assets.js';
import { registerNodeSocket, type NodesHost } from './routes/nodes-ws.js';
import { closeIdleSocketsOnClose } from './idle-sockets.js';
import { registerDashboardRoutes, registerRootRoute, type DashboardHost } from './routes/dashboard.js';
import { registerNodeRoutes } from './routes/nodes.js';
import { hasValidBlobSignature, processBlobUrlSigner } from '../data/blob-url-signing.js';

export interface ServerOptions {
  /** when set, every /v1 route requires `Authorization: Bearer <token>` */
  token?: string;
  /** limit for JSON bodies (job submissions); default 64 MiB */
  bodyLimitBytes?: number;
  /** limit for one blob upload; default 1 GiB */
  blobLimitBytes?: number;
  /** allow listening on a non-loopback host without a token */
  allowInsecureListen?: boolean;
  /** Fastify/pino logger: false (default), true, or pino options */
  logger?: boolean | object;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;
export const DEFAULT_BODY_LIMIT_BYTES = 64 * MiB;
export const DEFAULT_BLOB_LIMIT_BYTES = 1024 * MiB;

/** Anything that could carry the token is censored before a log line is written. */

export async function buildServer(dispatcher: ServedDispatcher, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(opts.logger),
    bodyLimit: opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    // Fastify's own closing 503 has a different body shape; ours is below
    return503OnClosing: false,
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    routerOptions: { maxParamLength: 256 },
  });
  trackRoutes(app);
  installErrorHandling(app);

  let markClosing!: () => void;
  const closing = new Promise<void>((resolve) => { markClosing = resolve; });
  let isClosing = false;
  app.addHook('preClose', async () => { isClosing = true; markClosing(); });
  closeIdleSocketsOnClose(app);
  app.addHook('onRequest', async (_request, reply) => {
    if (!isClosing) return;
    void reply.header('connection', 'close');
    throw new PacketFSError('SHUTTING_DOWN', 'the server is shutting down');
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);

  registerHealthRoutes(app, dispatcher);
  registerOpenApiRoute(app);
  registerBrowserAssetRoutes(app);
  registerRootRoute(app);
  registerBlobPreflight(app);
  const live = (dispatcher as DashboardHost).live;
  const signer = processBlobUrlSigner();
  await app.register(async (v1) => {
    if (opts.token !== undefined) installBearerAuth(v1, opts.token, { allow: (request) => hasValidBlobSignature(signer, request.method, request.url) });
    registerJobRoutes(v1, dispatcher, closing);
    registerJobEventRoutes(v1, dispatcher, closing);
    registerSubstrateRoutes(v1, dispatcher);
    if (live !== undefined) registerDashboardRoutes(v1, live, closing);
    const nodeService = (dispatcher as NodesHost).nodeService;
    if (nodeService !== undefined) registerNodeRoutes(v1, nodeService);
    await v1.register(blobRoutes, { dispatcher, blobLimitBytes: opts.blobLimitBytes ?? DEFAULT_BLOB_LIMIT_BYTES });
  });
  const nodes = (dispatcher as NodesHost).nodes;
  if (nodes !== undefined) registerNodeSocket(app, nodes, signer);
  await app.ready();
  return app;
}

/**
 * Builds and listens. Refuses a non-loopback host without a token (unless
 * allowInsecureListen): an open dispatcher runs anyone's jobs and stores
 * anyone's blobs.
 */
export async function startServer(dispatcher: ServedDispatcher, opts: ServerOptions & { host: string; port: number }): Promise<RunningServer> {
  assertListenAllowed(opts.host, opts.token, opts.allowInsecureListen ?? false);
  const app = await buildServer(dispatcher, opts);
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, close: () => app.close() };
}

export { assertListenAllowed } from '../util/loopback.js';

function loggerOptions(logger: ServerOptions['logger']): NonNullable<FastifyServerOptions['logger']> {
  if (logger === undefined || logger === false) return false;
  const base = (logger === true ? {} : logger) as { redact?: string[] | { paths: string[] }; serializers?: Record<string, unknown> };
  const given = Array.isArray(base.redact) ? base.redact : base.redact?.paths ?? [];
  const req = (request: { method: string; url: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
    method: request.method,
    url: redactUrlSignatures(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  });
  return { ...base, serializers: { ...base.serializers, req }, redact: { paths: [...given, ...REDACTED_PATHS], censor: '[redacted]' } } as NonNullable<FastifyServerOptions['logger']>;
}
