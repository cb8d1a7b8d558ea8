import { constraintMismatch } from '../scheduler/filters.js';
import type { Substrate } from '../substrates/substrate.js';
import type { JobSpec } from '../job/types.js';
import { MinCostFlow } from './min-cost-flow.js';
import type { World } from './run-policy.js';
import { SimSpotSubstrate } from './spot-substrate.js';
import type { Scenario, Workload } from './scenario.js';
import { attemptCostUsd } from './sim-job.js';

/**
 * A lower bound on what any placement of the workload can cost in this
 * world, computed offline with full knowledge (docs/scheduling.md proves it).
 *
 * Relaxation of the real problem (each relaxation can only lower the optimum):
 *  - work is fluid: a job may be split across substrates and time slots;
 *  - a job may use a capacity-limited substrate anywhere in the time slots
 *    that overlap [arrival, deadline] (whole slots, so a little more room
 *    than it really has);
 *  - no cold starts, no failures, no preemptions, no verification, no
 *    network round trips; node sessions need not outlast the job;
 *  - serverless substrates (Cloudflare, Lambda, Cloud Run) have no capacity limit;
 *  - a job's cost per unit of work is the lowest of its group's (jobs of one
 *    class, arrival slot and work bucket), so a group never costs more than its jobs.
 * Capacity (work-seconds per slot): local threads; each node's online
 * sessions × slots × speed (replayed from the same draws as the simulation);
 * Fly's slots; spot instances while up.
 *
 * The remaining problem is a transportation problem, solved exactly as a
 * min-cost flow: source → group (its work) → (substrate, slot) → sink (capacity),
 * plus group → sink at the group's cheapest unlimited price.
 */
export interface OracleReport {
  cost_usd: number;
  /** what the bound would be if every job ran on its cheapest unlimited substrate (no free capacity at all) */
  all_paid_usd: number;
  slot_ms: number;
  groups: number;
  edges: number;
  augmentations: number;
  /** work (seconds) the bound places on capacity-limited substrates, by substrate */
  work_s_by_substrate: Record<string, number>;
  /** work (seconds) the bound leaves to unlimited paid substrates */
  paid_work_s: number;
  /** jobs no substrate could ever run (excluded) */
  impossible_jobs: number;
  seconds: number;
}

interface Resource {
  sub: Substrate;
  speed: number;
  /** work-seconds of capacity in each slot */
  capacity: Float64Array;
  /** per-second billing rate for one unit of work (null: priced per job below) */
  price: (workS: number, bytes: number) => number;
}

/** slot lengths the oracle chooses from, finest first, and the most slots it will solve over */
const SLOT_CHOICES_MS = [10_000, 20_000, 30_000, 60_000];
const MAX_SLOTS = 100;

/**
 * Finer slots give a tighter bound (a job's window is rounded out to whole slots) but a bigger flow
 * problem: the finest slot that keeps the horizon within MAX_SLOTS, else the coarsest.
 */
export function oracleSlotMs(horizonMs: number): number {
  return SLOT_CHOICES_MS.find((ms) => horizonMs / ms <= MAX_SLOTS) ?? SLOT_CHOICES_MS[SLOT_CHOICES_MS.length - 1]!;
}

