import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketFSError } from '../../src/errors.js';
import { classicPolicy, costLatencyPolicy } from '../../src/scheduler/policies/index.js';
import { SubstrateRegistry } from '../../src/scheduler/registry.js';
import { caps, FakeSubstrate, job } from './fake-substrate.js';

/** Three substrates whose classic scores order them a < b < c. */
function threeOf(slots: { a?: number; b?: number; c?: number } = {}) {
  const a = new FakeSubstrate('a', 'local', caps({ latency_ms: 1, available_slots: slots.a ?? 10 }));
  const b = new FakeSubstrate('b', 'lambda', caps({ latency_ms: 2, available_slots: slots.b ?? 10 }));
  const c = new FakeSubstrate('c', 'lambda', caps({ latency_ms: 3, available_slots: slots.c ?? 10, max_memory_mb: 4096 }));
  const registry = new SubstrateRegistry({ policy: classicPolicy });
  registry.add(a);
  registry.add(b);
  registry.add(c);
  return { registry, a, b, c };
}

const names = (groups: Map<{ name: string }, number[]>) => Object.fromEntries(Array.from(groups, ([s, idx]) => [s.name, idx]));

test('add, get, all, remove; names are unique', () => {
  const { registry, a } = threeOf();
  assert.equal(registry.get('a'), a);
  assert.deepEqual(registry.all().map((s) => s.name), ['a', 'b', 'c']);
  assert.throws(() => registry.add(new FakeSubstrate('a', 'fly', caps())), (err: unknown) =>
    err instanceof PacketFSError && err.code === 'CONFLICT' && /"a"/.test(err.message));
  assert.equal(registry.remove('a'), true);
  assert.equal(registry.remove('a'), false);
  assert.equal(registry.get('a'), undefined);
  assert.deepEqual(registry.all().map((s) => s.name), ['b', 'c']);
});

test('rank lists eligible substrates, lowest score first', () => {
  const { registry, b } = threeOf();
  assert.deepEqual(registry.rank(job()).map((r) => r.substrate.name), ['a', 'b', 'c']);
  b.caps = { ...b.caps, available_slots: 0 };
  assert.deepEqual(registry.rank(job()).map((r) => r.substrate.name), ['a', 'c']);
  assert.deepEqual(registry.rank(job({ required_memory_mb: 2048 })).map((r) => r.substrate.name), ['c']);
});

test('rank avoids excluded substrates, but falls back to them when nothing else is eligible', () => {
  const { registry } = threeOf();
  assert.deepEqual(registry.rank(job(), new Set(['a'])).map((r) => r.substrate.name), ['b', 'c']);
  assert.deepEqual(registry.rank(job(), new Set(['a', 'b', 'c'])).map((r) => r.substrate.name), ['a', 'b', 'c']);
  assert.deepEqual(registry.rank(job({ required_memory_mb: 2048 }), new Set(['c'])).map((r) => r.substrate.name), ['c']);
});

test('place fills the best substrate, then spills over, counting slots taken within the call', () => {
  const { registry } = threeOf({ a: 2, b: 3, c: 1 });
  const jobs = Array.from({ length: 8 }, (_, i) => job({ job_id: `j${i}` }));
  const { groups, unplaced } = registry.place(jobs);
  assert.deepEqual(names(groups), { a: [0, 1], b: [2, 3, 4], c: [5] });
  assert.deepEqual(unplaced.map((u) => [u.index, u.reason]), [[6, 'busy'], [7, 'busy']]);
});

test('place keeps each job on a substrate that meets its constraints', () => {
  const { registry } = threeOf();
  const jobs = [job(), job({ required_memory_mb: 2048 }), job({ substrates: ['b'] }), job({ substrates: ['lambda'] })];
  assert.deepEqual(names(registry.place(jobs).groups), { a: [0], c: [1], b: [2, 3] });
});

test('pinning by name and by type', () => {
  const { registry } = threeOf();
  assert.deepEqual(registry.rank(job({ substrates: ['c'] })).map((r) => r.substrate.name), ['c']);
  assert.deepEqual(registry.rank(job({ substrates: ['lambda'] })).map((r) => r.substrate.name), ['b', 'c']);
  assert.deepEqual(registry.rank(job({ substrates: ['local', 'c'] })).map((r) => r.substrate.name), ['a', 'c']);
});

