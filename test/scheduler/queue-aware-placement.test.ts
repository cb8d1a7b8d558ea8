import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queueAwarePolicy } from '../../src/scheduler/policies/index.js';
import { SubstrateRegistry } from '../../src/scheduler/registry.js';
import { caps, FakeSubstrate, job } from './fake-substrate.js';

// The default policy's slack-based holding and short internal queues (docs/scheduling.md).
// Time is a fixed `now`; jobs are created at 0, so a job's time left is timeout_s × 1000 − now.
const NOW = 1_000;
const at = (ms: number) => new Date(ms).toISOString();

/** a cheap paid substrate with `free` of its `slots` slots free, and an expensive one with room */
function world(free: number, slots = 4) {
  const cheap = new FakeSubstrate('fly', 'fly', caps({
    max_concurrent_jobs: slots, available_slots: free, pricing: { model: 'per_hour', usd_per_hour: 0.01 }, latency_ms: 50,
  }));
  const dear = new FakeSubstrate('lambda', 'lambda', caps({
    max_concurrent_jobs: 1000, available_slots: 1000, pricing: { model: 'per_hour', usd_per_hour: 1 }, latency_ms: 50,
  }));
  const registry = new SubstrateRegistry({ policy: queueAwarePolicy(), now: () => NOW });
  registry.add(cheap);
  registry.add(dear);
  return { registry, cheap, dear };
}

const jobs = (n: number, over: Parameters<typeof job>[0] = {}) =>
  Array.from({ length: n }, (_, i) => job({ job_id: `j${i}`, required_duration_s: 10, created_at: at(0), ...over }));

test('a job with slack waits for the full cheaper substrate instead of paying for the dearer one', () => {
  const { registry } = world(0);
  const placed = registry.place(jobs(1));
  assert.equal(placed.groups.size, 0);
  assert.equal(placed.unplaced.length, 1);
  assert.equal(placed.unplaced[0]!.reason, 'busy');
  assert.match(placed.unplaced[0]!.detail, /waiting for fly/);
});

test('when its slack runs out the job pays for the substrate that still finishes it in time', () => {
  const { registry, dear } = world(0);
  // 15 s left: the full cheap one (a quarter of a run to wait, then 10 s) would finish too close to the deadline, the dear one has a slot now
  const placed = registry.place(jobs(1, { timeout_s: 16 }));
  assert.deepEqual([...placed.groups.keys()], [dear]);
});

test('jobs hold only while the cheaper queue can reach them before their deadline', () => {
  // 4 slots, 10 s runs: 2.5 s of queue per job ahead; with 300 s left about 120 fit, the rest pay
  const { registry, dear } = world(0);
  const placed = registry.place(jobs(200));
  const paid = placed.groups.get(dear)?.length ?? 0;
  assert.ok(placed.unplaced.length >= 80 && placed.unplaced.length <= 130, `held ${placed.unplaced.length}`);
  assert.equal(paid + placed.unplaced.length, 200);
  // the earliest jobs in the call hold, the later ones (deeper in the queue) go to the dear substrate
  assert.equal(placed.unplaced[0]!.index, 0);
});

test('free slots on the cheaper substrate are used at once', () => {
  const { registry, cheap } = world(3);
  const placed = registry.place(jobs(3));
  assert.deepEqual(placed.groups.get(cheap), [0, 1, 2]);
});

test('a substrate that queues internally gets a short queue; the rest wait in the dispatcher', () => {
  const local = new FakeSubstrate('local', 'local', caps({ max_concurrent_jobs: 2048, available_slots: 2048, parallelism: 2, latency_ms: 0.1 }));
  const registry = new SubstrateRegistry({ policy: queueAwarePolicy(), now: () => NOW });
  registry.add(local);
  // unmeasured: one job per lane, so the first batch answers soon and measures the pool
  let placed = registry.place(jobs(10));
  assert.deepEqual(placed.groups.get(local), [0, 1]);
  assert.equal(placed.unplaced.length, 8);
  registry.recordDispatch('local', 2, 20_000);
  registry.recordOutcome('local', { jobs: 2, failures: 0, latencyMs: 10_000, bytes: 128, execMs: 20_000, okExecMs: 20_000, okDeclaredMs: 20_000, declaredMs: 20_000 });
  // measured (10 s a job, 2 lanes): it takes about 4 runs' worth of queue (40 s), not the hour of the deadline
  placed = registry.place(jobs(100, { timeout_s: 3600 }), undefined, undefined, { requeue: true });
  const taken = placed.groups.get(local)?.length ?? 0;
  assert.ok(taken >= 6 && taken <= 10, `took ${taken}`);
  assert.equal(taken + placed.unplaced.length, 100);
});

