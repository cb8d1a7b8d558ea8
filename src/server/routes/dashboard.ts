import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PacketFSError } from '../../errors.js';
import type { DashboardFrame } from '../../dashboard/snapshot.js';
import { version } from '../../version.js';

/** What these routes need from the dispatcher's live feed (src/dashboard/live-feed.ts). */
export interface DashboardFeed {
  readonly subscriberCount: number;
  subscribe(send: (text: string) => void): () => void;
  frame(): Promise<DashboardFrame>;
}

export interface DashboardHost {
  readonly live?: DashboardFeed;
}

/** Open streams per dispatcher; each costs one socket and a write per second. */
export const MAX_DASHBOARD_STREAMS = 64;
/** a stream whose client reads slower than this much backlog skips frames until it catches up */
const MAX_BACKLOG_BYTES = 1024 * 1024;

/**
 * GET / (a redirect to /dashboard, or a JSON index for clients asking for
 * JSON), outside the token scope like the pages themselves.
 */
export function registerRootRoute(app: FastifyInstance): void {
  app.get('/', async (request, reply) => {
    if (!wantsJson(request.headers.accept)) return reply.redirect('/dashboard', 302);
    return {
      service: 'packetfs-compute',
      version,
      pages: { dashboard: '/dashboard', volunteer: '/volunteer' },
      api: {
        openapi: '/openapi.json', jobs: '/v1/jobs', blobs: '/v1/blobs', substrates: '/v1/substrates',
        metrics: '/v1/metrics', dashboard: '/v1/dashboard', dashboard_stream: '/v1/dashboard/stream', nodes_ws: '/v1/nodes/ws',
      },
      probes: { healthz: '/healthz', readyz: '/readyz', prometheus: '/metrics' },
    };
  });
}

/**
 * GET /v1/dashboard (one frame) and GET /v1/dashboard/stream (Server-Sent
 * Events, one frame a second), inside the /v1 scope, so they need the token
 * when the server has one. The page reads the stream with fetch() (which can
 * send the Authorization header; EventSource cannot), `packetfs top` too.
 * Open streams end when the server closes (`closing`).
 */
export function registerDashboardRoutes(scope: FastifyInstance, feed: DashboardFeed, closing: Promise<void>): void {
  const open = new Set<() => void>();
  void closing.then(() => { for (const end of [...open]) end(); });

  scope.get('/v1/dashboard', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    return feed.frame();
  });

  scope.get('/v1/dashboard/stream', (request: FastifyRequest, reply: FastifyReply) => {
    if (open.size >= MAX_DASHBOARD_STREAMS) {
      throw new PacketFSError('TOO_MANY_STREAMS', `this dispatcher already serves ${MAX_DASHBOARD_STREAMS} dashboard streams; close one or ask another dispatcher`);
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // proxies (nginx) must pass events through as they come
      'x-accel-buffering': 'no',
      // the socket ends with the stream: a kept-alive socket that ended its stream just as the server
      // began closing would not count as idle and would hold the close for the whole keep-alive timeout
      connection: 'close',
    });
    res.write('retry: 2000\n\n');
    const unsubscribe = feed.subscribe((text) => {
      if (res.writableLength < MAX_BACKLOG_BYTES) res.write(text);
    });
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      unsubscribe();
      open.delete(end);
      res.end();
    };
    open.add(end);
    request.raw.socket.on('close', end);
    res.on('close', end);
    res.on('error', end);
  });
}

/** True when the Accept header asks for JSON and not for an HTML page. */
function wantsJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const types = accept.toLowerCase().split(',').map((t) => t.split(';')[0]!.trim());
  return types.includes('application/json') && !types.includes('text/html');
}
