import { classicPolicy, costLatencyPolicy, DEFAULT_POLICY, queueAwarePolicy } from '../scheduler/policies/index.js';
import type { Policy } from '../scheduler/policies/policy.js';
import { computeOracle, type OracleReport } from './oracle.js';
import { loadLpSolver } from './spot-lp.js';
import { buildWorld, runPolicy, type PolicyReport } from './run-policy.js';
import { buildWorkload, scenarioByName, type ScenarioOptions } from './scenario.js';
import type { JobFacts } from './sim-job.js';

export interface SimulationReport {
  scenario: string;
  description: string;
  seed: number;
  nodes: number;
  jobs: number;
  policies: PolicyReport[];
  oracle: OracleReport;
  /** wall-clock seconds the whole simulation took */
  seconds: number;
}

/** the policies every simulation compares (the same ones `serve --policy` accepts) */
export function simulatedPolicies(): Policy[] {
  return [classicPolicy, costLatencyPolicy(), queueAwarePolicy()];
}

/**
 * `packetfs simulate`: one world (scenario, nodes, jobs, seed), every policy
 * run through the real dispatcher code in it, and the offline lower bound.
 */
export async function simulate(scenarioName: string, opts: ScenarioOptions & { policies?: Policy[] } = {}): Promise<SimulationReport> {
  const started = performance.now();
  const scenario = scenarioByName(scenarioName, opts);
  const workload = buildWorkload(scenario);
  const factsById = new Map<string, JobFacts>();
  for (let i = 0; i < workload.specs.length; i++) factsById.set(workload.specs[i]!.job_id, workload.facts[i]!);
  const policies: PolicyReport[] = [];
  for (const policy of opts.policies ?? simulatedPolicies()) {
    policies.push(await runPolicy(scenario, workload, factsById, policy, policy.name === DEFAULT_POLICY));
  }
  await loadLpSolver();
  const oracle = computeOracle(scenario, workload, buildWorld(scenario, factsById));
  return {
    scenario: scenario.name,
    description: scenario.description,
    seed: scenario.seed,
    nodes: scenario.pools.reduce((n, p) => n + p.nodes, 0),
    jobs: scenario.jobs,
    policies,
    oracle,
    seconds: (performance.now() - started) / 1000,
  };
}
