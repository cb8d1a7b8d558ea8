import { HttpComputeSubstrate } from '../http-compute/http-compute-substrate.js';
import type { RemoteDefaults, RemoteSubstrateOptions } from '../http-compute/remote-substrate.js';
import { idTokenSource, type IdTokenConfig } from './id-token-source.js';

/**
 * Cloud Run services, request-based billing (tier 1 regions): vCPU-seconds
 * and GiB-seconds while a request is served, plus a per-request fee. One
 * GiB-second here is priced with the 1 vCPU a default 512 MiB-1 GiB
 * instance gets. Sources in docs/pricing.md.
 */
export const CLOUDRUN_DEFAULTS: RemoteDefaults = {
  pricing: {
    pricing: { model: 'per_gb_second', usd_per_gb_second: 0.0000025 + 0.000024, usd_per_request: 0.40 / 1_000_000 },
    free_tier: { requests: 2_000_000, gb_seconds: 180_000 },
    cost_per_hour_usd: 0.10,
  },
  limits: { max_concurrent_jobs: 8_000, max_memory_mb: 1024, max_duration_seconds: 3600, max_batch: 500, concurrency: 16 },
  latencyMs: 80,
  // Cloud Run caps HTTP/1 request bodies at 32 MiB
  maxRequestBytes: 32_000_000,
};

export interface CloudRunSubstrateOptions extends RemoteSubstrateOptions {
  /** the service URL, e.g. https://packetfs-abc123-ew.a.run.app (also the ID token's audience) */
  url: string;
  /** a fixed ID token, or the metadata server to mint them (default http://metadata.google.internal) */
  idToken?: { token: string } | { metadataUrl?: string };
}

/**
 * A Cloud Run service running the Node HTTP worker server, authenticated
 * with Google ID tokens. A token that cannot be minted fails the request
 * like an unreachable service (retryable SUBSTRATE_FAILED, fail over).
 */
export class CloudRunSubstrate extends HttpComputeSubstrate {
  constructor(opts: CloudRunSubstrateOptions) {
    const source: IdTokenConfig = opts.idToken !== undefined && 'token' in opts.idToken
      ? opts.idToken
      : { audience: opts.url, ...(opts.idToken?.metadataUrl === undefined ? {} : { metadataUrl: opts.idToken.metadataUrl }) };
    super('cloudrun', { ...opts, authorization: idTokenSource(source) }, CLOUDRUN_DEFAULTS);
  }
}
