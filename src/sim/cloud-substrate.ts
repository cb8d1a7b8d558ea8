import type { Capabilities, PricingModel } from '../scheduler/capabilities.js';
import type { ExecOutcome, ExecRequest, HealthReport, Substrate } from '../substrates/substrate.js';
import type { VirtualClock } from './virtual-clock.js';
import type { Rng } from './random.js';
import { attemptCostUsd, factsOf, failedOutcome, Meter, okOutcome, type FactsById } from './sim-job.js';

/**
 * A simulated paid substrate (Cloudflare, Lambda, Fly, Cloud Run, EC2 spot)
 * behind the real Substrate contract, on the virtual clock.
 *
 * Each job of a batch gets its own instance: a warm one when one is idle
 * (last used within keepWarmMs, most recent first, as Lambda reuses
 * containers), else a cold start. A job's time there is cold start + data
 * transfer (bytes ÷ bandwidth) + work ÷ speed; the batch answers one round
 * trip after its slowest job, and its slots are busy until then (as with the
 * real batched adapters). A job may fail (failureRate) halfway through.
 *
 * Spot: a fleet of instances, each up for an exponentially distributed time
 * (mean time to interruption), then down for bootMs while a replacement
 * boots. A job whose instance is interrupted before it finishes fails at the
 * interruption, billed for the time it ran. Capacity is the slots of
 * instances up right now; a slot frees when its job's result is back (the
 * real spot substrate's workers are node-pool nodes, which free slots per
 * result), not when the whole batch answers.
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
  spot?: { instances: number; slotsPerInstance: number; meanLifetimeMs: number; bootMs: number };
}

interface SpotInstance {
  upAt: number;
  downAt: number;
  busy: number;
  /** bumped on each replacement, so a batch returning from an interrupted instance frees nothing on its successor */
  generation: number;
  /** its own stream: the same seed interrupts the same instants whatever the policy does */
  readonly rng: Rng;
}

export class SimCloudSubstrate implements Substrate {
  readonly name: string;
  readonly type: string;
  readonly meter = new Meter();
  private inFlight = 0;
  /** expiry times of idle warm instances, most recently used last */
  private readonly warm: number[] = [];
  private readonly fleet: SpotInstance[] = [];
  /** never drawn from directly: instance streams are forked from it, live and in replays alike */
  private readonly fleetBase: Rng;

  constructor(private readonly model: CloudModel, private readonly clock: VirtualClock, private readonly rng: Rng, private readonly facts: FactsById) {
    this.name = model.name;
    this.type = model.type;
    this.fleetBase = rng.fork('fleet');
    if (model.spot !== undefined) {
      for (let i = 0; i < model.spot.instances; i++) {
        const own = this.fleetBase.fork(`instance-${i}`);
        this.fleet.push({ upAt: 0, downAt: own.exponential(model.spot.meanLifetimeMs), busy: 0, generation: 0, rng: own });
      }
    }
  }

  capabilities(): Capabilities {
    const m = this.model;
    return {
      max_concurrent_jobs: m.maxConcurrent,
      max_memory_mb: m.maxMemoryMb,
      max_duration_seconds: m.maxDurationS,
      supports_gpu: false,
      supports_persistent_state: false,
      cost_per_hour_usd: m.costPerHourUsd,
      latency_ms: m.declaredLatencyMs,
      available_slots: Math.max(0, this.capacity() - this.inFlight),
      pricing: m.pricing,
      trust: 'trusted',
    };
  }

