import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classicPolicy } from '../../src/scheduler/policies/index.js';
import { SubstrateRegistry } from '../../src/scheduler/registry.js';
import { caps, FakeSubstrate, job } from './fake-substrate.js';

/** Waits (bounded by attempts, not by a time budget) until `done` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(done(), 'condition never became true');
}

test('probes run in the background on every interval, not per job', async () => {
  const registry = new SubstrateRegistry({ policy: classicPolicy, probeIntervalMs: 20 });
  const a = new FakeSubstrate('a', 'local', caps());
  registry.add(a);
  registry.place([job(), job(), job()]);
  registry.rank(job());
  assert.equal(a.probeCalls, 0, 'placing jobs never probes');
  registry.start();
  try {
    await until(() => a.probeCalls >= 3);
    const late = new FakeSubstrate('late', 'local', caps());
    registry.add(late);
    await until(() => late.probeCalls >= 1);
    assert.ok(registry.views()[0]!.last_probe_at !== null);
  } finally {
    registry.close();
  }
  const after = a.probeCalls;
  await new Promise((r) => setTimeout(r, 60));
  assert.ok(a.probeCalls <= after + 1, 'no new rounds after close (one may have been running)');
});

test('an unhealthy or failing probe takes a substrate out of placement; a healthy one brings it back', async () => {
  const registry = new SubstrateRegistry({ policy: classicPolicy });
  const a = new FakeSubstrate('a', 'local', caps({ latency_ms: 1 }));
  const b = new FakeSubstrate('b', 'local', caps({ latency_ms: 2 }));
  registry.add(a);
  registry.add(b);

  a.probeAnswer = { healthy: false, detail: 'worker pool crashed' };
  await registry.probeAll();
  assert.deepEqual(registry.rank(job()).map((r) => r.substrate.name), ['b']);
  assert.equal(registry.views()[0]!.healthy, false);
  assert.equal(registry.views()[0]!.last_error, 'worker pool crashed');
  assert.equal(registry.place([job()]).unplaced.length, 0);
  assert.equal(registry.canEverRun(job({ substrates: ['a'] })), true, 'down is busy, not impossible');

  a.probeAnswer = new Error('connection refused');
  await registry.probeAll();
  assert.equal(registry.views()[0]!.last_error, 'probe failed: connection refused');

  a.probeAnswer = { healthy: true, latency_ms: 7 };
  await registry.probeAll();
  assert.deepEqual(registry.rank(job()).map((r) => r.substrate.name), ['a', 'b']);
});

test('a probe that never answers times out as unhealthy', async () => {
  const registry = new SubstrateRegistry({ policy: classicPolicy, probeTimeoutMs: 20 });
  const hung = new FakeSubstrate('hung', 'local', caps());
  hung.probe = () => new Promise(() => {});
  registry.add(hung);
  await registry.probeAll();
  assert.equal(registry.views()[0]!.healthy, false);
  assert.match(registry.views()[0]!.last_error!, /no answer within 20 ms/);
});

test('close() ends the wait for a hung probe instead of holding the process open', async () => {
  const registry = new SubstrateRegistry({ policy: classicPolicy });
  const hung = new FakeSubstrate('hung', 'local', caps());
  hung.probe = () => new Promise(() => {});
  registry.add(hung);
  const round = registry.probeAll();
  registry.close();
  await round;
  assert.equal(registry.views()[0]!.last_error, 'probe failed: registry closed');
});

test('probe round trips stand in for latency until jobs are measured', async () => {
  const registry = new SubstrateRegistry({ policy: classicPolicy, latencyAlpha: 1 });
  const a = new FakeSubstrate('a', 'local', caps());
  registry.add(a);
  a.probeAnswer = { healthy: true, latency_ms: 12 };
  await registry.probeAll();
  assert.equal(registry.views()[0]!.measured_latency_ms, 12);
  registry.recordOutcome('a', { jobs: 1, failures: 0, latencyMs: 80, bytes: 0, execMs: 1 });
  a.probeAnswer = { healthy: true, latency_ms: 3 };
  await registry.probeAll();
  assert.equal(registry.views()[0]!.measured_latency_ms, 80);
});

test('a probe closes a half-open breaker; a failed one keeps it open', async () => {
  const clock = { t: 0 };
  const registry = new SubstrateRegistry({ policy: classicPolicy, now: () => clock.t, breaker: { failureThreshold: 1, cooldownMs: 500 } });
  const a = new FakeSubstrate('a', 'local', caps());
  registry.add(a);
  registry.recordOutcome('a', { jobs: 1, failures: 1, latencyMs: 1, bytes: 0, execMs: 0 });
  await registry.probeAll();
  assert.equal(registry.views()[0]!.circuit, 'open', 'a probe does not cut the cooldown short');
  clock.t += 500;
  a.probeAnswer = { healthy: false };
  await registry.probeAll();
  assert.equal(registry.views()[0]!.circuit, 'open');
  clock.t += 500;
  a.probeAnswer = { healthy: true };
  await registry.probeAll();
  assert.equal(registry.views()[0]!.circuit, 'closed');
  assert.deepEqual(registry.rank(job()).map((r) => r.substrate.name), ['a']);
});
