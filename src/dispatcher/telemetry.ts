import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ResultRecord } from '../job/types.js';
import type { QueueDepth } from '../store/job-store.js';
import type { SubstrateView } from './api.js';
import type { VerificationStats } from '../substrates/node-pool/node-verifier.js';
import { processMetrics } from './process-metrics.js';

/** What the node pool and its verifier add to /metrics. */
export interface NodeTelemetry {
  verification: VerificationStats;
  /** connected nodes by kind and reputation state */
  nodes: Array<{ kind: string; state: string }>;
}

/** The part of a substrate's view that /metrics reports. */
export type SubstrateGauges = Pick<SubstrateView, 'name' | 'in_flight' | 'healthy'>;

/**
 * The dispatcher's metrics for GET /metrics (Prometheus text format 0.0.4),
 * kept by prom-client, plus the process metrics (CPU, memory, event-loop
 * lag, GC) every dispatcher in the process shares. Counts only results this
 * process wrote, so with several dispatchers on one Redis each exports its
 * own share and Prometheus sums them.
 *
 * Names, help texts and labels are an interface (dashboards and alerts use
 * them; test/dispatcher/telemetry.test.ts pins them). The histograms
 * observe each result as it is recorded. The counters of finished jobs are
 * running totals in plain maps (prom-client hashes the labels on every inc,
 * too dear on the hot path), copied into their prom-client counters at each
 * render, like the gauges (queue depth, substrates, nodes) and the
 * verifier's totals. Each Telemetry has its own registries, so several
 * dispatchers in one process (tests, benches) do not mix their counts.
 */
const SECONDS_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300];

/** What one substrate's finished jobs add up to between scrapes. */
interface SubstrateTotals {
  byStatus: Map<ResultRecord['status'], number>;
  bytes: number;
  cost: number;
}

export class Telemetry {
  private readonly totals = new Map<string, SubstrateTotals>();
  /** key: substrate NUL code */
  private readonly failureCounts = new Map<string, number>();
  private readonly registry = new Registry();
  /** only rendered when a node pool runs, as before prom-client */
  private readonly nodeRegistry = new Registry();

  private readonly jobs = new Counter({
    name: 'packetfs_jobs_total', help: 'Jobs finished by this dispatcher, by substrate and final status.',
    labelNames: ['substrate', 'status'] as const, registers: [this.registry],
  });

  private readonly execSeconds = new Histogram({
    name: 'packetfs_job_exec_seconds', help: 'Execution time of finished jobs.',
    labelNames: ['substrate'] as const, buckets: SECONDS_BUCKETS, registers: [this.registry],
  });

  private readonly queueSeconds = new Histogram({
    name: 'packetfs_job_queue_seconds', help: 'Time from submission to dispatch of finished jobs.',
    labelNames: ['substrate'] as const, buckets: SECONDS_BUCKETS, registers: [this.registry],
  });

  private readonly bytes = new Counter({
    name: 'packetfs_bytes_processed_total', help: 'Bytes of data windows processed.',
    labelNames: ['substrate'] as const, registers: [this.registry],
  });

  private readonly cost = new Counter({
    name: 'packetfs_cost_usd_total', help: 'Estimated cost of finished jobs in US dollars.',
    labelNames: ['substrate'] as const, registers: [this.registry],
  });

  private readonly attemptFailures = new Counter({
    name: 'packetfs_attempt_failures_total', help: 'Failed attempts (retried or final), by substrate and error code.',
    labelNames: ['substrate', 'code'] as const, registers: [this.registry],
  });

  private readonly queueDepth = new Gauge({
    name: 'packetfs_queue_depth', help: 'Jobs in the store by state.',
    labelNames: ['state'] as const, registers: [this.registry],
  });

  private readonly inFlight = new Gauge({
    name: 'packetfs_substrate_in_flight', help: 'Jobs running on each substrate.',
    labelNames: ['substrate'] as const, registers: [this.registry],
  });

  private readonly healthy = new Gauge({
    name: 'packetfs_substrate_healthy', help: '1 when the substrate passed its last health probe.',
    labelNames: ['substrate'] as const, registers: [this.registry],
  });

  private readonly verified = new Counter({
    name: 'packetfs_verified_results_total', help: 'Volunteer results accepted, by how they were verified.',
    labelNames: ['method'] as const, registers: [this.nodeRegistry],
  });

