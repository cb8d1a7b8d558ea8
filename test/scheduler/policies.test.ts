import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketFSError } from '../../src/errors.js';
import { classicPolicy, costLatencyPolicy, DEFAULT_VALUE_OF_TIME_USD_PER_S, policyByName, type Policy } from '../../src/scheduler/policies/index.js';
import { SubstrateRegistry } from '../../src/scheduler/registry.js';
import { job, originalTable, state } from './fake-substrate.js';

const near = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≉ ${expected}`);

function registryOf(policy: Policy) {
  const table = originalTable();
  const registry = new SubstrateRegistry({ policy });
  for (const s of Object.values(table)) registry.add(s);
  return { registry, table };
}

const best = (registry: SubstrateRegistry, j = job()) => registry.rank(j)[0]?.substrate.name;

test('classic scores the original table 200, 100, 100.02, 300', () => {
  const t = originalTable();
  near(classicPolicy.score(state(t.browser), job()), 200);
  near(classicPolicy.score(state(t.cloudflare), job()), 100);
  near(classicPolicy.score(state(t.lambda), job()), 100.02);
  near(classicPolicy.score(state(t.fly), job()), 300);
});

test('classic ranks Cloudflare, Lambda, Browser, Fly for a job that fits all', () => {
  const { registry } = registryOf(classicPolicy);
  const ranked = registry.rank(job({ required_memory_mb: 128 }));
  assert.deepEqual(ranked.map((r) => r.substrate.name), ['cloudflare', 'lambda', 'browser', 'fly']);
  near(ranked[1]!.score, 100.02);
});

test('classic gets the default small job "wrong": Lambda, since Cloudflare cannot take 256 MB', () => {
  const { registry } = registryOf(classicPolicy);
  assert.equal(best(registry), 'lambda');
});

test('the default policy puts a small job on the free browser', () => {
  const { registry } = registryOf(policyByName('cost-latency'));
  assert.equal(best(registry), 'browser');
});

test('the default policy puts a 128 MB stateful job on Cloudflare', () => {
  const { registry } = registryOf(policyByName('cost-latency'));
  assert.equal(best(registry, job({ requires_state: true, required_memory_mb: 128 })), 'cloudflare');
});

test('the default policy puts a 1024 MB job on Lambda', () => {
  const { registry } = registryOf(policyByName('cost-latency'));
  assert.equal(best(registry, job({ required_memory_mb: 1024 })), 'lambda');
});

test('placement follows measurements: a browser measured slow loses the small job to Lambda', () => {
  const { registry } = registryOf(policyByName('cost-latency'));
  assert.equal(best(registry), 'browser');
  for (let i = 0; i < 10; i++) registry.recordOutcome('browser', { jobs: 1, failures: 0, latencyMs: 3000, bytes: 64, execMs: 1 });
  assert.equal(best(registry), 'lambda');
  const browserView = registry.views().find((v) => v.name === 'browser')!;
  assert.ok(browserView.measured_latency_ms! > 1000);
});

test('cost-latency score is expected cost plus value of time × declared latency before measurements', () => {
  const t = originalTable();
  const policy = costLatencyPolicy();
  near(policy.score(state(t.browser), job()), DEFAULT_VALUE_OF_TIME_USD_PER_S * 0.2);
  near(policy.score(state(t.lambda), job()), 0.0002 + DEFAULT_VALUE_OF_TIME_USD_PER_S * 0.1);
  near(policy.score(state(t.fly), job()), 1.5 * 30 / 3600 + DEFAULT_VALUE_OF_TIME_USD_PER_S * 0.15);
});

test('queue wait counts in-flight jobs over slots times measured exec time', () => {
  const t = originalTable();
  const policy = costLatencyPolicy({ valueOfTimeUsdPerS: 1 });
  const measured = { measuredLatencyMs: 10, avgExecMs: 40 };
  near(policy.score(state(t.browser, measured), job()), 0.010);
  // 50 of 100 slots busy × 40 ms per job = 20 ms of expected wait
  near(policy.score(state(t.browser, { ...measured, inFlight: 50 }), job()), 0.030);
});

test('job bytes over measured throughput adds transfer time, only when both are known', () => {
  const t = originalTable();
  const policy = costLatencyPolicy({ valueOfTimeUsdPerS: 1 });
  const big = job({ program: { ops: [{ op: 'crc32c', imm: 0 }], single: true, data_url: 'http://127.0.0.1/f', offset: 0, length: 1_000_000 } });
  const unknownSize = job({ program: { ops: [{ op: 'crc32c', imm: 0 }], single: true, blob: 'b', offset: 0, length: null } });
  near(policy.score(state(t.browser, { measuredLatencyMs: 10 }), big), 0.010);
  near(policy.score(state(t.browser, { measuredLatencyMs: 10, measuredThroughputBps: 10_000_000 }), big), 0.110);
  near(policy.score(state(t.browser, { measuredLatencyMs: 10, measuredThroughputBps: 10_000_000 }), unknownSize), 0.010);
});

test('value of time trades money for speed', () => {
  const t = originalTable();
  const cheap = costLatencyPolicy({ valueOfTimeUsdPerS: 0 });
  const hurried = costLatencyPolicy({ valueOfTimeUsdPerS: 10 });
  assert.ok(cheap.score(state(t.browser), job()) < cheap.score(state(t.lambda), job()));
  assert.ok(hurried.score(state(t.lambda), job()) < hurried.score(state(t.browser), job()));
});

test('policyByName knows both policies and refuses anything else clearly', () => {
  assert.equal(policyByName('classic').name, 'classic');
  assert.equal(policyByName('cost-latency', { valueOfTimeUsdPerS: 0.5 }).name, 'cost-latency');
  assert.throws(() => policyByName('cheapest'), (err: unknown) =>
    err instanceof PacketFSError && err.code === 'INVALID_REQUEST' && err.path === 'policy' && /cheapest/.test(err.message) && /cost-latency, classic/.test(err.message));
  assert.throws(() => costLatencyPolicy({ valueOfTimeUsdPerS: -1 }), (err: unknown) => err instanceof PacketFSError && err.path === 'valueOfTimeUsdPerS');
});
