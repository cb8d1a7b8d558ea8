import type { ErrorBody } from '../errors.js';
import type { JobSpec } from '../job/types.js';
import type { SubstrateRegistry } from '../scheduler/registry.js';
import { round } from './budget-ledger.js';
import { BudgetGate } from './budget-gate.js';

/**
 * What `POST /v1/jobs?dry_run=1` answers per job: where it would go now and
 * what it is estimated to cost there, without enqueueing it.
 *   run   placed on `substrate` at `estimated_cost_usd`
 *   wait  it would stay queued (`reason`): every fitting substrate is busy, or the budget is spent
 *   fail  it would fail at once (`error`): NO_SUBSTRATE, or BUDGET_EXCEEDED
 */
export interface DryRunOutcome {
  job_id: string;
  would: 'run' | 'wait' | 'fail';
  substrate: string | null;
  estimated_cost_usd: number | null;
  reason?: string;
  error?: ErrorBody;
}

/** The placement the dispatch loop would make for this job right now; reserves nothing. */
export function dryRun(job: JobSpec, registry: SubstrateRegistry, gate: BudgetGate): DryRunOutcome {
  const base = { job_id: job.job_id };
  if (!registry.canEverRun(job)) return { ...base, would: 'fail', substrate: null, estimated_cost_usd: null, error: registry.noSubstrateError(job).toJSON() };
  gate.begin();
  for (const { substrate } of registry.rank(job)) {
    const state = { name: substrate.name, capabilities: substrate.capabilities() };
    if (gate.admits(job, state)) {
      return { ...base, would: 'run', substrate: substrate.name, estimated_cost_usd: round(BudgetGate.estimate(state.capabilities.pricing, job)) };
    }
  }
  const verdict = gate.wasRefused(job) ? gate.verdict(job, registry.declared()) : { kind: 'busy' as const };
  gate.begin();
  switch (verdict.kind) {
    case 'cap':
      return { ...base, would: 'fail', substrate: null, estimated_cost_usd: null, error: verdict.error.toJSON() };
    case 'budget':
      return job.on_budget === 'fail'
        ? { ...base, would: 'fail', substrate: null, estimated_cost_usd: null, error: BudgetGate.budgetError(verdict.reason).toJSON() }
        : { ...base, would: 'wait', substrate: null, estimated_cost_usd: null, reason: `${verdict.reason}: waiting for budget` };
    case 'busy':
      return { ...base, would: 'wait', substrate: null, estimated_cost_usd: null, reason: 'every substrate that fits is busy or unhealthy right now' };
  }
}