export function computeOracle(s: Scenario, workload: Workload, world: World, slotMsOverride?: number): OracleReport {
  const started = performance.now();
  let lastDeadline = 0;
  for (const f of workload.facts) if (f.deadlineMs > lastDeadline) lastDeadline = f.deadlineMs;
  const slotMs = slotMsOverride ?? oracleSlotMs(lastDeadline);
  const slots = Math.max(1, Math.ceil((lastDeadline + 1) / slotMs));
  const slotOf = (ms: number): number => Math.min(slots - 1, Math.floor(ms / slotMs));

  const limited: Resource[] = [];
  const unlimited: Resource[] = [];
  // local threads, speed 1
  {
    const capacity = new Float64Array(slots).fill((s.localThreads * slotMs) / 1000);
    limited.push({ sub: world.local, speed: 1, capacity, price: () => 0 });
  }
  for (const pool of world.pools) {
    const capacity = new Float64Array(slots);
    pool.forEachSession(slots * slotMs, (_node, from, to, nodeSlots, speed) => addInterval(capacity, slotMs, from, to, nodeSlots * speed));
    limited.push({ sub: pool, speed: 1, capacity, price: () => 0 });
  }
  for (const cloud of world.clouds) {
    const m = cloud.spec;
    const price = (workS: number, bytes: number): number => attemptCostUsd(m.pricing, m.maxMemoryMb, m.pricing.model === 'per_invocation' ? 0 : bytes / m.bandwidthBps + workS / m.speed);
    if (cloud instanceof SimSpotSubstrate) {
      // every instant an instance of the fleet could be up, whenever it was launched (spot-substrate.ts);
      // billed by the instance, a job pays at least its run at the slot price, idle and boot time aside
      const capacity = new Float64Array(slots);
      cloud.forEachUpInterval(slots * slotMs, (from, to, n) => addInterval(capacity, slotMs, from, to, n * m.speed));
      limited.push({ sub: cloud, speed: m.speed, capacity, price });
    } else if (m.type === 'fly') {
      limited.push({ sub: cloud, speed: m.speed, capacity: new Float64Array(slots).fill((m.maxConcurrent * m.speed * slotMs) / 1000), price });
    } else {
      unlimited.push({ sub: cloud, speed: m.speed, capacity: new Float64Array(0), price });
    }
  }

  // Groups: class × arrival slot × work bucket (factor 1.25); per-unit costs are the group's lowest.
  interface Group { klass: number; slot: number; work: number; unit: Float64Array; fallback: number; lastSlot: number; spec: JobSpec }
  const groups = new Map<string, Group>();
  const eligibleCache = new Map<number, { limited: boolean[]; unlimited: boolean[] }>();
  let impossible = 0;
  for (let i = 0; i < workload.facts.length; i++) {
    const f = workload.facts[i]!;
    const spec = workload.specs[i]!;
    let elig = eligibleCache.get(f.klass);
    if (elig === undefined) {
      elig = {
        limited: limited.map((r) => constraintMismatch(spec, r.sub.name === 'local' ? declared(r.sub) : declared(r.sub)) === null),
        unlimited: unlimited.map((r) => constraintMismatch(spec, declared(r.sub)) === null),
      };
      eligibleCache.set(f.klass, elig);
    }
    if (!elig.limited.some(Boolean) && !elig.unlimited.some(Boolean)) {
      impossible++;
      continue;
    }
    const bucket = Math.floor(Math.log(Math.max(f.workS, 1e-9)) / Math.log(1.25));
    const slot = slotOf(f.arrivalMs);
    const key = `${f.klass}|${slot}|${bucket}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { klass: f.klass, slot, work: 0, unit: new Float64Array(limited.length).fill(Infinity), fallback: Infinity, lastSlot: slot, spec };
      groups.set(key, g);
    }
    g.work += f.workS;
    g.lastSlot = Math.max(g.lastSlot, slotOf(f.deadlineMs));
    for (let r = 0; r < limited.length; r++) {
      if (!elig.limited[r]) continue;
      g.unit[r] = Math.min(g.unit[r]!, limited[r]!.price(f.workS, f.bytes) / f.workS);
    }
    for (let r = 0; r < unlimited.length; r++) {
      if (!elig.unlimited[r]) continue;
      g.fallback = Math.min(g.fallback, unlimited[r]!.price(f.workS, f.bytes) / f.workS);
    }
  }

  // Nodes: 0 source, 1 sink, groups, then (limited resource, slot).
  const groupList = [...groups.values()];
  const resBase = 2 + groupList.length;
  const flow = new MinCostFlow(resBase + limited.length * slots);
  const fallbackEdges: Array<{ g: Group; e: number }> = [];
  let totalWork = 0;
  let allPaid = 0;
  // A group with no unlimited substrate still needs a way out for the flow to be feasible; its
  // work then goes through this very expensive edge only if capacity truly runs out (reported).
  const NO_FALLBACK = 1e6;
  groupList.forEach((g, gi) => {
    const node = 2 + gi;
    flow.addEdge(0, node, g.work, 0);
    totalWork += g.work;
    const fb = Number.isFinite(g.fallback) ? g.fallback : NO_FALLBACK;
    allPaid += g.work * fb;
    fallbackEdges.push({ g, e: flow.addEdge(node, 1, Infinity, fb) });
    for (let r = 0; r < limited.length; r++) {
      const unit = g.unit[r]!;
      if (!Number.isFinite(unit) || unit >= fb) continue; // never better than the fallback: leave it out
      for (let t = g.slot; t <= g.lastSlot; t++) flow.addEdge(node, resBase + r * slots + t, Infinity, unit);
    }
  });
  const capEdges: number[][] = limited.map(() => []);
  for (let r = 0; r < limited.length; r++) {
    for (let t = 0; t < slots; t++) capEdges[r]!.push(flow.addEdge(resBase + r * slots + t, 1, limited[r]!.capacity[t]!, 0));
  }
  const result = flow.run(0, 1, totalWork, 1e-7);
  const workBy: Record<string, number> = {};
  for (let r = 0; r < limited.length; r++) {
    let w = 0;
    for (const e of capEdges[r]!) w += flow.flowOn(e);
    workBy[limited[r]!.sub.name] = w;
  }
  let paidWork = 0;
  for (const { e } of fallbackEdges) paidWork += flow.flowOn(e);
  return {
    cost_usd: result.cost,
    all_paid_usd: allPaid,
    slot_ms: slotMs,
    groups: groupList.length,
    edges: flow.edges,
    augmentations: result.augmentations,
    work_s_by_substrate: workBy,
    paid_work_s: paidWork,
    impossible_jobs: impossible,
    seconds: (performance.now() - started) / 1000,
  };
}

/** adds `rate` work-seconds per second over [from, to) to the slots it overlaps */
function addInterval(capacity: Float64Array, slotMs: number, from: number, to: number, rate: number): void {
  if (!(to > from)) return;
  let t = from;
  while (t < to) {
    const slot = Math.floor(t / slotMs);
    if (slot >= capacity.length) return;
    const end = Math.min(to, (slot + 1) * slotMs);
    capacity[slot]! += ((end - t) / 1000) * rate;
    t = end;
  }
}

function declared(sub: Substrate): { name: string; type: string; capabilities: ReturnType<Substrate['capabilities']> } {
  return { name: sub.name, type: sub.type, capabilities: sub.capabilities() };
}
