import { createAddressPolicy } from '../../data/address-policy.js';
import { createNodeFetchRange } from '../../data/node-fetch-range.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_WINDOW_BYTES, type WorkerEnv } from '../worker-core/index.js';

/**
 * The WorkerEnv of the Node runtimes (the HTTP worker server, Lambda). They
 * have a resolver, so data_url windows are read with the dispatcher's own
 * reader, whose SSRF guard vets the address actually connected to.
 */
export interface NodeWorkerEnvOptions {
  runtime: string;
  token?: string | undefined;
  allowPrivate?: boolean | undefined;
  maxBodyBytes?: number | undefined;
  maxWindowBytes?: number | undefined;
}

export function createNodeWorkerEnv(opts: NodeWorkerEnvOptions): WorkerEnv {
  const maxWindowBytes = opts.maxWindowBytes ?? DEFAULT_MAX_WINDOW_BYTES;
  const policy = createAddressPolicy({ allowPrivate: opts.allowPrivate === true });
  return {
    runtime: opts.runtime,
    token: opts.token,
    allowPrivate: opts.allowPrivate === true,
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxWindowBytes,
    fetch: globalThis.fetch,
    fetchRange: createNodeFetchRange({ policy, maxBytes: maxWindowBytes }),
  };
}
