import { PacketFSError } from '../errors.js';
import type { JobSpec } from '../job/types.js';
import { JOB_DEFAULTS } from '../job/defaults.js';
import { CLOUDFLARE_DEFAULTS } from '../substrates/cloudflare/cloudflare-substrate.js';
import { CLOUDRUN_DEFAULTS } from '../substrates/cloudrun/cloudrun-substrate.js';
import { FLY_DEFAULTS } from '../substrates/fly/fly-substrate.js';
import { LAMBDA_DEFAULTS } from '../substrates/lambda/lambda-substrate.js';
import type { CloudModel } from './cloud-substrate.js';
import type { NodeModel } from './node-pool-substrate.js';
import { Rng } from './random.js';
import type { JobFacts } from './sim-job.js';

/**
 * The simulated world: which substrates exist and how they behave, and
 * which jobs arrive when. Everything is derived from (scenario, nodes, jobs,
 * seed), so every policy is run against the same world.
 */
export interface JobClass {
  name: string;
  /** share of all jobs */
  share: number;
  /** what the job declares (required_duration_s): the upper end of its work, as a careful user would */
  declaredS: number;
  /** true work on a reference core, uniform in [lo, hi] seconds */
  workS: readonly [number, number];
  memoryMb: number;
  /** the job's timeout_s; the simulation also counts completion later than arrival + this as a deadline miss */
  deadlineS: number;
  /** bytes the job reads (a window of a blob) */
  bytes: number;
  private: boolean;
}

export interface Scenario {
  name: string;
  description: string;
  seed: number;
  jobs: number;
  /** arrivals spread over this long (plus bursts inside it) */
  horizonMs: number;
  /** share of arrivals that come in bursts */
  burstShare: number;
  bursts: number;
  burstMs: number;
  /** jobs that arrive in one instant (a batch submit) */
  submitAtOnce: boolean;
  localThreads: number;
  localMemoryMb: number;
  pools: NodeModel[];
  clouds: CloudModel[];
  classes: JobClass[];
}

export interface ScenarioOptions {
  nodes?: number;
  jobs?: number;
  seed?: number;
}

