import { DEFAULT_MAX_BODY_BYTES, flagEnabled, type WorkerEnv } from '../worker-core/index.js';

/**
 * The Worker's bindings (deploy/wrangler.toml) and the WorkerEnv built from
 * them. Only the few Durable Object types used here are declared, so the
 * bundle needs no @cloudflare/workers-types.
 */
export interface CloudflareBindings {
  /** secret (`wrangler secret put TOKEN`): when set, POST /compute needs it as a bearer token */
  TOKEN?: string;
  /** "true" lets data_url reach private and loopback addresses (local development, tests) */
  ALLOW_PRIVATE_DATA_URLS?: string | boolean;
  /** the PacketFSStateObject namespace, for jobs with a state_key */
  PACKETFS_STATE?: DurableObjectNamespaceLike;
}

export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

export interface DurableObjectStateLike {
  storage: {
    get<T>(key: string): Promise<T | undefined>;
    put<T>(key: string, value: T): Promise<void>;
  };
}

/** A Worker has 128 MB of memory; a window of 32 MiB leaves room for the request and its copies. */
const MAX_WINDOW_BYTES = 32 * 1024 * 1024;

export function workerEnvFromBindings(bindings: CloudflareBindings): WorkerEnv {
  return {
    runtime: 'cloudflare',
    token: bindings.TOKEN || undefined,
    allowPrivate: flagEnabled(bindings.ALLOW_PRIVATE_DATA_URLS),
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    maxWindowBytes: MAX_WINDOW_BYTES,
    // workerd refuses fetch called with a foreign `this`; a wrapper keeps it unbound.
    fetch: (input, init) => fetch(input, init),
  };
}
