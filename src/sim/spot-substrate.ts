import type { Capabilities } from '../scheduler/capabilities.js';
import type { ExecOutcome, ExecRequest, HealthReport, Substrate } from '../substrates/substrate.js';
import { collectOutcomes } from '../substrates/collect-outcomes.js';
import { modelCapabilities, type CloudModel } from './cloud-substrate.js';
import type { Rng } from './random.js';
import { attemptCostUsd, factsOf, failedOutcome, Meter, okOutcome, type FactsById } from './sim-job.js';
import type { VirtualClock } from './virtual-clock.js';

/**
 * A simulated EC2 spot fleet behind the Substrate contract, behaving as the
 * real `spot` substrate does (src/substrates/spot/spot-substrate.ts,
 * docs/spot.md):
 *
 * - it offers the slots of the whole fleet (instances × slots per instance)
 *   whether instances are up or not; jobs handed to it wait inside it, in
 *   order, until a slot of a running instance is free, or fail (retryable)
 *   once past their deadline;
 * - it launches instances for the jobs waiting and running,
 *   ceil((waiting + running) ÷ slots per instance), up to the maximum; an
 *   instance takes bootMs before its worker joins;
 * - every checkMs it terminates instances idle for idleTerminateMs (no job
 *   running, none waiting), and launches replacements while jobs wait;
 * - a slot frees when its job's result is back (its workers are node-pool
 *   nodes, which free slots per result).
 *
 * Interruptions come from the market, not from the instance: slot i of the
 * fleet (the i-th instance that can be up at once) has a fixed sequence of
 * interruption instants, drawn from its own stream (exponential gaps of the
 * mean lifetime, a boot apart). An instance launched into slot i is
 * interrupted at the first of them after its launch (booting or not); its
 * jobs fail at that instant, billed, and it is gone. So whatever the policy
 * does, an instance in slot i can only run inside the intervals the
 * always-up fleet would have (`forEachUpInterval`, which the oracle uses):
 * launched at L, it runs from L + boot until the next instant, inside the
 * always-up interval that began a boot after the previous instant.
 *
 * Billing is the instance's, as EC2's: the instance price per second from
 * launch until it is terminated or interrupted, boot and idle time included.
 * Each job's own share (its run at the slot price) is billed to its class;
 * the rest (boot and idle) is `meter.overheadUsd`. Instances still up when
 * the simulation ends are billed until the idle terminator would stop them.
 *
 * State per fleet slot: empty ──launch──► booting ──bootMs──► up
 *   (booting | up) ──interruption instant──► empty (jobs fail)
 *   up ──idle for idleTerminateMs──► empty
 */
interface Instance {
  readonly launchedAt: number;
  readonly upAt: number;
  readonly interruptAt: number;
  busy: number;
  /** when it last had nothing to do (null: busy, or jobs wait) */
  idleSince: number | null;
  /** what its jobs' own shares billed so far (the rest of its bill is overhead) */
  jobsUsd: number;
  gone: boolean;
}

interface Waiting {
  readonly req: ExecRequest;
  readonly settle: (outcome: ExecOutcome) => void;
}

const CHECK_MS = 5000;

export class SimSpotSubstrate implements Substrate {
  readonly name: string;
  readonly type: string;
  readonly meter = new Meter();
  private readonly fleet: Array<Instance | null>;
  /** per fleet slot: its stream of interruption instants, and the next one not yet passed */
  private readonly market: Array<{ rng: Rng; next: number }> = [];
  private waiting: Waiting[] = [];
  private running = 0;
  private checkArmed = false;
  private readonly spot: NonNullable<CloudModel['spot']>;

  constructor(private readonly model: CloudModel, private readonly clock: VirtualClock, private readonly rng: Rng, private readonly facts: FactsById) {
    if (model.spot === undefined) throw new Error(`simulation: ${model.name} is not a spot model`);
    this.spot = model.spot;
    this.name = model.name;
    this.type = model.type;
    this.fleet = new Array<Instance | null>(this.spot.instances).fill(null);
    const base = rng.fork('fleet');
    for (let i = 0; i < this.spot.instances; i++) {
      const own = base.fork(`instance-${i}`);
      this.market.push({ rng: own, next: own.exponential(this.spot.meanLifetimeMs) });
    }
  }

