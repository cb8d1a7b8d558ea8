import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ewma, LatencyTracker } from '../../src/scheduler/latency-tracker.js';
import { PacketFSError } from '../../src/errors.js';

test('Ewma: first sample sets the value, later ones move it by alpha', () => {
  const e = new Ewma(0.5);
  assert.equal(e.value, null);
  e.add(100);
  assert.equal(e.value, 100);
  e.add(200);
  assert.equal(e.value, 150);
  e.add(50);
  assert.equal(e.value, 100);
});

test('batches feed round trip, exec time per job and throughput', () => {
  const t = new LatencyTracker({ alpha: 0.5 });
  assert.equal(t.latencyMs, null);
  assert.equal(t.throughputBps, null);
  assert.equal(t.avgExecMs, null);
  t.recordBatch({ jobs: 4, latencyMs: 40, bytes: 4000, execMs: 8 });
  assert.equal(t.latencyMs, 40);
  assert.equal(t.avgExecMs, 2);
  assert.equal(t.throughputBps, 4000 / 0.008);
  t.recordBatch({ jobs: 2, latencyMs: 60, bytes: 2000, execMs: 8 });
  assert.equal(t.latencyMs, 50);
  assert.equal(t.avgExecMs, 3);
  assert.equal(t.throughputBps, (4000 / 0.008 + 2000 / 0.008) / 2);
});

test('probe round trips stand in only until a batch is measured', () => {
  const t = new LatencyTracker({ alpha: 0.5 });
  t.recordProbe(10);
  assert.equal(t.latencyMs, 10);
  t.recordProbe(20);
  assert.equal(t.latencyMs, 15);
  t.recordBatch({ jobs: 1, latencyMs: 300, bytes: 0, execMs: 1 });
  assert.equal(t.latencyMs, 300);
  t.recordProbe(1);
  assert.equal(t.latencyMs, 300);
});

test('nonsense samples are ignored', () => {
  const t = new LatencyTracker({ alpha: 0.5 });
  t.recordBatch({ jobs: 1, latencyMs: 10, bytes: 100, execMs: 1 });
  t.recordBatch({ jobs: 1, latencyMs: NaN, bytes: NaN, execMs: NaN });
  t.recordBatch({ jobs: 1, latencyMs: -5, bytes: -1, execMs: -1 });
  t.recordBatch({ jobs: 1, latencyMs: Infinity, bytes: 100, execMs: Infinity });
  t.recordBatch({ jobs: 0, latencyMs: 1000, bytes: 100, execMs: 1000 });
  t.recordBatch({ jobs: 1.5, latencyMs: 1000, bytes: 100, execMs: 1000 });
  t.recordProbe(-1);
  t.recordProbe(NaN);
  assert.equal(t.latencyMs, 10);
  assert.equal(t.avgExecMs, 1);
  assert.equal(t.throughputBps, 100_000);
});

test('zero exec time or zero bytes says nothing about throughput', () => {
  const t = new LatencyTracker();
  t.recordBatch({ jobs: 3, latencyMs: 1, bytes: 300, execMs: 0 });
  t.recordBatch({ jobs: 3, latencyMs: 1, bytes: 0, execMs: 3 });
  assert.equal(t.throughputBps, null);
  assert.equal(t.avgExecMs, 0 * 0.8 + 1 * 0.2);
});

test('alpha outside (0, 1] is a configuration error', () => {
  for (const alpha of [0, -0.1, 1.5, NaN]) {
    assert.throws(() => new LatencyTracker({ alpha }), (err: unknown) => err instanceof PacketFSError && err.code === 'INVALID_REQUEST' && err.path === 'latencyAlpha');
  }
  assert.doesNotThrow(() => new LatencyTracker({ alpha: 1 }));
});
