import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Telemetry } from '../../src/dispatcher/telemetry.js';
import type { SubstrateGauges } from '../../src/dispatcher/telemetry.js';
import type { ResultRecord } from '../../src/job/types.js';

/**
 * /metrics is read by dashboards and alerts: every packetfs_ family keeps its
 * name, HELP text, type and label names. This pins the exposition line for
 * line (the order of lines and of labels within a sample aside), including
 * label escaping.
 */
const BUCKETS = ['0.0005', '0.001', '0.005', '0.01', '0.05', '0.1', '0.5', '1', '5', '30', '300', '+Inf'];

function histogramLines(name: string, substrate: string, cumulative: number[], sum: number, count: number): string[] {
  return [
    ...BUCKETS.map((le, i) => `${name}_bucket{substrate="${substrate}",le="${le}"} ${cumulative[i]}`),
    `${name}_sum{substrate="${substrate}"} ${sum}`,
    `${name}_count{substrate="${substrate}"} ${count}`,
  ];
}

const EXPECTED = [
  '# HELP packetfs_jobs_total Jobs finished by this dispatcher, by substrate and final status.',
  '# TYPE packetfs_jobs_total counter',
  'packetfs_jobs_total{substrate="local",status="succeeded"} 1',
  'packetfs_jobs_total{substrate="lam\\"bda",status="failed"} 1',
  '# HELP packetfs_job_exec_seconds Execution time of finished jobs.',
  '# TYPE packetfs_job_exec_seconds histogram',
  ...histogramLines('packetfs_job_exec_seconds', 'local', [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 0.0003, 1),
  ...histogramLines('packetfs_job_exec_seconds', 'lam\\"bda', [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1], 0.04, 1),
  '# HELP packetfs_job_queue_seconds Time from submission to dispatch of finished jobs.',
  '# TYPE packetfs_job_queue_seconds histogram',
  ...histogramLines('packetfs_job_queue_seconds', 'local', [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 0.002, 1),
  ...histogramLines('packetfs_job_queue_seconds', 'lam\\"bda', [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1], 7, 1),
  '# HELP packetfs_bytes_processed_total Bytes of data windows processed.',
  '# TYPE packetfs_bytes_processed_total counter',
  'packetfs_bytes_processed_total{substrate="local"} 9',
  'packetfs_bytes_processed_total{substrate="lam\\"bda"} 0',
  '# HELP packetfs_cost_usd_total Estimated cost of finished jobs in US dollars.',
  '# TYPE packetfs_cost_usd_total counter',
  'packetfs_cost_usd_total{substrate="local"} 0',
  'packetfs_cost_usd_total{substrate="lam\\"bda"} 0.25',
  '# HELP packetfs_attempt_failures_total Failed attempts (retried or final), by substrate and error code.',
  '# TYPE packetfs_attempt_failures_total counter',
  'packetfs_attempt_failures_total{substrate="lam\\"bda",code="TIMEOUT"} 1',
  '# HELP packetfs_queue_depth Jobs in the store by state.',
  '# TYPE packetfs_queue_depth gauge',
  'packetfs_queue_depth{state="queued"} 3',
  'packetfs_queue_depth{state="delayed"} 1',
  'packetfs_queue_depth{state="running"} 2',
  '# HELP packetfs_substrate_in_flight Jobs running on each substrate.',
  '# TYPE packetfs_substrate_in_flight gauge',
  'packetfs_substrate_in_flight{substrate="local"} 2',
  'packetfs_substrate_in_flight{substrate="lam\\"bda"} 0',
  '# HELP packetfs_substrate_healthy 1 when the substrate passed its last health probe.',
  '# TYPE packetfs_substrate_healthy gauge',
  'packetfs_substrate_healthy{substrate="local"} 1',
  'packetfs_substrate_healthy{substrate="lam\\"bda"} 0',
];

const NODE_FAMILIES = [
  '# HELP packetfs_verified_results_total Volunteer results accepted, by how they were verified.',
  '# TYPE packetfs_verified_results_total counter',
  'packetfs_verified_results_total{method="trusted"} 0',
  'packetfs_verified_results_total{method="quorum"} 2',
  'packetfs_verified_results_total{method="spot-check"} 1',
  'packetfs_verified_results_total{method="unchecked"} 0',
  '# HELP packetfs_verification_executions_total Executions spent on volunteer jobs, on nodes and on the trusted arbiter.',
  '# TYPE packetfs_verification_executions_total counter',
  'packetfs_verification_executions_total{where="node"} 4',
  'packetfs_verification_executions_total{where="arbiter"} 1',
  '# HELP packetfs_wrong_results_caught_total Volunteer results found wrong or malformed.',
  '# TYPE packetfs_wrong_results_caught_total counter',
  'packetfs_wrong_results_caught_total 1',
  '# HELP packetfs_nodes_banned_total Nodes banned for lying.',
  '# TYPE packetfs_nodes_banned_total counter',
  'packetfs_nodes_banned_total 1',
  '# HELP packetfs_results_corrected_total Stored results replaced after re-verification.',
  '# TYPE packetfs_results_corrected_total counter',
  'packetfs_results_corrected_total 0',
  '# HELP packetfs_nodes_connected Connected volunteer nodes by kind and reputation state.',
  '# TYPE packetfs_nodes_connected gauge',
  'packetfs_nodes_connected{kind="browser",state="probation"} 2',
  'packetfs_nodes_connected{kind="node",state="trusted"} 1',
];

const record = (r: Pick<ResultRecord, 'job_id' | 'status' | 'substrate' | 'exec_time_ms' | 'queue_time_ms' | 'bytes_processed' | 'cost_usd'>): ResultRecord =>
  ({ success: r.status === 'succeeded', result: null, attempts: 1, error: null, completed_at: '2026-01-01T00:00:00.000Z', ...r });

const view = (name: string, inFlight: number, healthy: boolean): SubstrateGauges => ({ name, in_flight: inFlight, healthy });

function filled(): Telemetry {
  const t = new Telemetry();
  t.recordResult(record({ job_id: 'a', status: 'succeeded', substrate: 'local', exec_time_ms: 0.3, queue_time_ms: 2, bytes_processed: 9, cost_usd: 0 }));
  t.recordResult(record({ job_id: 'b', status: 'failed', substrate: 'lam"bda', exec_time_ms: 40, queue_time_ms: 7000, bytes_processed: 0, cost_usd: 0.25 }));
  t.recordAttemptFailure('lam"bda', 'TIMEOUT');
  return t;
}

/** A sample's labels are a set (the exposition format does not order them): compare them sorted. */
function canonical(line: string): string {
  const sample = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
  if (sample === null) return line;
  const labels = [...sample[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => `${m[1]}="${m[2]}"`).sort();
  return `${sample[1]}{${labels.join(',')}} ${sample[3]}`;
}

const packetfsLines = (text: string) => text.split('\n').filter((l) => /^(# (HELP|TYPE) )?packetfs_/.test(l)).map(canonical).sort();
const expected = (lines: string[]) => lines.map(canonical).sort();

test('every packetfs_ family keeps its name, help, type, labels and values', async () => {
  const text = await filled().render({ queued: 3, delayed: 1, running: 2 }, [view('local', 2, true), view('lam"bda', 0, false)]);
  assert.deepEqual(packetfsLines(text), expected(EXPECTED));
});

test('the node pool families appear when a node pool runs', async () => {
  const nodes = {
    verification: { accepted: 3, nodeExecutions: 4, arbiterExecutions: 1, canaries: 0, wrongCaught: 1, convicted: 1, corrected: 0, byMethod: { trusted: 0, quorum: 2, 'spot-check': 1, unchecked: 0 } },
    nodes: [{ kind: 'browser', state: 'probation' }, { kind: 'browser', state: 'probation' }, { kind: 'node', state: 'trusted' }],
  };
  const text = await filled().render({ queued: 3, delayed: 1, running: 2 }, [view('local', 2, true), view('lam"bda', 0, false)], nodes);
  assert.deepEqual(packetfsLines(text), expected([...EXPECTED, ...NODE_FAMILIES]));
});

test('an unreachable store leaves the queue depth out rather than reporting zeros', async () => {
  const text = await filled().render(null, [view('local', 0, true)]);
  assert.ok(!/^packetfs_queue_depth\{/m.test(text), text);
  assert.match(text, /^packetfs_substrate_healthy\{substrate="local"\} 1$/m);
});

test('process metrics come along: CPU, memory and event-loop lag', async () => {
  const text = await filled().render(null, []);
  for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
    assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    assert.match(text, new RegExp(`^${name} [\\d.e+-]+$`, 'm'), name);
  }
});
