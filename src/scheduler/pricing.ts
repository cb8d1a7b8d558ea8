import type { PricingModel } from './capabilities.js';

/**
 * What one job is expected to cost on a substrate with this pricing model.
 *
 * Before a job runs, its only duration estimate is its declared
 * `required_duration_s` (the default); after it ran, callers pass the
 * measured execution time instead to price what actually happened.
 * GB means 1024 MB, as the clouds that bill per GB-second count it.
 */
export function expectedCostUsd(
  pricing: PricingModel,
  job: { required_duration_s: number; required_memory_mb: number },
  expectedDurationS: number = job.required_duration_s,
): number {
  switch (pricing.model) {
    case 'free':
      return 0;
    case 'per_hour':
      return pricing.usd_per_hour * expectedDurationS / 3600;
    case 'per_invocation':
      return pricing.usd_per_invocation;
    case 'per_gb_second':
      return (job.required_memory_mb / 1024) * expectedDurationS * pricing.usd_per_gb_second + (pricing.usd_per_request ?? 0);
  }
}