test('place: failover exclusion per job, with fallback when only the excluded one fits', () => {
  const { registry } = threeOf();
  const jobs = [job(), job(), job({ required_memory_mb: 2048 })];
  const exclude = (_j: unknown, i: number) => (i === 1 ? new Set(['a']) : i === 2 ? new Set(['c']) : undefined);
  assert.deepEqual(names(registry.place(jobs, exclude).groups), { a: [0], b: [1], c: [2] });
});

test('place: an excluded substrate is not used while another eligible one is merely full', () => {
  const { registry } = threeOf({ a: 5, b: 1, c: 0 });
  const { groups, unplaced } = registry.place([job(), job()], () => new Set(['a']));
  assert.deepEqual(names(groups), { b: [0] });
  assert.deepEqual(unplaced.map((u) => [u.index, u.reason]), [[1, 'busy']]);
});

test('unplaceable vs busy: no_substrate only when no registered substrate could ever run the job', () => {
  const { registry, a } = threeOf({ a: 0, b: 0, c: 0 });
  const jobs = [job(), job({ required_memory_mb: 8192 }), job({ requires_gpu: true }), job({ substrates: ['nowhere'] })];
  const { groups, unplaced } = registry.place(jobs);
  assert.equal(groups.size, 0);
  assert.deepEqual(unplaced.map((u) => [u.index, u.reason]), [[0, 'busy'], [1, 'no_substrate'], [2, 'no_substrate'], [3, 'no_substrate']]);
  assert.match(unplaced[1]!.detail, /c: needs 8192 MB, offers 4096 MB/);
  assert.match(unplaced[0]!.detail, /no free slots/);
  assert.equal(registry.canEverRun(jobs[0]!), true);
  assert.equal(registry.canEverRun(jobs[1]!), false);
  assert.equal(registry.canEverRun(jobs[3]!), false);

  // Unhealthy or open substrates are "busy", not "never".
  a.caps = { ...a.caps, available_slots: 1 };
  registry.recordOutcome('a', { jobs: 5, failures: 5, latencyMs: 1, bytes: 0, execMs: 1 });
  assert.equal(registry.place([job()]).unplaced[0]?.reason, 'busy');
  assert.equal(registry.canEverRun(job()), true);
});

test('noSubstrateError names the field when every substrate refuses for the same one', () => {
  const { registry } = threeOf();
  const err = registry.noSubstrateError(job({ required_memory_mb: 8192 }));
  assert.equal(err.code, 'NO_SUBSTRATE');
  assert.equal(err.path, 'required_memory_mb');
  assert.match(err.message, /a: needs 8192 MB, offers 1024 MB/);
  const mixed = registry.noSubstrateError(job({ substrates: ['a'], required_memory_mb: 2048 }));
  assert.equal(mixed.path, undefined);
  assert.equal(new SubstrateRegistry({ policy: classicPolicy }).noSubstrateError(job()).message, 'no substrates are registered');
});

test('place reads capabilities once per substrate and scores each kind of job once', () => {
  let scored = 0;
  const counting = new SubstrateRegistry({ policy: { name: 'counting', score: (s, j) => { scored++; return classicPolicy.score(s, j); } } });
  const a = new FakeSubstrate('a', 'local', caps({ latency_ms: 1, available_slots: 1000 }));
  const b = new FakeSubstrate('b', 'local', caps({ latency_ms: 2, available_slots: 1000 }));
  const c = new FakeSubstrate('c', 'local', caps({ latency_ms: 3, available_slots: 1000, max_memory_mb: 4096 }));
  for (const s of [a, b, c]) counting.add(s);
  const tiny = Array.from({ length: 1500 }, (_, i) => job({ job_id: `t${i}` }));
  const big = job({ required_memory_mb: 2048 });
  const { groups, unplaced } = counting.place([...tiny, big]);
  assert.equal(unplaced.length, 0);
  assert.equal(groups.get(a)!.length, 1000);
  assert.equal(groups.get(b)!.length, 500);
  assert.deepEqual(groups.get(c), [1500]);
  assert.deepEqual([a.capabilityCalls, b.capabilityCalls, c.capabilityCalls], [1, 1, 1]);
  assert.equal(scored, 3 + 1, 'three substrates for the tiny kind, one eligible for the big kind');
});

