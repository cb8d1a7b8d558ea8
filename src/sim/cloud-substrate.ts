import type { Capabilities, PricingModel } from '../scheduler/capabilities.js';
import type { ExecOutcome, ExecRequest, HealthReport, Substrate } from '../substrates/substrate.js';
import type { VirtualClock } from './virtual-clock.js';
import type { Rng } from './random.js';
import { attemptCostUsd, factsOf, failedOutcome, Meter, okOutcome, type FactsById } from './sim-job.js';

/**
 * A simulated paid substrate (Cloudflare, Lambda, Fly, Cloud Run) behind the
 * real Substrate contract, on the virtual clock (EC2 spot, which scales a
 * fleet of instances, is SimSpotSubstrate in spot-substrate.ts).
 *
 * Each job of a batch gets its own instance: a warm one when one is idle
 * (last used within keepWarmMs, most recent first, as Lambda reuses
 * containers), else a cold start. A job's time there is cold start + data
 * transfer (bytes ÷ bandwidth) + work ÷ speed; the batch answers one round
 * trip after its slowest job, and its slots are busy until then (as with the
 * real batched adapters). A job may fail (failureRate) halfway through.
 *
 * Billing: the project's pricing function (src/scheduler/pricing.ts) over
 * the billed seconds of each attempt (cold start included for per-second
 * models), failed attempts included: that is what the cloud bill would say.
 */
export interface CloudModel {
  name: string;
  type: string;
  pricing: PricingModel;
  /** the classic policy's flat figure */
  costPerHourUsd: number;
  /** what the substrate declares before it is measured */
  declaredLatencyMs: number;
  /** the real round trip */
  rttMs: number;
  maxConcurrent: number;
  maxMemoryMb: number;
  maxDurationS: number;
  /** work seconds done per second */
  speed: number;
  bandwidthBps: number;
  coldStartMs: number;
  keepWarmMs: number;
  failureRate: number;
  /** an EC2 spot fleet (simulated by SimSpotSubstrate): its size, instances' slots, mean time to interruption, boot, idle termination */
  spot?: { instances: number; slotsPerInstance: number; meanLifetimeMs: number; bootMs: number; idleTerminateMs: number };
}

export class SimCloudSubstrate implements Substrate {
  readonly name: string;
  readonly type: string;
  readonly meter = new Meter();
  private inFlight = 0;
  /** expiry times of idle warm instances, most recently used last */
  private readonly warm: number[] = [];

  constructor(private readonly model: CloudModel, private readonly clock: VirtualClock, private readonly rng: Rng, private readonly facts: FactsById) {
    this.name = model.name;
    this.type = model.type;
  }

  capabilities(): Capabilities {
    return modelCapabilities(this.model, this.model.maxConcurrent, this.model.maxConcurrent - this.inFlight);
  }

  execute(batch: ExecRequest[]): Promise<ExecOutcome[]> {
    const m = this.model;
    const now = this.clock.now();
    const start = now + m.rttMs / 2;
    const outcomes: ExecOutcome[] = new Array(batch.length);
    let last = start;
    this.inFlight += batch.length;
    for (let i = 0; i < batch.length; i++) {
      const f = factsOf(this.facts, batch[i]!);
      const cold = this.takeWarm(now) ? 0 : m.coldStartMs;
      const runMs = cold + (f.bytes / m.bandwidthBps) * 1000 + (f.workS / m.speed) * 1000;
      let endMs = start + runMs;
      let outcome: ExecOutcome;
      if (this.rng.chance(m.failureRate)) {
        endMs = start + runMs * this.rng.next();
        outcome = failedOutcome(`${m.name} instance crashed`, endMs - start);
      } else {
        outcome = okOutcome(runMs, f.bytes, 0);
      }
      const billedS = m.pricing.model === 'per_invocation' ? 0 : (endMs - start) / 1000;
      const cost = attemptCostUsd(m.pricing, m.maxMemoryMb, billedS);
      if (outcome.ok) outcome.cost_usd = cost;
      this.meter.bill(f.klass, cost);
      this.meter.attempts++;
      if (!outcome.ok) this.meter.failures++;
      outcomes[i] = outcome;
      if (endMs > last) last = endMs;
    }
    return new Promise((resolve) => {
      this.clock.at(last + m.rttMs / 2, () => {
        const at = this.clock.now();
        this.inFlight -= batch.length;
        for (let i = 0; i < batch.length; i++) this.warm.push(at + m.keepWarmMs);
        resolve(outcomes);
      });
    });
  }

  /** the model it simulates (the oracle prices jobs from it) */
  get spec(): Readonly<CloudModel> {
    return this.model;
  }

  async probe(): Promise<HealthReport> {
    return { healthy: true, latency_ms: this.model.rttMs };
  }

  async close(): Promise<void> {}

  private takeWarm(now: number): boolean {
    while (this.warm.length > 0) {
      const expiry = this.warm.pop()!;
      if (expiry >= now) return true;
      // the rest are older still: all expired
      this.warm.length = 0;
    }
    return false;
  }
}

/** What a simulated cloud substrate declares: its model's figures, with the concurrency and free slots it has now. */
export function modelCapabilities(m: CloudModel, maxConcurrent: number, freeSlots: number): Capabilities {
  return {
    max_concurrent_jobs: maxConcurrent,
    max_memory_mb: m.maxMemoryMb,
    max_duration_seconds: m.maxDurationS,
    supports_gpu: false,
    supports_persistent_state: false,
    cost_per_hour_usd: m.costPerHourUsd,
    latency_ms: m.declaredLatencyMs,
    available_slots: Math.max(0, freeSlots),
    pricing: m.pricing,
    trust: 'trusted',
  };
}
