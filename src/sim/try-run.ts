import { classicPolicy, costLatencyPolicy, queueAwarePolicy } from '../scheduler/policies/index.js';
import { buildWorkload, scenarioByName } from './scenario.js';
import { buildWorld, runPolicy } from './run-policy.js';
import { computeOracle } from './oracle.js';
const s = scenarioByName(process.argv[2] ?? 'planet', { nodes: Number(process.argv[3] ?? 10000), jobs: Number(process.argv[4] ?? 20000), seed: 1 });
const w = buildWorkload(s);
const facts = new Map(w.facts.map((f, i) => [w.specs[i]!.job_id, f]));
const t = Date.now();
const o = computeOracle(s, w, buildWorld(s, facts), Number(process.env.SLOT ?? 60000));
console.log(JSON.stringify(o), (Date.now() - t) / 1000);
for (const p of [classicPolicy, costLatencyPolicy(), queueAwarePolicy()].filter((p) => !process.argv[5] || p.name === process.argv[5])) {
  const t0 = Date.now();
  const r = await runPolicy(s, w, facts, p, false);
  console.log(JSON.stringify(r), (Date.now() - t0) / 1000, 's', 'ratio', r.cost_usd / o.cost_usd);
}
