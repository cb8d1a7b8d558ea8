import type { Policy } from './policy.js';

/**
 * The original dispatcher's formula, kept for compatibility and comparison:
 * declared price and declared latency, blind to the job and to measurements.
 */
export const classicPolicy: Policy = {
  name: 'classic',
  score: (sub) => sub.capabilities.cost_per_hour_usd * 100 + sub.capabilities.latency_ms,
};
