import type { ResultRecord } from '../job/types.js';
import type { QueueDepth } from '../store/job-store.js';
import type { SubstrateView } from './api.js';
import type { VerificationStats } from '../substrates/node-pool/node-verifier.js';

/** What the node pool and its verifier add to /metrics. */
export interface NodeTelemetry {
  verification: VerificationStats;
  /** connected nodes by kind and reputation state */
  nodes: Array<{ kind: string; state: string }>;
}

/**
 * In-process counters and histograms for GET /metrics (Prometheus text
 * format 0.0.4). Counts only results this process wrote, so with several
 * dispatchers on one Redis each exports its own share and Prometheus sums them.
 */
const SECONDS_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300];

class Histogram {
  readonly counts = new Array<number>(SECONDS_BUCKETS.length).fill(0);
  sum = 0;
  count = 0;
  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < SECONDS_BUCKETS.length; i++) {
      if (seconds <= SECONDS_BUCKETS[i]!) { this.counts[i]!++; return; }
    }
  }
}

interface SubstrateCounters {
  byStatus: Map<string, number>;
  exec: Histogram;
  queue: Histogram;
  bytes: number;
  cost: number;
}

export class Telemetry {
  private readonly perSubstrate = new Map<string, SubstrateCounters>();
  private readonly attemptFailures = new Map<string, number>();

  /** `onResult` also sees every result recorded (the dashboard's live stats) */
  constructor(private readonly onResult: (r: ResultRecord) => void = () => {}) {}

  recordResult(r: ResultRecord): void {
    this.onResult(r);
    const key = r.substrate ?? 'none';
    let c = this.perSubstrate.get(key);
    if (!c) {
      c = { byStatus: new Map(), exec: new Histogram(), queue: new Histogram(), bytes: 0, cost: 0 };
      this.perSubstrate.set(key, c);
    }
    c.byStatus.set(r.status, (c.byStatus.get(r.status) ?? 0) + 1);
    c.exec.observe(r.exec_time_ms / 1000);
    c.queue.observe(r.queue_time_ms / 1000);
    c.bytes += r.bytes_processed;
    c.cost += r.cost_usd;
  }

  recordAttemptFailure(substrate: string, code: string): void {
    const key = `${substrate}\u0000${code}`;
    this.attemptFailures.set(key, (this.attemptFailures.get(key) ?? 0) + 1);
  }

  render(depth: QueueDepth | null, substrates: SubstrateView[], nodes?: NodeTelemetry): string {
    const out: string[] = [];
    out.push('# HELP packetfs_jobs_total Jobs finished by this dispatcher, by substrate and final status.', '# TYPE packetfs_jobs_total counter');
    for (const [s, c] of this.perSubstrate) {
      for (const [status, n] of c.byStatus) out.push(`packetfs_jobs_total{substrate="${esc(s)}",status="${status}"} ${n}`);
    }
    histogram(out, 'packetfs_job_exec_seconds', 'Execution time of finished jobs.', this.perSubstrate, (c) => c.exec);
    histogram(out, 'packetfs_job_queue_seconds', 'Time from submission to dispatch of finished jobs.', this.perSubstrate, (c) => c.queue);
    out.push('# HELP packetfs_bytes_processed_total Bytes of data windows processed.', '# TYPE packetfs_bytes_processed_total counter');
    for (const [s, c] of this.perSubstrate) out.push(`packetfs_bytes_processed_total{substrate="${esc(s)}"} ${c.bytes}`);
    out.push('# HELP packetfs_cost_usd_total Estimated cost of finished jobs in US dollars.', '# TYPE packetfs_cost_usd_total counter');
    for (const [s, c] of this.perSubstrate) out.push(`packetfs_cost_usd_total{substrate="${esc(s)}"} ${c.cost}`);
    out.push('# HELP packetfs_attempt_failures_total Failed attempts (retried or final), by substrate and error code.', '# TYPE packetfs_attempt_failures_total counter');
    for (const [key, n] of this.attemptFailures) {
      const [s, code] = key.split('\u0000');
      out.push(`packetfs_attempt_failures_total{substrate="${esc(s!)}",code="${esc(code!)}"} ${n}`);
    }
    if (depth) {
      out.push('# HELP packetfs_queue_depth Jobs in the store by state.', '# TYPE packetfs_queue_depth gauge');
      out.push(`packetfs_queue_depth{state="queued"} ${depth.queued}`, `packetfs_queue_depth{state="delayed"} ${depth.delayed}`, `packetfs_queue_depth{state="running"} ${depth.running}`);
    }
    out.push('# HELP packetfs_substrate_in_flight Jobs running on each substrate.', '# TYPE packetfs_substrate_in_flight gauge');
    for (const v of substrates) out.push(`packetfs_substrate_in_flight{substrate="${esc(v.name)}"} ${v.in_flight}`);
    out.push('# HELP packetfs_substrate_healthy 1 when the substrate passed its last health probe.', '# TYPE packetfs_substrate_healthy gauge');
    for (const v of substrates) out.push(`packetfs_substrate_healthy{substrate="${esc(v.name)}"} ${v.healthy ? 1 : 0}`);
    if (nodes !== undefined) renderNodes(out, nodes);
    return out.join('\n') + '\n';
  }
}

