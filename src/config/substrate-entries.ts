import type { PricingModel } from '../scheduler/capabilities.js';
import type { FreeTier } from '../substrates/http-compute/cost-meter.js';
import type { RemoteLimits } from '../substrates/http-compute/remote-substrate.js';

/**
 * The `substrates` section of packetfs.config.json, as checked. Secrets are
 * never in the file: `*_env` fields name the environment variables that hold
 * them, read when the substrates are built.
 */
export const SUBSTRATE_TYPES = ['cloudflare', 'lambda', 'fly', 'cloudrun', 'vercel', 'spot'] as const;
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

/** EC2 Spot instances running `packetfs worker --spot` that join this dispatcher's node pool (docs/spot.md) */
export interface SpotEntry {
  type: 'spot';
  name: string;
  region: string;
  image_id: string;
  instance_type: string;
  max_instances: number;
  slots_per_instance?: number;
  idle_terminate_s?: number;
  boot_timeout_s?: number;
  max_price_usd?: number;
  subnet_id?: string;
  security_group_ids?: string[];
  key_name?: string;
  iam_instance_profile?: string;
  worker_command?: string;
  /** ws(s):// URL the instances reach this dispatcher's node socket at; default from public_origin */
  coordinator_url?: string;
  endpoint?: string;
  credentials_env?: { access_key_id: string; secret_access_key: string; session_token?: string };
  max_memory_mb?: number;
  latency_ms?: number;
}

export type SubstrateEntry = UrlTokenEntry | LambdaEntry | FlyEntry | CloudRunEntry | SpotEntry;