  execute(batch: ExecRequest[]): Promise<ExecOutcome[]> {
    const m = this.model;
    const now = this.clock.now();
    const start = now + m.rttMs / 2;
    const outcomes: ExecOutcome[] = new Array(batch.length);
    const held: Array<{ inst: SpotInstance; generation: number }> = [];
    let last = start;
    this.inFlight += batch.length;
    for (let i = 0; i < batch.length; i++) {
      const f = factsOf(this.facts, batch[i]!);
      const spot = m.spot === undefined ? null : this.takeSpotSlot(now);
      if (m.spot !== undefined && spot === null) {
        outcomes[i] = failedOutcome(`no spot instance up (${m.name})`, 0);
        continue;
      }
      if (spot !== null) held.push({ inst: spot, generation: spot.generation });
      const cold = spot !== null ? 0 : this.takeWarm(now) ? 0 : m.coldStartMs;
      const runMs = cold + (f.bytes / m.bandwidthBps) * 1000 + (f.workS / m.speed) * 1000;
      let endMs = start + runMs;
      let outcome: ExecOutcome;
      if (spot !== null && spot.downAt < endMs) {
        endMs = Math.max(start, spot.downAt);
        outcome = failedOutcome(`spot instance interrupted (${m.name})`, endMs - start);
      } else if (this.rng.chance(m.failureRate)) {
        endMs = start + runMs * this.rng.next();
        outcome = failedOutcome(`${m.name} instance crashed`, endMs - start);
      } else {
        outcome = okOutcome(runMs, f.bytes, 0);
      }
      // spot runs on the node pool, which frees a slot as each job's result arrives (src/substrates/spot/)
      if (spot !== null) this.releaseSpotSlotAt(endMs + m.rttMs / 2, spot);
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
        if (m.spot === undefined) {
          this.inFlight -= batch.length;
          for (let i = 0; i < batch.length; i++) this.warm.push(at + m.keepWarmMs);
        } else {
          // jobs that found no instance up held no slot
          this.inFlight -= batch.length - held.length;
        }
        resolve(outcomes);
      });
    });
  }

  /** a spot job's slot frees when its result is back (on an instance since interrupted there is nothing to free) */
  private releaseSpotSlotAt(at: number, inst: SpotInstance): void {
    const generation = inst.generation;
    this.clock.at(at, () => {
      this.inFlight--;
      if (inst.generation === generation) inst.busy--;
    });
  }

  /** the model it simulates (the oracle prices jobs from it) */
  get spec(): Readonly<CloudModel> {
    return this.model;
  }

  /** spot: every interval each instance is up until `horizonMs`, replayed from the same draws as the live fleet */
  forEachUpInterval(horizonMs: number, visit: (fromMs: number, toMs: number, slots: number) => void): void {
    const spot = this.model.spot;
    if (spot === undefined) return;
    for (let i = 0; i < spot.instances; i++) {
      const own = this.fleetBase.fork(`instance-${i}`);
      let up = 0;
      let down = own.exponential(spot.meanLifetimeMs);
      while (up < horizonMs) {
        visit(up, Math.min(down, horizonMs), spot.slotsPerInstance);
        up = down + spot.bootMs;
        down = up + own.exponential(spot.meanLifetimeMs);
      }
    }
  }

  async probe(): Promise<HealthReport> {
    return { healthy: true, latency_ms: this.model.rttMs };
  }

  async close(): Promise<void> {}

  private capacity(): number {
    const spot = this.model.spot;
    if (spot === undefined) return this.model.maxConcurrent;
    this.advanceFleet(this.clock.now());
    let up = 0;
    for (const inst of this.fleet) if (inst.upAt <= this.clock.now()) up++;
    return up * spot.slotsPerInstance;
  }

  private takeWarm(now: number): boolean {
    while (this.warm.length > 0) {
      const expiry = this.warm.pop()!;
      if (expiry >= now) return true;
      // the rest are older still: all expired
      this.warm.length = 0;
    }
    return false;
  }

  /** an up instance with a free slot; the scheduler never sends more than available_slots, so one exists */
  private takeSpotSlot(now: number): SpotInstance | null {
    this.advanceFleet(now);
    const slots = this.model.spot!.slotsPerInstance;
    for (const inst of this.fleet) {
      if (inst.upAt <= now && inst.busy < slots) {
        inst.busy++;
        return inst;
      }
    }
    return null;
  }

  /** an interrupted instance is replaced: down for bootMs, then up for a new exponential lifetime */
  private advanceFleet(now: number): void {
    const spot = this.model.spot!;
    for (const inst of this.fleet) {
      while (inst.downAt <= now) {
        inst.upAt = inst.downAt + spot.bootMs;
        inst.downAt = inst.upAt + inst.rng.exponential(spot.meanLifetimeMs);
        inst.busy = 0;
        inst.generation++;
      }
    }
  }
}