test('recordDispatch and recordOutcome keep in_flight and feed measurements', () => {
  const { registry } = threeOf();
  registry.recordDispatch('a', 4);
  assert.equal(registry.views()[0]!.in_flight, 4);
  registry.recordOutcome('a', { jobs: 4, failures: 1, latencyMs: 25, bytes: 4096, execMs: 4, error: 'one job crashed' });
  const view = registry.views()[0]!;
  assert.equal(view.in_flight, 0);
  assert.equal(view.measured_latency_ms, 25);
  assert.equal(view.measured_throughput_bps, 4096 / 0.004);
  assert.equal(view.last_error, 'one job crashed');
  // outcomes for substrates that are gone are ignored
  registry.recordDispatch('gone', 1);
  registry.recordOutcome('gone', { jobs: 1, failures: 1, latencyMs: 1, bytes: 0, execMs: 0 });
});

test('a batch where every job failed is not measured and counts towards the breaker', () => {
  const clock = { t: 0 };
  const registry = new SubstrateRegistry({ policy: classicPolicy, now: () => clock.t, breaker: { failureThreshold: 3, cooldownMs: 1000 } });
  registry.add(new FakeSubstrate('a', 'local', caps({ latency_ms: 1 })));
  registry.add(new FakeSubstrate('b', 'local', caps({ latency_ms: 2 })));
  registry.recordOutcome('a', { jobs: 2, failures: 2, latencyMs: 1, bytes: 0, execMs: 0 });
  assert.equal(registry.views()[0]!.measured_latency_ms, null);
  assert.equal(registry.views()[0]!.circuit, 'closed');
  registry.recordOutcome('a', { jobs: 1, failures: 1, latencyMs: 1, bytes: 0, execMs: 0 });
  assert.equal(registry.views()[0]!.circuit, 'open');
  assert.deepEqual(registry.rank(job()).map((r) => r.substrate.name), ['b']);

  // half-open: one batch may go; once it is out, nothing more until its outcome
  clock.t += 1000;
  assert.equal(registry.views()[0]!.circuit, 'half_open');
  assert.deepEqual(registry.rank(job()).map((r) => r.substrate.name), ['a', 'b']);
  registry.recordDispatch('a', 1);
  assert.deepEqual(registry.rank(job()).map((r) => r.substrate.name), ['b']);
  registry.recordOutcome('a', { jobs: 1, failures: 0, latencyMs: 3, bytes: 0, execMs: 1 });
  assert.equal(registry.views()[0]!.circuit, 'closed');
  assert.deepEqual(registry.rank(job()).map((r) => r.substrate.name), ['a', 'b']);
});

test('views describe every substrate, scored for the reference job', () => {
  const { registry } = threeOf();
  const views = registry.views();
  assert.deepEqual(views.map((v) => v.name), ['a', 'b', 'c']);
  assert.deepEqual(views[1], {
    name: 'b', type: 'lambda', capabilities: caps({ latency_ms: 2, available_slots: 10 }), healthy: true, circuit: 'closed',
    in_flight: 0, measured_latency_ms: null, measured_throughput_bps: null, score: 2, last_probe_at: null, last_error: null,
  });
  const priced = new SubstrateRegistry({ policy: costLatencyPolicy({ valueOfTimeUsdPerS: 1 }) });
  priced.add(new FakeSubstrate('p', 'fly', caps({ latency_ms: 100, pricing: { model: 'per_hour', usd_per_hour: 3.6 } })));
  // 30 s of $3.60/h + 0.1 s × $1/s
  assert.ok(Math.abs(priced.views()[0]!.score! - (0.03 + 0.1)) < 1e-12);
});

test('bad registry options are configuration errors', () => {
  assert.throws(() => new SubstrateRegistry({ policy: classicPolicy, probeIntervalMs: 0 }), (err: unknown) => err instanceof PacketFSError && err.path === 'probeIntervalMs');
  assert.throws(() => new SubstrateRegistry({ policy: classicPolicy, breaker: { failureThreshold: 0 } }), /failureThreshold/);
  assert.throws(() => new SubstrateRegistry({ policy: classicPolicy, latencyAlpha: 2 }), (err: unknown) => err instanceof PacketFSError && err.path === 'latencyAlpha');
});