  /** the model it simulates (the oracle prices jobs from it) */
  get spec(): Readonly<CloudModel> {
    return this.model;
  }

  capabilities(): Capabilities {
    const max = this.spot.instances * this.spot.slotsPerInstance;
    return modelCapabilities(this.model, max, max - this.waiting.length - this.running);
  }

  execute(batch: ExecRequest[]): Promise<ExecOutcome[]> {
    return collectOutcomes(batch.length, (settle) => {
      for (let i = 0; i < batch.length; i++) this.waiting.push({ req: batch[i]!, settle: (outcome) => settle(i, outcome) });
      this.scale();
      this.pump();
    });
  }

  async probe(): Promise<HealthReport> {
    return { healthy: true, latency_ms: this.model.rttMs };
  }

  /** the end of the simulation: instances still up run until the idle terminator would stop them, and are billed so */
  async close(): Promise<void> {
    const now = this.clock.now();
    for (let i = 0; i < this.fleet.length; i++) {
      const inst = this.fleet[i];
      if (inst === null || inst === undefined || inst.gone) continue;
      const idleFrom = Math.max(inst.idleSince ?? now, inst.upAt);
      this.end(i, inst, Math.min(inst.interruptAt, Math.max(now, idleFrom + this.spot.idleTerminateMs)));
    }
  }

  /** every interval each fleet slot could be up until `horizonMs` (launched at once after each interruption), from the same draws */
  forEachUpInterval(horizonMs: number, visit: (fromMs: number, toMs: number, slots: number) => void): void {
    const base = this.rng.fork('fleet');
    for (let i = 0; i < this.spot.instances; i++) {
      const own = base.fork(`instance-${i}`);
      let up = 0;
      let down = own.exponential(this.spot.meanLifetimeMs);
      while (up < horizonMs) {
        visit(up, Math.min(down, horizonMs), this.spot.slotsPerInstance);
        up = down + this.spot.bootMs;
        down = up + own.exponential(this.spot.meanLifetimeMs);
      }
    }
  }

  /** interruption instants of the whole fleet before `horizonMs` (each ends at most one instance), from the same draws */
  interruptionsBefore(horizonMs: number): number {
    let n = 0;
    this.forEachUpInterval(horizonMs, (_from, to) => {
      if (to < horizonMs) n++;
    });
    return n;
  }

  /** the first interruption instant of fleet slot i after `t` (the stream advances past instants nobody was up for) */
  private interruptionAfter(i: number, t: number): number {
    const m = this.market[i]!;
    while (m.next <= t) m.next += this.spot.bootMs + m.rng.exponential(this.spot.meanLifetimeMs);
    return m.next;
  }

  /** launches instances for the jobs waiting and running, up to the fleet's size (as the real substrate's scale()) */
  private scale(): void {
    const per = this.spot.slotsPerInstance;
    const wanted = Math.min(this.fleet.length, Math.ceil((this.waiting.length + this.running) / per));
    let have = 0;
    for (const inst of this.fleet) if (inst !== null) have++;
    const now = this.clock.now();
    for (let i = 0; i < this.fleet.length && have < wanted; i++) {
      if (this.fleet[i] !== null) continue;
      const inst: Instance = { launchedAt: now, upAt: now + this.spot.bootMs, interruptAt: this.interruptionAfter(i, now), busy: 0, idleSince: null, jobsUsd: 0, gone: false };
      this.fleet[i] = inst;
      have++;
      // interrupted while booting, it is billed for the boot so far and never joins
      if (inst.interruptAt >= inst.upAt) this.clock.at(inst.upAt, () => this.pump());
      this.clock.at(inst.interruptAt, () => this.end(i, inst, inst.interruptAt));
    }
    this.armCheck();
  }

