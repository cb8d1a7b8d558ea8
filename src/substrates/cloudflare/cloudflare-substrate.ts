import { bearer, HttpComputeSubstrate } from '../http-compute/http-compute-substrate.js';
import type { RemoteDefaults, RemoteSubstrateOptions } from '../http-compute/remote-substrate.js';

/**
 * Cloudflare Workers (Standard plan): billed per request plus CPU time;
 * the per-request fee dominates for PacketFS jobs. Sources in docs/pricing.md.
 */
export const CLOUDFLARE_DEFAULTS: RemoteDefaults = {
  pricing: {
    pricing: { model: 'per_invocation', usd_per_invocation: 0.30 / 1_000_000 },
    free_tier: { requests: 10_000_000 },
    cost_per_hour_usd: 0.50,
  },
  // 128 MB per isolate; 5 min CPU on Standard, wall time unbounded while the client waits
  limits: { max_concurrent_jobs: 20_000, max_memory_mb: 128, max_duration_seconds: 300, max_batch: 500, concurrency: 32 },
  latencyMs: 50,
  // request bodies up to 100 MB on the Free and Pro zone plans
  maxRequestBytes: 100_000_000,
};

export interface CloudflareSubstrateOptions extends RemoteSubstrateOptions {
  /** the Worker's URL, e.g. https://packetfs.<account>.workers.dev */
  url: string;
  /** the Worker's PACKETFS_TOKEN secret */
  token?: string;
}

/** A deployed Cloudflare Worker (dist/runtimes/cloudflare/worker.js) reached over HTTPS. */
export class CloudflareSubstrate extends HttpComputeSubstrate {
  constructor(opts: CloudflareSubstrateOptions) {
    super('cloudflare', { ...opts, authorization: bearer(opts.token) }, CLOUDFLARE_DEFAULTS);
  }
}