function renderNodes(out: string[], { verification: v, nodes }: NodeTelemetry): void {
  out.push('# HELP packetfs_verified_results_total Volunteer results accepted, by how they were verified.', '# TYPE packetfs_verified_results_total counter');
  for (const [method, n] of Object.entries(v.byMethod)) out.push(`packetfs_verified_results_total{method="${method}"} ${n}`);
  out.push('# HELP packetfs_verification_executions_total Executions spent on volunteer jobs, on nodes and on the trusted arbiter.', '# TYPE packetfs_verification_executions_total counter');
  out.push(`packetfs_verification_executions_total{where="node"} ${v.nodeExecutions}`, `packetfs_verification_executions_total{where="arbiter"} ${v.arbiterExecutions}`);
  out.push('# HELP packetfs_wrong_results_caught_total Volunteer results found wrong or malformed.', '# TYPE packetfs_wrong_results_caught_total counter', `packetfs_wrong_results_caught_total ${v.wrongCaught}`);
  out.push('# HELP packetfs_nodes_banned_total Nodes banned for lying.', '# TYPE packetfs_nodes_banned_total counter', `packetfs_nodes_banned_total ${v.convicted}`);
  out.push('# HELP packetfs_results_corrected_total Stored results replaced after re-verification.', '# TYPE packetfs_results_corrected_total counter', `packetfs_results_corrected_total ${v.corrected}`);
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(`${n.kind}\u0000${n.state}`, (counts.get(`${n.kind}\u0000${n.state}`) ?? 0) + 1);
  out.push('# HELP packetfs_nodes_connected Connected volunteer nodes by kind and reputation state.', '# TYPE packetfs_nodes_connected gauge');
  for (const [key, n] of counts) {
    const [kind, state] = key.split('\u0000');
    out.push(`packetfs_nodes_connected{kind="${esc(kind!)}",state="${esc(state!)}"} ${n}`);
  }
}

function histogram(out: string[], name: string, help: string, per: Map<string, SubstrateCounters>, pick: (c: SubstrateCounters) => Histogram): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
  for (const [s, c] of per) {
    const h = pick(c);
    let cumulative = 0;
    for (let i = 0; i < SECONDS_BUCKETS.length; i++) {
      cumulative += h.counts[i]!;
      out.push(`${name}_bucket{substrate="${esc(s)}",le="${SECONDS_BUCKETS[i]}"} ${cumulative}`);
    }
    out.push(`${name}_bucket{substrate="${esc(s)}",le="+Inf"} ${h.count}`);
    out.push(`${name}_sum{substrate="${esc(s)}"} ${h.sum}`, `${name}_count{substrate="${esc(s)}"} ${h.count}`);
  }
}

export function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