  /** hands waiting jobs to free slots of up instances, oldest first; jobs past their deadline fail (retryable) */
  private pump(): void {
    const now = this.clock.now();
    const m = this.model;
    const still: Waiting[] = [];
    let slot = this.nextFreeSlot(now, 0);
    for (const w of this.waiting) {
      if (w.req.deadline <= now) {
        w.settle(failedOutcome(`no ${this.name} instance was free before the job's deadline`, 0));
        continue;
      }
      if (slot === -1) { still.push(w); continue; }
      const i = slot;
      const inst = this.fleet[i]!;
      inst.busy++;
      inst.idleSince = null;
      this.running++;
      const f = factsOf(this.facts, w.req);
      const start = now + m.rttMs / 2;
      const runMs = (f.bytes / m.bandwidthBps) * 1000 + (f.workS / m.speed) * 1000;
      let end = start + runMs;
      let outcome: ExecOutcome;
      if (inst.interruptAt < end) {
        end = Math.max(start, inst.interruptAt);
        outcome = failedOutcome(`spot instance interrupted (${m.name})`, end - start);
      } else if (this.rng.chance(m.failureRate)) {
        end = start + runMs * this.rng.next();
        outcome = failedOutcome(`${m.name} instance crashed`, end - start);
      } else {
        outcome = okOutcome(runMs, f.bytes, 0);
      }
      // the job's own share: its run at the slot price (what the real substrate estimates per job)
      const share = attemptCostUsd(m.pricing, m.maxMemoryMb, (end - start) / 1000);
      if (outcome.ok) outcome.cost_usd = share;
      inst.jobsUsd += share;
      this.meter.bill(f.klass, share);
      this.meter.attempts++;
      if (!outcome.ok) this.meter.failures++;
      this.clock.at(end + m.rttMs / 2, () => {
        this.running--;
        if (!inst.gone) {
          inst.busy--;
          if (inst.busy === 0) inst.idleSince = this.clock.now();
        }
        w.settle(outcome);
        if (this.waiting.length > 0) this.pump();
      });
      slot = this.nextFreeSlot(now, i);
    }
    this.waiting = still;
  }

  /** the first fleet slot from `from` on with an up instance that has a free slot; -1 if none */
  private nextFreeSlot(now: number, from: number): number {
    for (let i = from; i < this.fleet.length; i++) {
      const inst = this.fleet[i];
      if (inst !== null && inst !== undefined && !inst.gone && inst.upAt <= now && inst.interruptAt > now && inst.busy < this.spot.slotsPerInstance) return i;
    }
    return -1;
  }

  /** the instance in fleet slot i stops at `at` (interrupted or terminated): its bill is closed, its slot emptied */
  private end(i: number, inst: Instance, at: number): void {
    if (inst.gone) return;
    inst.gone = true;
    if (this.fleet[i] === inst) this.fleet[i] = null;
    const instanceUsd = (this.model.costPerHourUsd / 3600) * Math.max(0, at - inst.launchedAt) / 1000;
    this.meter.billOverhead(Math.max(0, instanceUsd - inst.jobsUsd));
    // jobs running on it fail at the interruption (pump worked their outcome out already); waiting ones need a replacement
    if (this.waiting.length > 0) this.armCheck();
  }

  /** the periodic check (idle termination, replacements), armed only while the fleet or its queue is not empty */
  private armCheck(): void {
    if (this.checkArmed) return;
    this.checkArmed = true;
    this.clock.setTimeout(() => {
      this.checkArmed = false;
      this.check();
    }, CHECK_MS);
  }

  private check(): void {
    const now = this.clock.now();
    const busy = this.waiting.length > 0;
    let live = false;
    for (let i = 0; i < this.fleet.length; i++) {
      const inst = this.fleet[i];
      if (inst === null || inst === undefined) continue;
      if (inst.upAt > now) { live = true; continue; }
      if (inst.busy > 0 || busy) {
        inst.idleSince = null;
      } else {
        inst.idleSince ??= now;
        if (now - inst.idleSince >= this.spot.idleTerminateMs) {
          this.end(i, inst, now);
          continue;
        }
      }
      live = true;
    }
    if (busy) this.scale();
    if (live || this.waiting.length > 0) this.armCheck();
  }
}