test('a new job queues behind held jobs of its kind instead of taking the slot they wait for', () => {
  const { registry, cheap } = world(0);
  // one job held for the full cheap substrate
  assert.equal(registry.place(jobs(1)).unplaced.length, 1);
  // a slot frees; a new job of the same kind arrives before the held one is placed again: it waits behind it
  cheap.caps = { ...cheap.caps, available_slots: 1 };
  const late = registry.place([job({ job_id: 'new', required_duration_s: 10, created_at: at(0) })]);
  assert.equal(late.groups.size, 0);
  assert.match(late.unplaced[0]!.detail, /waiting for fly/);
  // the held queue, placed again in its order, gets the slot first
  const again = registry.place([...jobs(1), job({ job_id: 'new', required_duration_s: 10, created_at: at(0) })], undefined, undefined, { requeue: true, allHeld: true });
  assert.deepEqual(again.groups.get(cheap), [0]);
});

test('jobs held for several cheaper substrates count as one queue drained by all of them', () => {
  // two full cheap substrates of 4 slots, 10 s runs: together about 0.8 jobs/s, so about 240 of the jobs fit
  // in 300 s; counting each one's own queue against its share of the rate would hold about twice that
  const mk = (name: string, usd: number) => new FakeSubstrate(name, name, caps({
    max_concurrent_jobs: 4, available_slots: 0, pricing: { model: 'per_hour', usd_per_hour: usd }, latency_ms: 50,
  }));
  const dear = new FakeSubstrate('lambda', 'lambda', caps({ max_concurrent_jobs: 1000, available_slots: 1000, pricing: { model: 'per_hour', usd_per_hour: 1 }, latency_ms: 50 }));
  const registry = new SubstrateRegistry({ policy: queueAwarePolicy(), now: () => NOW });
  for (const s of [mk('fly', 0.01), mk('fly2', 0.02), dear]) registry.add(s);
  const placed = registry.place(jobs(600));
  const held = placed.unplaced.length;
  assert.ok(held >= 180 && held <= 300, `held ${held}`);
  assert.equal((placed.groups.get(dear)?.length ?? 0) + held, 600);
});

/** a full cheap substrate, an idle spot fleet (instance-billed: a launch costs its boot and idle time) and a per-run cloud */
function spotWorld() {
  const cheap = new FakeSubstrate('fly', 'fly', caps({ max_concurrent_jobs: 4, available_slots: 0, pricing: { model: 'per_hour', usd_per_hour: 0.01 }, latency_ms: 50 }));
  const spot = new FakeSubstrate('spot', 'spot', caps({
    max_concurrent_jobs: 32, available_slots: 32, cost_per_hour_usd: 0.035, pricing: { model: 'per_hour', usd_per_hour: 0.0175 }, latency_ms: 50,
  }));
  // $1/h per job: 10 s cost $0.0028, less than a spot launch (0.035 $/h × 390 s ≈ $0.0038), far more than a run on spot
  const cloud = new FakeSubstrate('lambda', 'lambda', caps({ max_concurrent_jobs: 1000, available_slots: 1000, pricing: { model: 'per_hour', usd_per_hour: 1 }, latency_ms: 50 }));
  const registry = new SubstrateRegistry({ policy: queueAwarePolicy(), now: () => NOW });
  for (const s of [cheap, spot, cloud]) registry.add(s);
  return { registry, spot, cloud };
}

