import { PacketFSError, toErrorBody } from '../../errors.js';
import { normalizeProgram } from '../../job/normalize-program.js';
import { isPlainObject } from '../../job/range-checks.js';
import type { ExecOutcome } from '../../substrates/substrate.js';
import { version } from '../../version.js';
import { executeProgram } from '../node-worker/execute-program.js';
import { toSubmitJobResult } from './submit-job-result.js';
import { createBrowserWindowContext } from './window-context.js';

/**
 * The Service Worker (/packetfs-sw.js). It keeps the runtime bundles in a
 * cache so a reload starts at once, even offline (stale-while-revalidate:
 * the cached copy answers and a fresh one replaces it for the next load),
 * and answers the original's endpoints for same-origin pages:
 *   POST <scope>execute  body: a program or {program, timeout?} → a SubmitJobResult
 *   GET  <scope>health   → {status: "ok", ...}
 * Everything else passes through untouched (the dispatcher's /v1 API included).
 */

/** The slice of the Service Worker global scope used here (the DOM lib has no worker types). */
interface ExtendableEvent extends Event { waitUntil(p: Promise<unknown>): void }
interface FetchEvent extends ExtendableEvent { request: Request; respondWith(r: Response | Promise<Response>): void }
interface SwScope {
  location: Location;
  registration: { scope: string };
  clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEvent) => void): void;
}
const sw = globalThis as unknown as SwScope;

const CACHE = `packetfs-runtime-${version}`;
const CACHED_ASSETS = ['browser-runtime.js', 'browser-runtime.mjs', 'packetfs-worker.js'];
/** An /execute body carries at most one inline window of this size (base64 is 4/3 of it). */
const MAX_EXECUTE_BODY_BYTES = 16 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

const assetUrl = (name: string): string => new URL(name, sw.location.href).href;
const scoped = (name: string): string => new URL(name, sw.registration.scope).href;

sw.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(CACHED_ASSETS.map(assetUrl))).then(() => sw.skipWaiting()));
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(dropOldCaches().then(() => sw.clients.claim()));
});

sw.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = request.url.split(/[?#]/)[0]!;
  if (request.method === 'POST' && url === scoped('execute')) event.respondWith(execute(request));
  else if (request.method === 'GET' && url === scoped('health')) event.respondWith(json(200, health()));
  else if (request.method === 'GET' && CACHED_ASSETS.some((a) => url === assetUrl(a))) event.respondWith(cachedThenRefresh(event));
});

async function dropOldCaches(): Promise<void> {
  const names = await caches.keys();
  await Promise.all(names.filter((n) => n.startsWith('packetfs-runtime-') && n !== CACHE).map((n) => caches.delete(n)));
}

async function cachedThenRefresh(event: FetchEvent): Promise<Response> {
  const cache = await caches.open(CACHE);
  const refresh = fetch(event.request).then(async (response) => {
    if (response.ok) await cache.put(event.request, response.clone());
    return response;
  });
  const cached = await cache.match(event.request);
  if (cached === undefined) return refresh;
  // offline or a failed refresh keeps the cached copy
  event.waitUntil(refresh.catch(() => undefined));
  return cached;
}

function health(): Record<string, unknown> {
  return { status: 'ok', runtime: 'packetfs-service-worker', version, cache: CACHE, scope: sw.registration.scope };
}

async function execute(request: Request): Promise<Response> {
  const jobId = crypto.randomUUID();
  try {
    const { program, timeout } = parseExecuteBody(await boundedText(request));
    const spec = normalizeProgram(program);
    const ctx = createBrowserWindowContext(sw.location.origin);
    const outcome: ExecOutcome = await executeProgram({ program: spec, deadline: Date.now() + timeout }, ctx);
    return json(200, toSubmitJobResult(jobId, outcome));
  } catch (err) {
    const status = err instanceof PacketFSError ? err.status : 500;
    return json(status, toSubmitJobResult(jobId, { ok: false, error: toErrorBody(err), retryable: false, exec_time_ms: 0 }));
  }
}

async function boundedText(request: Request): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > MAX_EXECUTE_BODY_BYTES) throw bodyTooLarge();
  const text = await request.text();
  if (text.length > MAX_EXECUTE_BODY_BYTES) throw bodyTooLarge();
  return text;
}

function parseExecuteBody(text: string): { program: unknown; timeout: number } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new PacketFSError('INVALID_JSON', 'the /execute body must be JSON: a program or {"program": …}');
  }
  if (!isPlainObject(body) || !('program' in body)) return { program: body, timeout: DEFAULT_TIMEOUT_MS };
  const { program, timeout, ...rest } = body as { program: unknown; timeout?: unknown };
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw new PacketFSError('INVALID_REQUEST', `unknown field '${extra}'; expected program and timeout`, { path: extra });
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0)) {
    throw new PacketFSError('INVALID_REQUEST', 'timeout must be a number of milliseconds > 0', { path: 'timeout' });
  }
  return { program, timeout: (timeout as number | undefined) ?? DEFAULT_TIMEOUT_MS };
}

function bodyTooLarge(): PacketFSError {
  return new PacketFSError('PAYLOAD_TOO_LARGE', `the /execute body is over ${MAX_EXECUTE_BODY_BYTES} bytes; use a blob or data_url`);
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
}
