/**
 * What a substrate declares (contracts §6): the original SubstrateCapability
 * fields, plus a pricing model and a trust class.
 */
export type PricingModel =
  | { model: 'free' }
  | { model: 'per_hour'; usd_per_hour: number }
  | { model: 'per_invocation'; usd_per_invocation: number }
  | { model: 'per_gb_second'; usd_per_gb_second: number; usd_per_request?: number };

export type TrustClass = 'trusted' | 'untrusted';

export interface Capabilities {
  max_concurrent_jobs: number;
  max_memory_mb: number;
  max_duration_seconds: number;
  supports_gpu: boolean;
  supports_persistent_state: boolean;
  /** the original's flat price, used by the `classic` policy */
  cost_per_hour_usd: number;
  /** declared latency; the default policy replaces it with measurements once it has them */
  latency_ms: number;
  /** free slots right now */
  available_slots: number;
  /**
   * jobs that actually run at once when fewer than max_concurrent_jobs do
   * (the local pool queues 1,024 jobs per thread); absent: every slot runs
   */
  parallelism?: number;
  pricing: PricingModel;
  trust: TrustClass;
}