test('a lone job does not start a spot instance whose boot and idle time cost more than a run elsewhere', () => {
  const { registry, cloud } = spotWorld();
  // 16 s left: it cannot wait for the cheap one
  const placed = registry.place(jobs(1, { timeout_s: 16 }));
  assert.deepEqual([...placed.groups.keys()], [cloud]);
});

test('jobs overflowing the cheaper substrates share a spot launch', () => {
  const { registry, spot, cloud } = spotWorld();
  // the cheap substrate can reach about 115 of them in time; the rest must go elsewhere: the first pays
  // per run (one job would carry the whole launch), then enough have overflowed to share the launch
  const placed = registry.place(jobs(400));
  const onCloud = placed.groups.get(cloud)?.length ?? 0;
  const onSpot = placed.groups.get(spot)?.length ?? 0;
  assert.ok(onCloud >= 1 && onCloud <= 2, `per-run cloud: ${onCloud}`);
  assert.equal(onSpot, 32);
});

test('a retry barred from the cheap substrate it failed on waits for the local queue rather than pay a per-run cloud', () => {
  const local = new FakeSubstrate('local', 'local', caps({ max_concurrent_jobs: 2048, available_slots: 2048, parallelism: 2, latency_ms: 0.1 }));
  const { registry, cheap, dear } = world(4);
  registry.add(local);
  // the local pool measured at 10 s a job, with 2 jobs running: its short queue (4 runs) fills after a few more
  registry.recordDispatch('local', 2, 20_000);
  registry.recordOutcome('local', { jobs: 2, failures: 0, latencyMs: 10_000, bytes: 128, execMs: 20_000, okExecMs: 20_000, okDeclaredMs: 20_000, declaredMs: 20_000 });
  registry.recordDispatch('local', 2, 20_000);
  const first = registry.place(jobs(12), undefined, undefined, { requeue: true });
  const onLocal = first.groups.get(local)?.length ?? 0;
  assert.ok(onLocal >= 4 && onLocal < 12, `local took ${onLocal}`);
  registry.recordDispatch('local', onLocal, onLocal * 10_000);
  // a first attempt past that queue takes the free slot of the cheap substrate
  const fresh = registry.place([job({ job_id: 'fresh', required_duration_s: 10, created_at: at(0) })], undefined, undefined, { requeue: true });
  assert.deepEqual([...fresh.groups.keys()], [cheap]);
  // a retry that failed there waits for the local queue (it still makes the deadline) instead of going to the dear one
  const retry = registry.place([job({ job_id: 'retry', required_duration_s: 10, created_at: at(0) })], () => new Set(['fly']), undefined, { requeue: true });
  assert.equal(retry.groups.get(dear), undefined);
  assert.match(retry.unplaced[0]?.detail ?? '', /waiting for local/);
});

test('a job that would wait for a full cheaper substrate takes an idle, already paid spot slot instead', () => {
  const { registry, spot } = spotWorld();
  // a fleet scaled for 8 jobs moments ago (instances stay up until idle for 300 s), 2 still running there
  registry.recordDispatch('spot', 8, 80_000);
  registry.recordOutcome('spot', { jobs: 6, failures: 0, latencyMs: 10_000, bytes: 0, execMs: 60_000, okExecMs: 60_000, okDeclaredMs: 60_000, declaredMs: 60_000 });
  // with plenty of time left, each job would otherwise wait for the cheap substrate: 6 take the idle paid slots, the rest wait
  const placed = registry.place(jobs(10));
  assert.equal(placed.groups.get(spot)?.length, 6);
  assert.equal(placed.unplaced.length, 4);
  assert.match(placed.unplaced[0]!.detail, /waiting for fly/);
  // once nothing runs there, the fleet may be winding down: no slot counts as paid for
  registry.recordOutcome('spot', { jobs: 2, failures: 0, latencyMs: 10_000, bytes: 0, execMs: 20_000, okExecMs: 20_000, okDeclaredMs: 20_000, declaredMs: 20_000 });
  assert.equal(registry.place(jobs(1)).groups.size, 0);
});
