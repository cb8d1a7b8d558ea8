import type { FastifyInstance } from 'fastify';

/**
 * Which methods a path has, for 405 replies with an Allow header (RFC 9110
 * §15.5.6): every route is recorded as it is added (`onRoute`), so the table
 * is complete once the server is ready, and a path is matched against the
 * recorded patterns only on the error path. State: one table per server,
 * filled while routes register, read-only afterwards.
 */
interface RouteEntry { pattern: RegExp; methods: Set<string> }

const tables = new WeakMap<FastifyInstance, Map<string, RouteEntry>>();

export function trackRoutes(app: FastifyInstance): void {
  const table = new Map<string, RouteEntry>();
  tables.set(app, table);
  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    let entry = table.get(url);
    if (entry === undefined) {
      entry = { pattern: patternOf(url), methods: new Set() };
      table.set(url, entry);
    }
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) entry.methods.add(method);
  });
}

/** The methods some route answers on `path`, sorted; empty when no route has the path at all. */
export function allowedMethods(app: FastifyInstance, path: string): string[] {
  const methods = new Set<string>();
  for (const entry of tables.get(app)?.values() ?? []) {
    if (entry.pattern.test(path)) for (const m of entry.methods) methods.add(m);
  }
  return [...methods].sort();
}

/** `/v1/jobs/:id/result` → /^\/v1\/jobs\/[^/]+\/result$/ (`*` matches the rest). */
function patternOf(url: string): RegExp {
  const source = url.split('/').map((part) => {
    if (part === '*') return '.*';
    if (part.startsWith(':')) return '[^/]+';
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }).join('/');
  return new RegExp(`^${source}$`);
}

/**
 * CORS preflight for blob reads: pages on other origins read windows with
 * Range and a bearer token, which makes the browser ask first. Answered
 * outside the /v1 token check (a preflight never carries credentials).
 */
export function registerBlobPreflight(app: FastifyInstance): void {
  app.options('/v1/blobs/:id', async (_request, reply) => reply.code(204)
    .header('allow', 'GET, HEAD, OPTIONS')
    .header('access-control-allow-origin', '*')
    .header('access-control-allow-methods', 'GET, HEAD')
    .header('access-control-allow-headers', 'authorization, range, if-range, if-none-match')
    .header('access-control-max-age', '86400')
    .send());
}