export const SCENARIO_NAMES = ['planet', 'serve-burst'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

const MIN = 60_000;
const HOUR = 60 * MIN;
const MB = 1024 * 1024;

/**
 * EC2 Spot: a c7i.large (2 vCPU, 4 GiB) at about $0.035/h, i.e. $0.0175 per
 * vCPU-hour, one job per vCPU. An assumption in the range of recent us-east-1
 * Spot prices (DescribeSpotPriceHistory); the spot substrate's own price
 * table replaces it when configured. Interruptions: a stressed market, one
 * every 3 h per instance on average (AWS's Spot Instance Advisor reports
 * < 5 % per month for most types; the simulation is deliberately harsher),
 * 90 s to boot a replacement.
 */
export const SPOT_MODEL: CloudModel = {
  name: 'spot', type: 'spot',
  pricing: { model: 'per_hour', usd_per_hour: 0.035 / 2 },
  costPerHourUsd: 0.035, declaredLatencyMs: 100, rttMs: 50,
  maxConcurrent: 32, maxMemoryMb: 4096, maxDurationS: 86_400, speed: 1.1, bandwidthBps: 100 * MB,
  coldStartMs: 0, keepWarmMs: 0, failureRate: 0.001,
  spot: { instances: 16, slotsPerInstance: 2, meanLifetimeMs: 3 * HOUR, bootMs: 90_000, idleTerminateMs: 5 * MIN },
};

function clouds(): CloudModel[] {
  const base = { maxDurationS: 900, speed: 1, failureRate: 0.001 };
  return [
    { ...base, name: 'cloudflare', type: 'cloudflare', pricing: CLOUDFLARE_DEFAULTS.pricing.pricing, costPerHourUsd: CLOUDFLARE_DEFAULTS.pricing.cost_per_hour_usd,
      declaredLatencyMs: CLOUDFLARE_DEFAULTS.latencyMs, rttMs: 30, maxConcurrent: 2000, maxMemoryMb: CLOUDFLARE_DEFAULTS.limits.max_memory_mb,
      maxDurationS: CLOUDFLARE_DEFAULTS.limits.max_duration_seconds, bandwidthBps: 100 * MB, coldStartMs: 5, keepWarmMs: 60_000 },
    { ...base, name: 'lambda', type: 'lambda', pricing: LAMBDA_DEFAULTS.pricing.pricing, costPerHourUsd: LAMBDA_DEFAULTS.pricing.cost_per_hour_usd,
      declaredLatencyMs: LAMBDA_DEFAULTS.latencyMs, rttMs: 60, maxConcurrent: 1000, maxMemoryMb: LAMBDA_DEFAULTS.limits.max_memory_mb,
      bandwidthBps: 75 * MB, coldStartMs: 400, keepWarmMs: 10 * MIN },
    { ...base, name: 'cloudrun', type: 'cloudrun', pricing: CLOUDRUN_DEFAULTS.pricing.pricing, costPerHourUsd: CLOUDRUN_DEFAULTS.pricing.cost_per_hour_usd,
      declaredLatencyMs: CLOUDRUN_DEFAULTS.latencyMs, rttMs: 70, maxConcurrent: 1000, maxMemoryMb: CLOUDRUN_DEFAULTS.limits.max_memory_mb,
      bandwidthBps: 75 * MB, coldStartMs: 1500, keepWarmMs: 15 * MIN },
    { ...base, name: 'fly', type: 'fly', pricing: FLY_DEFAULTS.pricing.pricing, costPerHourUsd: FLY_DEFAULTS.pricing.cost_per_hour_usd,
      declaredLatencyMs: FLY_DEFAULTS.latencyMs, rttMs: 60, maxConcurrent: 20, maxMemoryMb: FLY_DEFAULTS.limits.max_memory_mb,
      maxDurationS: FLY_DEFAULTS.limits.max_duration_seconds, bandwidthBps: 50 * MB, coldStartMs: 1000, keepWarmMs: 5 * MIN },
    SPOT_MODEL,
  ];
}

/**
 * Browser tabs: short sessions (Weibull shape 0.6, scale 15 min: median
 * about 8 min) and long gaps (shape 0.5, scale 60 min); 1, 2 or 4 worker
 * slots; WebAssembly in a tab at 0.2–0.7 of a server core; home uplinks.
 * Volunteer `packetfs worker` processes: hours-long sessions (shape 0.6,
 * scale 4 h) and gaps (shape 0.5, scale 4 h), 2–8 slots, a server core's speed.
 * Weibull with shape < 1 is the form fitted to volunteer-host availability
 * intervals (docs/scheduling.md cites the measurements); the scales are assumptions.
 */
function pools(nodes: number): NodeModel[] {
  const volunteers = Math.round(nodes * 0.1);
  return [
    { name: 'browser', type: 'browser', nodes: nodes - volunteers, declaredLatencyMs: 200, maxMemoryMb: 512, slotChoices: [1, 2, 2, 4],
      speed: [0.2, 0.7], rttMedianMs: 80, bandwidthBps: [2 * MB, 20 * MB],
      session: { shape: 0.6, scaleMs: 15 * MIN }, gap: { shape: 0.5, scaleMs: 60 * MIN } },
    { name: 'volunteer', type: 'volunteer', nodes: volunteers, declaredLatencyMs: 100, maxMemoryMb: 4096, slotChoices: [2, 4, 8],
      speed: [0.6, 1.2], rttMedianMs: 40, bandwidthBps: [10 * MB, 100 * MB],
      session: { shape: 0.6, scaleMs: 4 * HOUR }, gap: { shape: 0.5, scaleMs: 4 * HOUR } },
  ];
}

const PLANET_CLASSES: JobClass[] = [
  { name: 'interactive', share: 0.55, declaredS: 0.5, workS: [0.05, 0.5], memoryMb: 128, deadlineS: 10, bytes: 256 * 1024, private: false },
  { name: 'batch', share: 0.35, declaredS: 40, workS: [5, 40], memoryMb: 512, deadlineS: 900, bytes: 32 * MB, private: false },
  { name: 'private', share: 0.10, declaredS: 15, workS: [2, 15], memoryMb: 256, deadlineS: 300, bytes: 8 * MB, private: true },
];

export function scenarioByName(name: string, opts: ScenarioOptions = {}): Scenario {
  const seed = opts.seed ?? 1;
  switch (name) {
    case 'planet': {
      const jobs = opts.jobs ?? 20_000;
      const nodes = opts.nodes ?? 10_000;
      return {
        name, seed, jobs,
        description: 'browser and volunteer nodes with churn, local threads, Cloudflare, Lambda, Cloud Run, Fly, EC2 spot; interactive, batch and private jobs with deadlines, 30 % of them in bursts',
        // 50 jobs a second on average
        horizonMs: Math.max(MIN, (jobs / 50) * 1000),
        burstShare: 0.3, bursts: 6, burstMs: 30_000, submitAtOnce: false,
        localThreads: 8, localMemoryMb: 16_384,
        pools: pools(nodes), clouds: clouds(), classes: PLANET_CLASSES,
      };
    }
    case 'serve-burst': {
      // The measurement: local pool + a fly and a cloudflare entry, 10,000 tiny unpinned jobs at once.
      const jobs = opts.jobs ?? 10_000;
      const all = clouds();
      return {
        name, seed, jobs,
        description: 'the issue-12 symptom: 2 local threads plus Fly and Cloudflare, 10,000 tiny jobs submitted at once',
        horizonMs: 1, burstShare: 0, bursts: 0, burstMs: 0, submitAtOnce: true,
        localThreads: 2, localMemoryMb: 4096,
        pools: [],
        clouds: all.filter((c) => c.type === 'fly' || c.type === 'cloudflare').map((c) => ({ ...c, maxConcurrent: 4000 })),
        classes: [{ name: 'tiny', share: 1, declaredS: 30, workS: [0.00001, 0.00002], memoryMb: 128, deadlineS: 300, bytes: 64, private: false }],
      };
    }
    default:
      throw new PacketFSError('INVALID_REQUEST', `unknown scenario "${name}"; known: ${SCENARIO_NAMES.join(', ')}`, { path: 'scenario' });
  }
}

/** The jobs of a scenario, in arrival order, with what the world knows about each. */
export interface Workload {
  specs: JobSpec[];
  facts: JobFacts[];
}

export function buildWorkload(s: Scenario): Workload {
  const rng = new Rng(s.seed).fork('workload');
  const arrivals = new Float64Array(s.jobs);
  const burstStarts = Array.from({ length: s.bursts }, () => rng.uniform(0, Math.max(0, s.horizonMs - s.burstMs)));
  for (let i = 0; i < s.jobs; i++) {
    if (s.submitAtOnce) arrivals[i] = 0;
    else if (s.bursts > 0 && rng.chance(s.burstShare)) arrivals[i] = burstStarts[rng.int(0, s.bursts - 1)]! + rng.uniform(0, s.burstMs);
    else arrivals[i] = rng.uniform(0, s.horizonMs);
    arrivals[i] = Math.floor(arrivals[i]!);
  }
  arrivals.sort();
  const cumulative: number[] = [];
  let sum = 0;
  for (const c of s.classes) {
    sum += c.share;
    cumulative.push(sum);
  }
  const programs = s.classes.map((c) => ({
    ops: [{ op: 'crc32c' as const, imm: 0 }], single: true, blob: '0'.repeat(32), offset: 0, length: c.bytes,
  }));
  const specs: JobSpec[] = new Array(s.jobs);
  const facts: JobFacts[] = new Array(s.jobs);
  for (let i = 0; i < s.jobs; i++) {
    const u = rng.next() * sum;
    let k = 0;
    while (k < s.classes.length - 1 && u >= cumulative[k]!) k++;
    const c = s.classes[k]!;
    const arrivalMs = arrivals[i]!;
    const jobId = `sim-${i}`;
    const spec: JobSpec = {
      ...JOB_DEFAULTS,
      job_id: jobId,
      program: programs[k]!,
      required_memory_mb: c.memoryMb,
      required_duration_s: c.declaredS,
      timeout_s: c.deadlineS,
      created_at: new Date(arrivalMs).toISOString(),
      metadata: {},
      substrates: null,
    };
    if (c.private) spec.private = true;
    specs[i] = spec;
    facts[i] = {
      index: i, klass: k, arrivalMs, deadlineMs: arrivalMs + c.deadlineS * 1000,
      workS: rng.uniform(c.workS[0], c.workS[1]), bytes: c.bytes, memoryMb: c.memoryMb, private: c.private,
    };
  }
  return { specs, facts };
}
