import type { PricingModel } from '../../scheduler/capabilities.js';

/** Monthly free allowance of a provider; amounts are consumed by this process since it started. */
export interface FreeTier {
  requests?: number;
  gb_seconds?: number;
  hours?: number;
}

/**
 * Estimates what each request to a cloud substrate cost and shares it among
 * the jobs it carried. The dispatcher's price-table estimate prices each job
 * as if it were billed alone; a batched request is billed once (one
 * invocation, one stretch of GB-seconds), so the adapter knows better and
 * reports `cost_usd` itself. Free-tier allowances are used up first; they
 * are counted per process (a restart starts a fresh month), which makes the
 * estimate optimistic across restarts and is documented in docs/pricing.md.
 */
export class CostMeter {
  private freeRequests: number;
  private freeGbSeconds: number;
  private freeHours: number;

  constructor(private readonly pricing: PricingModel, private readonly memoryMb: number, freeTier: FreeTier = {}) {
    this.freeRequests = freeTier.requests ?? 0;
    this.freeGbSeconds = freeTier.gb_seconds ?? 0;
    this.freeHours = freeTier.hours ?? 0;
  }

  /** Cost of one request that ran `jobs` jobs in `wallMs`, per job. */
  perJobUsd(jobs: number, wallMs: number): number {
    return jobs === 0 ? 0 : this.requestUsd(wallMs) / jobs;
  }

  private requestUsd(wallMs: number): number {
    const p = this.pricing;
    switch (p.model) {
      case 'free':
        return 0;
      case 'per_invocation':
        return this.useFreeRequest() ? 0 : p.usd_per_invocation;
      case 'per_gb_second': {
        const requestUsd = this.useFreeRequest() ? 0 : p.usd_per_request ?? 0;
        const gbSeconds = (this.memoryMb / 1024) * (wallMs / 1000);
        const covered = Math.min(gbSeconds, this.freeGbSeconds);
        this.freeGbSeconds -= covered;
        return requestUsd + (gbSeconds - covered) * p.usd_per_gb_second;
      }
      case 'per_hour': {
        const hours = wallMs / 3_600_000;
        const covered = Math.min(hours, this.freeHours);
        this.freeHours -= covered;
        return (hours - covered) * p.usd_per_hour;
      }
    }
  }

  private useFreeRequest(): boolean {
    if (this.freeRequests < 1) return false;
    this.freeRequests--;
    return true;
  }
}
