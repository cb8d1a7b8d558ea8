import { DispatchLoop } from '../dispatcher/dispatch-loop.js';
import { Telemetry } from '../dispatcher/telemetry.js';
import { silentLogger } from '../logger.js';
import { SubstrateRegistry } from '../scheduler/registry.js';
import type { Policy } from '../scheduler/policies/policy.js';
import { MemoryJobStore } from '../store/memory/memory-store.js';
import type { ResultRecord } from '../job/types.js';
import { SimCloudSubstrate } from './cloud-substrate.js';
import { SimLocalSubstrate } from './local-substrate.js';
import { SimNodePoolSubstrate } from './node-pool-substrate.js';
import { SimSpotSubstrate } from './spot-substrate.js';
import { Rng } from './random.js';
import type { Scenario, Workload } from './scenario.js';
import type { JobFacts } from './sim-job.js';
import { VirtualClock } from './virtual-clock.js';

/** What one policy achieved in one simulated world. */
export interface PolicyReport {
  name: string;
  default: boolean;
  cost_usd: number;
  p50_ms: number;
  p99_ms: number;
  deadline_misses: number;
  jobs_succeeded: number;
  jobs_failed: number;
  /** attempts that failed (node left, spot interrupted, crash) and were retried or gave up */
  failed_attempts: number;
  /** jobs and cost per substrate */
  by_substrate: Record<string, { jobs: number; cost_usd: number }>;
  /** per job class: jobs that succeeded on each substrate, what each substrate billed for the class (failed attempts included), deadline misses */
  by_class: Record<string, { misses: number; by_substrate: Record<string, { jobs: number; cost_usd: number }> }>;
  /** of cost_usd, what no job's run accounts for: spot instances booting or idle (by_class leaves it out) */
  overhead_usd: number;
  /** virtual time from the first arrival to the last completion */
  makespan_ms: number;
  /** timer callbacks the virtual clock ran */
  events: number;
}

/** The simulated substrates of a world, built the same way for every policy. */
export interface World {
  clock: VirtualClock;
  local: SimLocalSubstrate;
  pools: SimNodePoolSubstrate[];
  clouds: Array<SimCloudSubstrate | SimSpotSubstrate>;
}

export function buildWorld(s: Scenario, factsById: ReadonlyMap<string, JobFacts>): World {
  const clock = new VirtualClock(0);
  const rng = new Rng(s.seed);
  return {
    clock,
    local: new SimLocalSubstrate(s.localThreads, s.localMemoryMb, clock, factsById),
    pools: s.pools.map((m, i) => new SimNodePoolSubstrate(m, (s.seed * 7919 + i * 104_729) | 0, clock, factsById)),
    clouds: s.clouds.map((m) => m.spot === undefined
      ? new SimCloudSubstrate(m, clock, rng.fork(`cloud-${m.name}`), factsById)
      : new SimSpotSubstrate(m, clock, rng.fork(`cloud-${m.name}`), factsById)),
  };
}

/**
 * Runs the real dispatch loop (src/dispatcher/dispatch-loop.ts) with the real
 * registry, policy, latency trackers and circuit breakers over a memory store,
 * all on the virtual clock, against the simulated substrates: jobs are
 * enqueued at their arrival instants, and the clock runs until every job has
 * a terminal result.
 */
export async function runPolicy(s: Scenario, workload: Workload, factsById: ReadonlyMap<string, JobFacts>, policy: Policy, isDefault: boolean): Promise<PolicyReport> {
  const world = buildWorld(s, factsById);
  const { clock } = world;
  const store = new MemoryJobStore({ now: clock.now, maxResults: 1000, metricsLimit: 1 });
  const registry = new SubstrateRegistry({ policy, clock });
  registry.add(world.local);
  for (const p of world.pools) registry.add(p);
  for (const c of world.clouds) registry.add(c);

  const total = workload.specs.length;
  const latencies = new Float64Array(total);
  let succeeded = 0;
  let failed = 0;
  let misses = 0;
  let lastDone = 0;
  const bySubstrate: Record<string, { jobs: number; cost_usd: number }> = {};
  const byClass: PolicyReport['by_class'] = {};
  for (const c of s.classes) byClass[c.name] = { misses: 0, by_substrate: {} };
  const classOf = (f: JobFacts): PolicyReport['by_class'][string] => byClass[s.classes[f.klass]!.name]!;
  const onResult = (r: ResultRecord): void => {
    const f = factsById.get(r.job_id);
    if (f === undefined) return;
    const now = clock.now();
    if (now > lastDone) lastDone = now;
    if (r.status === 'succeeded') {
      latencies[succeeded++] = now - f.arrivalMs;
      const key = r.substrate ?? 'none';
      entryFor(bySubstrate, key).jobs++;
      entryFor(classOf(f).by_substrate, key).jobs++;
      if (now > f.deadlineMs) {
        misses++;
        classOf(f).misses++;
      }
    } else {
      failed++;
      misses++;
      classOf(f).misses++;
    }
  };
  const loop = new DispatchLoop({
    store, registry, telemetry: new Telemetry(onResult), logger: silentLogger, clock,
    random: new Rng(s.seed).fork('backoff').next,
  });
  registry.start();
  loop.start();

  // One timer per arrival instant: jobs arriving together are enqueued together (a batch submit).
  let i = 0;
  while (i < total) {
    const at = workload.facts[i]!.arrivalMs;
    let j = i;
    while (j < total && workload.facts[j]!.arrivalMs === at) j++;
    const specs = workload.specs.slice(i, j);
    clock.at(at, () => {
      void store.enqueue(specs).then(() => loop.wake());
    });
    i = j;
  }
  await clock.run(() => succeeded + failed >= total);
  const drained = loop.drain();
  await clock.run(() => loop.status === 'stopped');
  await drained;
  registry.close();
  await store.close();
  // instances still up are billed until they would be terminated
  for (const c of world.clouds) await c.close();

  let cost = world.local.meter.costUsd;
  let failedAttempts = world.local.meter.failures;
  let overhead = 0;
  for (const sub of [...world.pools, ...world.clouds]) {
    cost += sub.meter.costUsd;
    failedAttempts += sub.meter.failures;
    overhead += sub.meter.overheadUsd;
    if (sub.meter.costUsd > 0) entryFor(bySubstrate, sub.name).cost_usd = sub.meter.costUsd;
    sub.meter.costByClass.forEach((usd, k) => {
      if (usd > 0) entryFor(byClass[s.classes[k]!.name]!.by_substrate, sub.name).cost_usd = usd;
    });
  }
  const done = latencies.subarray(0, succeeded).sort();
  return {
    name: policy.name,
    default: isDefault,
    cost_usd: cost,
    p50_ms: percentile(done, 0.5),
    p99_ms: percentile(done, 0.99),
    deadline_misses: misses,
    jobs_succeeded: succeeded,
    jobs_failed: failed,
    failed_attempts: failedAttempts,
    by_substrate: bySubstrate,
    by_class: byClass,
    overhead_usd: overhead,
    makespan_ms: lastDone,
    events: clock.events,
  };
}

function entryFor(by: Record<string, { jobs: number; cost_usd: number }>, name: string): { jobs: number; cost_usd: number } {
  let entry = by[name];
  if (entry === undefined) {
    entry = { jobs: 0, cost_usd: 0 };
    by[name] = entry;
  }
  return entry;
}

/** nearest-rank percentile of sorted values; 0 when empty */
function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
