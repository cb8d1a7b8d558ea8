import { constraintMismatch } from '../scheduler/filters.js';
import type { Substrate } from '../substrates/substrate.js';
import type { JobSpec } from '../job/types.js';
import { minChain } from './instance-chain.js';
import { spotMultipliers } from './spot-lp.js';
import { MinCostFlow } from './min-cost-flow.js';
import type { World } from './run-policy.js';
import { SimNodePoolSubstrate } from './node-pool-substrate.js';
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
  /** the transportation bound alone, spot at its slot price per run (without instance overheads) */
  flow_only_usd: number;
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
  /** the spot instances' boot and idle tails that a feasible point of the relaxation needs (absent: spot unused, or the LP solver unavailable: the flow bound stands) */
  spot_launch_usd?: number;
  /** the relaxation's optimum as the LP solver found it: what the bound is with the best multipliers (it should equal cost_usd, up to the solver's tolerances) */
  relaxation_lp_usd?: number;
  /** a feasible cost of the relaxation (the flow's placement with the instances its spot work needs): how far the bound could still rise */
  relaxation_upper_usd?: number;
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

  const groupList = [...groups.values()];
  const spotAt = limited.findIndex((r) => r.sub instanceof SimSpotSubstrate);
  const flowOnly = solveTransport(groupList, limited, slots, null);
  const report = (cost: number, solved: TransportSolution, extra: Partial<OracleReport>): OracleReport => ({
    cost_usd: cost,
    flow_only_usd: flowOnly.cost,
    all_paid_usd: flowOnly.allPaid,
    slot_ms: slotMs,
    groups: groupList.length,
    edges: solved.edges,
    augmentations: solved.augmentations,
    work_s_by_substrate: solved.workBy,
    paid_work_s: solved.paidWork,
    impossible_jobs: impossible,
    ...extra,
    seconds: (performance.now() - started) / 1000,
  });
  const spot = spotAt === -1 ? undefined : limited[spotAt]!.sub as SimSpotSubstrate;
  // nothing on spot even at its bare slot price: instance overheads cannot raise the bound
  if (spot === undefined || !(flowOnly.spotWork(spotAt).some((w) => w > 0))) return report(flowOnly.cost, flowOnly, {});
  const bound = spotLaunchBound(groupList, limited, slots, slotMs, spotAt, spot);
  if (bound === null) return report(flowOnly.cost, flowOnly, {});
  return report(Math.max(flowOnly.cost, bound.usd), flowOnly, { spot_launch_usd: bound.launchUsd, relaxation_upper_usd: bound.upperUsd, relaxation_lp_usd: bound.lpUsd });
}

interface Group { klass: number; slot: number; work: number; unit: Float64Array; fallback: number; lastSlot: number; spec: JobSpec }

interface TransportSolution {
  cost: number;
  allPaid: number;
  edges: number;
  augmentations: number;
  workBy: Record<string, number>;
  paidWork: number;
  /** work (seconds) placed on limited resource r, per slot */
  spotWork: (r: number) => Float64Array;
}

/**
 * The transportation problem as a min-cost flow: source → group (its work) → (limited resource, slot) →
 * sink (capacity), plus group → sink at the group's cheapest unlimited price. Nodes: 0 source, 1 sink,
 * groups, then (limited resource, slot). `spotUnit` (with its resource index): per-slot prices replacing
 * that resource's per-group prices (the Lagrangian round of spotLaunchBound).
 */
