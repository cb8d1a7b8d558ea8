import { PacketFSError } from '../../errors.js';
import { OP_NAMES } from '../../ops/types.js';
import { kernelImplementation } from '../../ops/wasm/active-kernels.js';
import { version } from '../../version.js';
import { assertBearerToken } from './bearer-token.js';
import type { HealthResponse } from './compute-types.js';
import { computeBody } from './compute.js';
import { errorReply, jsonReply } from './json-reply.js';
import { readJsonBody } from './read-json-body.js';
import type { WorkerEnv } from './worker-env.js';

/**
 * The HTTP API every remote runtime serves (docs/runtimes.md):
 *   POST /compute  one job or {jobs: [...]} → one response or {results: [...]}
 *   GET  /health   {status, version, runtime, ops} — open, so platform probes need no token
 *   GET  /compute/health  the same: the original dispatcher probes `<compute URL>/health`
 * Bad input is a 4xx with the stable error shape; a 500 means a bug here.
 */
const ROUTES: Record<string, string> = { '/compute': 'POST', '/health': 'GET', '/compute/health': 'GET' };

export async function handleComputeRequest(request: Request, env: WorkerEnv): Promise<Response> {
  try {
    const path = new URL(request.url).pathname.replace(/\/+$/, '') || '/';
    const method = ROUTES[path];
    if (method === undefined) throw new PacketFSError('NOT_FOUND', `no route ${path}; routes: POST /compute, GET /health, GET /compute/health`);
    if (request.method !== method && !(method === 'GET' && request.method === 'HEAD')) {
      return errorReply(new PacketFSError('INVALID_REQUEST', `${request.method} is not allowed on ${path}; use ${method}`, { status: 405 }), { allow: method });
    }
    if (method === 'GET') return jsonReply(health(env));
    if (env.token !== undefined) await assertBearerToken(request.headers.get('authorization'), env.token);
    const body = await readJsonBody(request, env.maxBodyBytes);
    return jsonReply(await computeBody(body, env));
  } catch (err) {
    return errorReply(err);
  }
}

export function health(env: WorkerEnv): HealthResponse {
  return { status: 'ok', version, runtime: env.runtime, ops: OP_NAMES, kernels: kernelImplementation() };
}
