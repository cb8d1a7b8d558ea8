import { it } from 'node:test';
import assert from 'node:assert/strict';
import { classicPolicy, costLatencyPolicy, queueAwarePolicy } from '../../src/scheduler/policies/index.js';
import { computeOracle } from '../../src/sim/oracle.js';
import { buildWorld, runPolicy } from '../../src/sim/run-policy.js';
import { buildWorkload, scenarioByName, type Scenario } from '../../src/sim/scenario.js';
import type { JobFacts } from '../../src/sim/sim-job.js';
import { loadLpSolver } from '../../src/sim/spot-lp.js';

it('oracle: counts what spot instances cost beyond their runs, and still bounds every policy', async () => {
  // private work far beyond one local thread, with only spot and Lambda to pay for: the bound must use spot
  const planet = scenarioByName('planet', { jobs: 500, seed: 4 });
  const s: Scenario = {
    ...planet, jobs: 500, horizonMs: 600_000, localThreads: 1, pools: [],
    clouds: planet.clouds.filter((c) => c.type === 'lambda' || c.type === 'spot'),
    classes: planet.classes.filter((c) => c.private).map((c) => ({ ...c, share: 1 })),
  };
  const workload = buildWorkload(s);
  const facts = new Map<string, JobFacts>();
  for (let i = 0; i < workload.specs.length; i++) facts.set(workload.specs[i]!.job_id, workload.facts[i]!);
  await loadLpSolver();
  const oracle = computeOracle(s, workload, buildWorld(s, facts));
  assert.ok((oracle.work_s_by_substrate.spot ?? 0) > 0);
  // boot and idle tails raise the bound above the transportation bound alone
  assert.ok(oracle.spot_launch_usd !== undefined && oracle.spot_launch_usd > 0);
  assert.ok(oracle.cost_usd > oracle.flow_only_usd, `${oracle.cost_usd} vs ${oracle.flow_only_usd}`);
  assert.ok(oracle.cost_usd <= (oracle.relaxation_upper_usd ?? Infinity) + 1e-12);
  for (const policy of [classicPolicy, costLatencyPolicy(), queueAwarePolicy()]) {
    const p = await runPolicy(s, workload, facts, policy, false);
    assert.equal(p.jobs_succeeded + p.jobs_failed, 500, policy.name);
    assert.ok(oracle.cost_usd <= p.cost_usd + 1e-12, `${policy.name} ${p.cost_usd} < oracle ${oracle.cost_usd}`);
  }
});