function solveTransport(groupList: Group[], limited: Resource[], slots: number, spotUnit: { at: number; unit: Float64Array } | null): TransportSolution {
  const resBase = 2 + groupList.length;
  const flow = new MinCostFlow(resBase + limited.length * slots);
  const fallbackEdges: number[] = [];
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
    fallbackEdges.push(flow.addEdge(node, 1, Infinity, fb));
    for (let r = 0; r < limited.length; r++) {
      const unit = g.unit[r]!;
      if (!Number.isFinite(unit)) continue; // not eligible
      for (let t = g.slot; t <= g.lastSlot; t++) {
        const u = spotUnit !== null && spotUnit.at === r ? spotUnit.unit[t]! : unit;
        if (u >= fb) continue; // never better than the fallback: leave it out
        flow.addEdge(node, resBase + r * slots + t, Infinity, u);
      }
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
  for (const e of fallbackEdges) paidWork += flow.flowOn(e);
  return {
    cost: result.cost, allPaid, edges: flow.edges, augmentations: result.augmentations, workBy, paidWork,
    spotWork: (r) => Float64Array.from(capEdges[r]!, (e) => flow.flowOn(e)),
  };
}

/**
 * The bound with what every spot instance costs beyond its runs (docs/scheduling.md, point (v)).
 *
 * The relaxation gains instance variables: M[s], the average number of instances running jobs in
 * slot s (instance-chain.ts). Spot work in slot s is at most K·M[s] (slots per instance × speed ×
 * slot length); M[s] is at most the fleet's always-up capacity; the fleet bills M[s] × slot length
 * at the instance price, plus, per instance, its boot, and its idle tail unless an interruption cut
 * it: with R launches (at least the rises of M) and I interruption instants of the market over the
 * horizon (known from the same draws; each ends at most one instance), bootUsd·R + idleUsd·max(0, R − I).
 *
 * It is solved for the groups no volunteer node pool may run (in the planet scenario, the private
 * jobs): leaving jobs out can only lower a minimum cost (their capacity is freed, and the
 * instances the full set needs also serve the subset), so this is a bound on the whole too.
 *
 * That problem couples the flow and the chain through W[s] ≤ K·M[s]. Relaxing the coupling with
 * multipliers λ[s] ≥ 0 (Lagrangian relaxation) splits it into the same min-cost flow with spot
 * priced λ[s] per work-second, and minChain with c[s] = slot price − λ[s]·K. The tails' max() is
 * at least ρ·(R − I) for any ρ in [0, idleUsd], so minChain charges each rise bootUsd + ρ and ρ·I
 * comes off. The sum is a lower bound on the relaxation's optimum for every λ ≥ 0 and such ρ (weak
 * duality). λ and ρ come from the programme's duals as HiGHS solves it (spot-lp.ts); the bound is
 * then computed here, exactly, from them alone. The cost of a feasible point (that flow's placement with the instances
 * its spot work needs: minChain with lo = W ÷ K) is relaxation_upper_usd, the gap left.
 */
function spotLaunchBound(groupList: Group[], limited: Resource[], slots: number, slotMs: number, at: number, spot: SimSpotSubstrate): {
  usd: number; launchUsd: number; upperUsd: number; lpUsd: number;
} | null {
  const m = spot.spec;
  const fleet = m.spot!;
  const perS = m.costPerHourUsd / 3600;
  const K = fleet.slotsPerInstance * m.speed * slotMs / 1000;
  const slotUsd = perS * slotMs / 1000;
  const bootUsd = perS * fleet.bootMs / 1000;
  const idleUsd = perS * fleet.idleTerminateMs / 1000;
  const launchUsd = bootUsd + idleUsd;
  const interruptions = spot.interruptionsBefore(slots * slotMs + fleet.idleTerminateMs);
  const pools = limited.flatMap((r, i) => (r.sub instanceof SimNodePoolSubstrate ? [i] : []));
  const subset = groupList.filter((g) => pools.every((r) => !Number.isFinite(g.unit[r]!)));
  const hi = Float64Array.from(limited[at]!.capacity, (cap) => cap / K);
  const lp = spotMultipliers({
    groups: subset.map((g) => {
      const edges: Array<{ r: number; t: number; unit: number }> = [];
      for (let r = 0; r < limited.length; r++) {
        const unit = g.unit[r]!;
        if (!Number.isFinite(unit) || (r !== at && unit >= g.fallback)) continue;
        for (let t = g.slot; t <= g.lastSlot; t++) edges.push({ r, t, unit });
      }
      return { work: g.work, fallback: g.fallback, edges };
    }),
    capacity: limited.map((r) => r.capacity), spotAt: at, slots, K, slotUsd, bootUsd, idleUsd, interruptions, hi,
  });
  if (lp === null) return null;
  const { lambda, rho } = lp;
  const solved = solveTransport(subset, limited, slots, { at, unit: lambda });
  const w = solved.spotWork(at);
  // launches pay boot + ρ each, less ρ per interruption instant (0 ≤ ρ ≤ idleUsd: see the tails below)
  const chain = minChain(Float64Array.from(lambda, (l) => slotUsd - l * K), bootUsd + rho, new Float64Array(slots), hi).usd - rho * interruptions;
  let spotFlowUsd = 0;
  for (let s = 0; s < slots; s++) spotFlowUsd += lambda[s]! * w[s]!;
  const needed = minChain(new Float64Array(slots).fill(slotUsd), launchUsd, Float64Array.from(w, (x) => x / K), hi);
  let rises = 0;
  for (let s = 0, prev = 0; s < slots; prev = needed.m[s]!, s++) rises += Math.max(0, needed.m[s]! - prev);
  const neededUsd = needed.usd - idleUsd * Math.min(interruptions, rises);
  return { usd: solved.cost + chain, launchUsd: rises * launchUsd, upperUsd: solved.cost - spotFlowUsd + neededUsd, lpUsd: lp.lpUsd };
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
