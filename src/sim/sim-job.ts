import type { ExecOutcome, ExecRequest } from '../substrates/substrate.js';
import type { PricingModel } from '../scheduler/capabilities.js';
import { expectedCostUsd } from '../scheduler/pricing.js';

/**
 * What the simulated world knows about a job that the scheduler does not:
 * its true amount of work (seconds on a reference core, speed 1) and when
 * it arrived. The scheduler sees only the JobSpec (declared duration,
 * memory, bytes), as in production.
 */
export interface JobFacts {
  readonly index: number;
  readonly klass: number;
  readonly arrivalMs: number;
  /** completion due by then (arrival + the job's timeout_s) */
  readonly deadlineMs: number;
  readonly workS: number;
  readonly bytes: number;
  readonly memoryMb: number;
  readonly private: boolean;
}

/** job_id → facts; the simulated substrates look jobs up here */
export type FactsById = ReadonlyMap<string, JobFacts>;

/**
 * What one attempt costs: the project's own pricing function over the billed
 * seconds. Per-GB-second clouds bill the instance's memory (a Lambda
 * function's configured size), not what the job declared, as the real cost
 * meter does (docs/pricing.md).
 */
export function attemptCostUsd(pricing: PricingModel, instanceMemoryMb: number, billedS: number): number {
  return expectedCostUsd(pricing, { required_duration_s: billedS, required_memory_mb: instanceMemoryMb }, billedS);
}

/** Bills spent by one simulated substrate, including attempts that failed. */
export class Meter {
  costUsd = 0;
  /** billed for no job: instances booting or idle (spot) */
  overheadUsd = 0;
  attempts = 0;
  failures = 0;
  /** cost by job class (index into the scenario's classes) */
  readonly costByClass: number[] = [];

  bill(klass: number, usd: number): void {
    this.costUsd += usd;
    this.costByClass[klass] = (this.costByClass[klass] ?? 0) + usd;
  }

  billOverhead(usd: number): void {
    this.costUsd += usd;
    this.overheadUsd += usd;
  }
}

/** A simulated success: the result value is not simulated, only its size and timing. */
export function okOutcome(execMs: number, bytes: number, costUsd: number): ExecOutcome {
  return { ok: true, result: { count: 0, bytes }, bytes_processed: bytes, exec_time_ms: execMs, cost_usd: costUsd };
}

/** A simulated breakage (crash, node gone, spot interruption): retryable, as the real substrates report it. */
export function failedOutcome(message: string, execMs: number, node?: string): ExecOutcome {
  const outcome: ExecOutcome = { ok: false, retryable: true, exec_time_ms: execMs, error: { code: 'SUBSTRATE_FAILED', message } };
  // as the real node pool does, a failure of one node names it
  if (node !== undefined) outcome.node = node;
  return outcome;
}

export function factsOf(facts: FactsById, req: ExecRequest): JobFacts {
  const f = facts.get(req.job_id);
  if (f === undefined) throw new Error(`simulation: unknown job ${req.job_id}`);
  return f;
}
