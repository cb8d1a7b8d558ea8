import { PacketFSError, toErrorBody } from '../../errors.js';
import { normalizeProgram } from '../../job/normalize-program.js';
import { isPlainObject } from '../../job/range-checks.js';
import type { ExecOutcome } from '../../substrates/substrate.js';
import { version } from '../../version.js';
import { executeProgram } from '../node-worker/execute-program.js';
import { detectCapabilities } from './capabilities.js';
import { toSubmitJobResult, type SubmitJobResult } from './submit-job-result.js';
import { createBrowserWindowContext } from './window-context.js';

/**
 * The Service Worker (/packetfs-sw.js). It keeps the runtime bundles in a
 * cache so a reload starts at once, even offline (stale-while-revalidate:
 * the cached copy answers and a fresh one replaces it for the next load),
 * and answers the original prototype's endpoints for same-origin pages:
 *   POST <scope>execute  body: a program, or {program, jobId?, timeout?} (the
 *                        original runtime's submitJob), or {type: "execute",
 *                        job_id, program} (the original dispatcher's browser
 *                        adapter) → a SubmitJobResult plus `results`
 *   GET  <scope>health   → {status: "healthy", capabilities, ...}
 * and the original's postMessage API: {type: "execute", jobId, program,
 * timeout} → {type: "result", jobId, success, data, results, ...} and
 * {type: "health"} → {status: "healthy", capabilities}, answered on the
 * message's port (or to its source when it has none).
 * Everything else passes through untouched (the dispatcher's /v1 API included).
 */

/** The slice of the Service Worker global scope used here (the DOM lib has no worker types). */
interface ExtendableEvent extends Event { waitUntil(p: Promise<unknown>): void }
interface FetchEvent extends ExtendableEvent { request: Request; respondWith(r: Response | Promise<Response>): void }
interface ReplyTarget { postMessage(message: unknown): void }
interface ExtendableMessageEvent extends ExtendableEvent { data: unknown; ports: readonly ReplyTarget[]; source: ReplyTarget | null }
interface SwScope {
  location: Location;
  registration: { scope: string };
  clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEvent) => void): void;
  addEventListener(type: 'message', fn: (e: ExtendableMessageEvent) => void): void;
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

sw.addEventListener('message', (event) => {
  const reply = event.ports[0] ?? event.source;
  const type = isPlainObject(event.data) ? event.data.type : undefined;
  if (reply === null || (type !== 'execute' && type !== 'health')) return; // not ours (e.g. the original's 'init')
  if (type === 'health') {
    reply.postMessage(health());
    return;
  }
  event.waitUntil(run(event.data).then(({ result }) => reply.postMessage({
    type: 'result', jobId: result.jobId, success: result.success, data: result.result, results: result.result,
    executionTimeMs: result.executionTimeMs, bytesProcessed: result.bytesProcessed,
    ...(result.error === undefined ? {} : { error: result.error }),
  })));
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
  return { status: 'healthy', runtime: 'packetfs-service-worker', version, cache: CACHE, scope: sw.registration.scope, capabilities: detectCapabilities() };
}

async function execute(request: Request): Promise<Response> {
  let body: unknown;
  try {
    body = parseJson(await boundedText(request));
  } catch (err) {
    return json(statusOf(err), failed(crypto.randomUUID(), err));
  }
  const { status, result } = await run(body);
  return json(status, result);
}

/** Runs one execute request (HTTP body or message); never throws. */
async function run(body: unknown): Promise<{ status: number; result: SubmitJobResult & { results: SubmitJobResult['result'] } }> {
  let jobId: string = crypto.randomUUID();
  try {
    const request = parseExecuteRequest(body);
    jobId = request.jobId ?? jobId;
    const spec = normalizeProgram(request.program);
    const ctx = createBrowserWindowContext(sw.location.origin);
    const outcome: ExecOutcome = await executeProgram({ program: spec, deadline: Date.now() + request.timeout }, ctx);
    const result = toSubmitJobResult(jobId, outcome);
    return { status: 200, result: { ...result, results: result.result } };
  } catch (err) {
    return { status: statusOf(err), result: failed(jobId, err) };
  }
}

function failed(jobId: string, err: unknown): SubmitJobResult & { results: null } {
  return { ...toSubmitJobResult(jobId, { ok: false, error: toErrorBody(err), retryable: false, exec_time_ms: 0 }), result: null, results: null };
}

function statusOf(err: unknown): number {
  return err instanceof PacketFSError ? err.status : 500;
}

async function boundedText(request: Request): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > MAX_EXECUTE_BODY_BYTES) throw bodyTooLarge();
  const text = await request.text();
  if (text.length > MAX_EXECUTE_BODY_BYTES) throw bodyTooLarge();
  return text;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PacketFSError('INVALID_JSON', 'the /execute body must be JSON: a program or {"program": …}');
  }
}

const EXECUTE_FIELDS = ['program', 'timeout', 'jobId', 'job_id', 'type'];
const JOB_ID = /^[\x21-\x7e]{1,256}$/;

/** A bare program, or {program, timeout?, jobId? | job_id?, type?: "execute"}. */
function parseExecuteRequest(body: unknown): { program: unknown; timeout: number; jobId?: string } {
  if (!isPlainObject(body) || !('program' in body)) return { program: body, timeout: DEFAULT_TIMEOUT_MS };
  const extra = Object.keys(body).find((key) => !EXECUTE_FIELDS.includes(key));
  if (extra !== undefined) {
    throw new PacketFSError('INVALID_REQUEST', `unknown field '${extra}'; expected program, timeout and jobId`, { path: extra });
  }
  const { program, timeout, type } = body;
  if (type !== undefined && type !== 'execute') throw new PacketFSError('INVALID_REQUEST', 'type must be "execute" here', { path: 'type' });
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0 && timeout <= 86_400_000)) {
    throw new PacketFSError('INVALID_REQUEST', 'timeout must be a number of milliseconds > 0 and <= 86400000', { path: 'timeout' });
  }
  if (body.jobId !== undefined && body.job_id !== undefined) {
    throw new PacketFSError('INVALID_REQUEST', 'give jobId or job_id, not both', { path: 'job_id' });
  }
  const idField = body.jobId !== undefined ? 'jobId' : 'job_id';
  const jobId = body[idField];
  if (jobId !== undefined && !(typeof jobId === 'string' && JOB_ID.test(jobId))) {
    throw new PacketFSError('INVALID_REQUEST', `${idField} must be 1..256 printable ASCII characters without spaces`, { path: idField });
  }
  return { program, timeout: (timeout as number | undefined) ?? DEFAULT_TIMEOUT_MS, ...(jobId === undefined ? {} : { jobId: jobId as string }) };
}

function bodyTooLarge(): PacketFSError {
  return new PacketFSError('PAYLOAD_TOO_LARGE', `the /execute body is over ${MAX_EXECUTE_BODY_BYTES} bytes; use a blob or data_url`);
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
}
