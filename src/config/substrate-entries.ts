import type { PricingModel } from '../scheduler/capabilities.js';
import type { FreeTier } from '../substrates/http-compute/cost-meter.js';
import type { RemoteLimits } from '../substrates/http-compute/remote-substrate.js';

/**
 * The `substrates` section of packetfs.config.json, as checked. Secrets are
 * never in the file: `*_env` fields name the environment variables that hold
 * them, read when the substrates are built.
 */
export const SUBSTRATE_TYPES = ['cloudflare', 'lambda', 'fly', 'cloudrun', 'vercel'] as const;
export type SubstrateType = typeof SUBSTRATE_TYPES[number];

export interface PricingEntry {
  model?: PricingModel['model'];
  usd_per_hour?: number;
  usd_per_invocation?: number;
  usd_per_gb_second?: number;
  usd_per_request?: number;
  free_tier?: FreeTier;
  cost_per_hour_usd?: number;
}

interface CommonEntry {
  name: string;
  pricing?: PricingEntry;
  limits?: Partial<RemoteLimits>;
  latency_ms?: number;
}

export interface UrlTokenEntry extends CommonEntry {
  type: 'cloudflare' | 'vercel';
  url: string;
  token_env?: string;
}

export interface LambdaEntry extends CommonEntry {
  type: 'lambda';
  region: string;
  function_name: string;
  qualifier?: string;
  endpoint?: string;
  credentials_env?: { access_key_id: string; secret_access_key: string; session_token?: string };
}

export interface FlyEntry extends CommonEntry {
  type: 'fly';
  url: string;
  token_env?: string;
  machines?: {
    app: string;
    api_token_env: string;
    api_url?: string;
    min: number;
    max: number;
    jobs_per_machine?: number;
    idle_stop_s?: number;
  };
}

export interface CloudRunEntry extends CommonEntry {
  type: 'cloudrun';
  url: string;
  /** a variable holding a ready ID token; otherwise tokens come from the metadata server */
  id_token_env?: string;
  metadata_url?: string;
}

export type SubstrateEntry = UrlTokenEntry | LambdaEntry | FlyEntry | CloudRunEntry;
