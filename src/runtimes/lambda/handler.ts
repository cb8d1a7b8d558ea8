import { PacketFSError, toErrorBody } from '../../errors.js';
import { computeBody, flagEnabled, handleComputeRequest, headerRecord, health, type WorkerEnv } from '../worker-core/index.js';
import { createNodeWorkerEnv } from '../http-server/node-worker-env.js';

/**
 * AWS Lambda entry. Two kinds of event:
 *  - direct invocation (the dispatcher's adapter, `aws lambda invoke`): the
 *    event IS the compute request — one job or {jobs: [...]} — or
 *    {"health": true}; IAM guards the call, so no bearer token is asked;
 *  - an HTTP event (Function URL, API Gateway v1/v2) with a JSON `body`:
 *    served by the same HTTP handler as every other runtime, token included.
 * Invalid input is answered with `{"error": {...}}`, never thrown: a thrown
 * error is a function error, which Lambda would retry for async invocations.
 *
 * Environment: PACKETFS_TOKEN, PACKETFS_ALLOW_PRIVATE_DATA_URLS,
 * PACKETFS_MAX_WINDOW_BYTES.
 */
let cachedEnv: WorkerEnv | undefined;

interface HttpEvent {
  body?: string | null;
  isBase64Encoded?: boolean;
  headers?: Record<string, string | undefined> | null;
  rawPath?: string;
  path?: string;
  httpMethod?: string;
  requestContext?: { http?: { method?: string; path?: string } };
}

export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export const handler = async (event: unknown): Promise<unknown> => {
  const env = workerEnv();
  if (isHttpEvent(event)) return httpHandler(event, env);
  try {
    const body = typeof event === 'string' ? parseJson(event) : event;
    if (isHealthEvent(body)) return health(env);
    return await computeBody(body, env);
  } catch (err) {
    return { error: toErrorBody(err) };
  }
};

async function httpHandler(event: HttpEvent, env: WorkerEnv): Promise<HttpResult> {
  const method = event.requestContext?.http?.method ?? event.httpMethod ?? 'POST';
  const path = event.rawPath ?? event.requestContext?.http?.path ?? event.path ?? '/compute';
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers.set(name, value);
  const hasBody = method !== 'GET' && method !== 'HEAD' && typeof event.body === 'string';
  const body = hasBody ? (event.isBase64Encoded ? Buffer.from(event.body!, 'base64') : event.body!) : undefined;
  const response = await handleComputeRequest(new Request(`https://lambda${path}`, { method, headers, ...(body === undefined ? {} : { body }) }), env);
  return { statusCode: response.status, headers: headerRecord(response.headers), body: await response.text() };
}

function workerEnv(): WorkerEnv {
  if (cachedEnv !== undefined) return cachedEnv;
  const maxWindow = Number(process.env.PACKETFS_MAX_WINDOW_BYTES);
  cachedEnv = createNodeWorkerEnv({
    runtime: 'lambda',
    token: process.env.PACKETFS_TOKEN || undefined,
    allowPrivate: flagEnabled(process.env.PACKETFS_ALLOW_PRIVATE_DATA_URLS),
    // Lambda caps a synchronous payload at 6 MB; the cap only matters for HTTP events.
    maxBodyBytes: 6 * 1024 * 1024,
    ...(Number.isSafeInteger(maxWindow) && maxWindow > 0 ? { maxWindowBytes: maxWindow } : {}),
  });
  return cachedEnv;
}

function isHttpEvent(event: unknown): event is HttpEvent {
  if (typeof event !== 'object' || event === null) return false;
  return 'requestContext' in event || 'httpMethod' in event || 'rawPath' in event;
}

function isHealthEvent(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { health?: unknown }).health === true && Object.keys(body).length === 1;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PacketFSError('INVALID_JSON', `the event is a string that is not JSON: ${(err as Error).message}`);
  }
}
