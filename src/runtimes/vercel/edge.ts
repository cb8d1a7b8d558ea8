import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_WINDOW_BYTES, flagEnabled, handleComputeRequest, type WorkerEnv } from '../worker-core/index.js';

/**
 * Vercel Edge Function entry (deploy as api/[...path].js, or any route that
 * rewrites /compute and /health here). Environment: PACKETFS_TOKEN,
 * PACKETFS_ALLOW_PRIVATE_DATA_URLS. Edge has no resolver hook, so data_url
 * hosts are vetted by shape (worker-core/data-url-guard.ts).
 */
export const config = { runtime: 'edge' };

let env: WorkerEnv | undefined;

export default function edgeHandler(request: Request): Promise<Response> {
  env ??= edgeEnv((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {});
  return handleComputeRequest(request, env);
}

function edgeEnv(vars: Record<string, string | undefined>): WorkerEnv {
  return {
    runtime: 'vercel',
    token: vars.PACKETFS_TOKEN || undefined,
    allowPrivate: flagEnabled(vars.PACKETFS_ALLOW_PRIVATE_DATA_URLS),
    // Edge Functions take request bodies of up to 4 MB.
    maxBodyBytes: Math.min(DEFAULT_MAX_BODY_BYTES, 4 * 1024 * 1024),
    maxWindowBytes: DEFAULT_MAX_WINDOW_BYTES,
    fetch: (input, init) => fetch(input, init),
  };
}