  private readonly verificationExecutions = new Counter({
    name: 'packetfs_verification_executions_total', help: 'Executions spent on volunteer jobs, on nodes and on the trusted arbiter.',
    labelNames: ['where'] as const, registers: [this.nodeRegistry],
  });

  private readonly wrongCaught = new Counter({
    name: 'packetfs_wrong_results_caught_total', help: 'Volunteer results found wrong or malformed.', registers: [this.nodeRegistry],
  });

  private readonly banned = new Counter({
    name: 'packetfs_nodes_banned_total', help: 'Nodes banned for lying.', registers: [this.nodeRegistry],
  });

  private readonly corrected = new Counter({
    name: 'packetfs_results_corrected_total', help: 'Stored results replaced after re-verification.', registers: [this.nodeRegistry],
  });

  private readonly nodesConnected = new Gauge({
    name: 'packetfs_nodes_connected', help: 'Connected volunteer nodes by kind and reputation state.',
    labelNames: ['kind', 'state'] as const, registers: [this.nodeRegistry],
  });

  /** `onResult` also sees every result recorded (the dashboard's live stats) */
  constructor(private readonly onResult: (r: ResultRecord) => void = () => {}) {}

  recordResult(r: ResultRecord): void {
    this.onResult(r);
    const substrate = r.substrate ?? 'none';
    let t = this.totals.get(substrate);
    if (t === undefined) {
      t = { byStatus: new Map(), bytes: 0, cost: 0 };
      this.totals.set(substrate, t);
    }
    t.byStatus.set(r.status, (t.byStatus.get(r.status) ?? 0) + 1);
    t.bytes += r.bytes_processed;
    t.cost += r.cost_usd;
    this.execSeconds.observe({ substrate }, r.exec_time_ms / 1000);
    this.queueSeconds.observe({ substrate }, r.queue_time_ms / 1000);
  }

  recordAttemptFailure(substrate: string, code: string): void {
    const key = `${substrate}\u0000${code}`;
    this.failureCounts.set(key, (this.failureCounts.get(key) ?? 0) + 1);
  }

  /** Copies the running totals into their prom-client counters. */
  private copyTotals(): void {
    this.jobs.reset();
    this.bytes.reset();
    this.cost.reset();
    for (const [substrate, t] of this.totals) {
      for (const [status, n] of t.byStatus) this.jobs.inc({ substrate, status }, n);
      this.bytes.inc({ substrate }, t.bytes);
      this.cost.inc({ substrate }, t.cost);
    }
    this.attemptFailures.reset();
    for (const [key, n] of this.failureCounts) {
      const cut = key.indexOf('\u0000');
      this.attemptFailures.inc({ substrate: key.slice(0, cut), code: key.slice(cut + 1) }, n);
    }
  }

  async render(depth: QueueDepth | null, substrates: readonly SubstrateGauges[], nodes?: NodeTelemetry): Promise<string> {
    this.copyTotals();
    this.queueDepth.reset();
    if (depth !== null) {
      this.queueDepth.set({ state: 'queued' }, depth.queued);
      this.queueDepth.set({ state: 'delayed' }, depth.delayed);
      this.queueDepth.set({ state: 'running' }, depth.running);
    }
    this.inFlight.reset();
    this.healthy.reset();
    for (const v of substrates) {
      this.inFlight.set({ substrate: v.name }, v.in_flight);
      this.healthy.set({ substrate: v.name }, v.healthy ? 1 : 0);
    }
    const parts = [await this.registry.metrics()];
    if (nodes !== undefined) {
      this.setNodeMetrics(nodes);
      parts.push(await this.nodeRegistry.metrics());
    }
    parts.push(await processMetrics().metrics());
    return parts.join('');
  }

  /** The verifier keeps its own running totals; the counters mirror them. */
  private setNodeMetrics({ verification: v, nodes }: NodeTelemetry): void {
    this.verified.reset();
    for (const [method, n] of Object.entries(v.byMethod)) this.verified.inc({ method }, n);
    this.verificationExecutions.reset();
    this.verificationExecutions.inc({ where: 'node' }, v.nodeExecutions);
    this.verificationExecutions.inc({ where: 'arbiter' }, v.arbiterExecutions);
    setTotal(this.wrongCaught, v.wrongCaught);
    setTotal(this.banned, v.convicted);
    setTotal(this.corrected, v.corrected);
    this.nodesConnected.reset();
    for (const n of nodes) this.nodesConnected.inc({ kind: n.kind, state: n.state });
  }
}

function setTotal(counter: Counter, total: number): void {
  counter.reset();
  counter.inc(total);
}
