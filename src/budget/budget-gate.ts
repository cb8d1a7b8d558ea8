import { PacketFSError } from '../errors.js';
import type { JobSpec } from '../job/types.js';
import type { Capabilities, PricingModel } from '../scheduler/capabilities.js';
import { constraintMismatch } from '../scheduler/filters.js';
import type { PlacementGate } from '../scheduler/placement-gate.js';
import { expectedCostUsd } from '../scheduler/pricing.js';
import type { SubstrateState } from '../scheduler/substrate-state.js';
import { round, type BudgetLedger, type Limit } from './budget-ledger.js';

/** A substrate as declared (no health, no load): what verdicts look at. */
export interface DeclaredSubstrate {
  readonly name: string;
  readonly type: string;
  readonly capabilities: Capabilities;
}

/**
 * Why a job the gate held back found no substrate:
 *   cap     no substrate that could run it fits its max_cost_usd: fail now
 *   budget  only paid substrates fit, and the budget is spent: wait (or fail, on_budget "fail")
 *   busy    something fits within cap and budget but has no free slot (or only
 *           the estimates of jobs in flight fill the budget): hold it as usual
 */
export type Verdict =
  | { kind: 'cap'; error: PacketFSError }
  | { kind: 'budget'; limit: Limit; reason: string }
  | { kind: 'busy' };

/**
 * The budget check of placement (docs/costs.md), kept out of the policies:
 * the registry asks it before placing a job on a substrate. A paid substrate
 * is admitted when the job's estimate (its pricing model over its declared
 * duration and memory, src/scheduler/pricing.ts) fits the job's
 * max_cost_usd and what is left of every budget that covers the substrate,
 * counting the estimates of jobs already in flight. Free substrates are
 * always admitted.
 *
 * Jobs refused during a placement call are remembered (by id) until the
 * next call, so the dispatch loop asks for a verdict only about those.
 */
export class BudgetGate implements PlacementGate {
  private refused = new Set<string>();

  constructor(readonly ledger: BudgetLedger) {}

  /** the job's estimated cost on a substrate with this pricing before it runs */
  static estimate(pricing: PricingModel, job: JobSpec): number {
    return pricing.model === 'free' ? 0 : expectedCostUsd(pricing, job);
  }

  /** starts a placement call: forgets who was refused in the last one */
  begin(): void {
    if (this.refused.size > 0) this.refused = new Set();
  }

  wasRefused(job: JobSpec): boolean {
    return this.refused.has(job.job_id);
  }

  admits(job: JobSpec, state: Pick<SubstrateState, 'name' | 'capabilities'>): boolean {
    const pricing = state.capabilities.pricing;
    if (pricing.model === 'free') return true;
    const cap = job.max_cost_usd;
    if (cap === undefined && !this.ledger.limited) return true;
    const usd = expectedCostUsd(pricing, job);
    if ((cap !== undefined && usd > cap) || (this.ledger.limited && this.ledger.refusal(state.name, usd) !== null)) {
      this.refused.add(job.job_id);
      return false;
    }
    return true;
  }

  placed(job: JobSpec, state: Pick<SubstrateState, 'name' | 'capabilities'>): void {
    const pricing = state.capabilities.pricing;
    if (!this.ledger.limited || pricing.model === 'free') return;
    this.ledger.reserve(job.job_id, state.name, expectedCostUsd(pricing, job));
  }

  /** why a job the gate refused found no substrate (see Verdict); `substrates` are all registered ones */
  verdict(job: JobSpec, substrates: readonly DeclaredSubstrate[]): Verdict {
    const cap = job.max_cost_usd;
    let cheapest: { name: string; usd: number } | null = null;
    let blocking: Limit | null = null;
    for (const s of substrates) {
      if (constraintMismatch(job, s) !== null) continue;
      const usd = BudgetGate.estimate(s.capabilities.pricing, job);
      if (cheapest === null || usd < cheapest.usd) cheapest = { name: s.name, usd };
      if (cap !== undefined && usd > cap) continue;
      if (s.capabilities.pricing.model === 'free' || !this.ledger.limited) return { kind: 'busy' };
      const limit = this.ledger.refusal(s.name, usd, false);
      if (limit === null) return { kind: 'busy' };
      blocking ??= limit;
    }
    if (blocking !== null) return { kind: 'budget', limit: blocking, reason: this.waitReason(blocking) };
    if (cheapest === null) return { kind: 'busy' };
    return {
      kind: 'cap',
      error: new PacketFSError('BUDGET_EXCEEDED',
        `no substrate can run this job within max_cost_usd ${cap}: the cheapest that could run it is ${cheapest.name} at an estimated $${round(cheapest.usd)}`,
        { path: 'max_cost_usd' }),
    };
  }

  /** the error of a job that asked on_budget "fail" when the budget is spent */
  static budgetError(reason: string): PacketFSError {
    return new PacketFSError('BUDGET_EXCEEDED', `${reason}, and the job asked on_budget "fail"`, { path: 'on_budget' });
  }

  private waitReason(limit: Limit): string {
    const state = this.ledger.states().find((s) => s.limit.id === limit.id);
    const spent = state === undefined ? '' : ` ($${round(state.spent_usd)} of $${limit.usd} spent this ${limit.period})`;
    return `budget ${limit.id} is spent${spent}`;
  }
}
