import { bearer, HttpComputeSubstrate } from '../http-compute/http-compute-substrate.js';
import type { RemoteDefaults, RemoteSubstrateOptions } from '../http-compute/remote-substrate.js';

/**
 * Vercel Edge Functions (Pro plan): billed per invocation beyond the
 * included allowance (active CPU is billed too, negligible for short jobs).
 * Sources in docs/pricing.md.
 */
export const VERCEL_DEFAULTS: RemoteDefaults = {
  pricing: {
    pricing: { model: 'per_invocation', usd_per_invocation: 0.60 / 1_000_000 },
    free_tier: { requests: 1_000_000 },
    cost_per_hour_usd: 0.50,
  },
  // Edge Functions must begin answering within 25 s; 128 MB
  limits: { max_concurrent_jobs: 10_000, max_memory_mb: 128, max_duration_seconds: 25, max_batch: 500, concurrency: 32 },
  latencyMs: 60,
  // the Edge runtime caps request bodies at 4 MB
  maxRequestBytes: 4_000_000,
};

export interface VercelSubstrateOptions extends RemoteSubstrateOptions {
  /** the deployment's base URL, e.g. https://packetfs.vercel.app/api */
  url: string;
  token?: string;
}

/** A deployed Vercel Edge Function (dist/runtimes/vercel/edge.js) reached over HTTPS. */
export class VercelSubstrate extends HttpComputeSubstrate {
  constructor(opts: VercelSubstrateOptions) {
    super('vercel', { ...opts, authorization: bearer(opts.token) }, VERCEL_DEFAULTS);
  }
}
