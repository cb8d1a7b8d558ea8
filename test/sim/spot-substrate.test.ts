import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/sim/random.js';
import { SPOT_MODEL } from '../../src/sim/scenario.js';
import type { JobFacts } from '../../src/sim/sim-job.js';
import { SimSpotSubstrate } from '../../src/sim/spot-substrate.js';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import type { ExecRequest } from '../../src/substrates/substrate.js';

const HOUR = 3_600_000;

/** 3 jobs of 11 s of work (10 s on an instance at speed 1.1), no interruptions within the test */
function setup() {
  const clock = new VirtualClock(0);
  const model = { ...SPOT_MODEL, failureRate: 0, spot: { ...SPOT_MODEL.spot!, instances: 4, meanLifetimeMs: 1e6 * HOUR } };
  const facts = new Map<string, JobFacts>();
  const reqs: ExecRequest[] = [];
  for (let i = 0; i < 3; i++) {
    facts.set(`j${i}`, { index: i, klass: 0, arrivalMs: 0, deadlineMs: 600_000, workS: 11, bytes: 0, memoryMb: 256, private: true });
    reqs.push({ job_id: `j${i}`, deadline: 600_000 } as ExecRequest);
  }
  return { clock, model, spot: new SimSpotSubstrate(model, clock, new Rng(1), facts), reqs };
}

it('spot: offers the whole fleet, launches for the jobs handed over, runs them after the boot, bills instance time', async () => {
  const { clock, model, spot, reqs } = setup();
  // like the real substrate: the fleet's slots are offered with no instance up
  assert.equal(spot.capabilities().available_slots, 8);
  const done = spot.execute(reqs);
  assert.equal(spot.capabilities().available_slots, 5);
  let outcomes: Awaited<typeof done> | undefined;
  void done.then((o) => { outcomes = o; });
  await clock.run(() => outcomes !== undefined);
  assert.ok(outcomes!.every((o) => o.ok));
  // 2 instances (3 jobs, 2 slots each) joined after the 90 s boot, ran 10 s, answered a round trip later
  assert.ok(clock.now() >= 100_000 && clock.now() < 101_000, `answered at ${clock.now()}`);
  // idle for 300 s (checked every 5 s), then terminated: each billed from launch to termination (90 s boot, 10 s run, 300-305 s idle)
  await clock.run(() => false, 500_000);
  const up = spot.meter.costUsd / (model.costPerHourUsd / 3600) / 2;
  assert.ok(up >= 400 && up <= 406, `each instance billed ${up} s`);
  // the jobs' own shares are their runs at the slot price; the rest is boot and idle time
  const shares = 3 * 10 * (model.costPerHourUsd / 2 / 3600);
  assert.ok(Math.abs(spot.meter.costUsd - spot.meter.overheadUsd - shares) < 1e-9);
});

it('spot: an instance runs only inside the intervals the oracle counts as capacity', () => {
  const { spot } = setup();
  const intervals: Array<[number, number]> = [];
  spot.forEachUpInterval(10 * HOUR, (from, to) => intervals.push([from, to]));
  // with interruptions far apart, each fleet position is up from 0 to past the horizon
  assert.equal(intervals.length, 4);
  assert.ok(intervals.every(([from, to]) => from === 0 && to === 10 * HOUR));
});
