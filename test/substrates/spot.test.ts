import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpotSubstrate } from '../../src/substrates/spot/spot-substrate.js';
import { startSpotVolunteer } from '../../src/runtimes/node-volunteer/spot-volunteer.js';
import type { Volunteer } from '../../src/runtimes/node-volunteer/volunteer-client.js';
import { checkSubstrates } from '../../src/config/index.js';
import { silentLogger } from '../../src/logger.js';
import { startEc2Api } from '../fixtures/ec2-api.js';
import { startImds, type ImdsFixture } from '../fixtures/imds.js';
import { freePort } from '../fixtures/loopback-server.js';
import { startHoldServer } from '../browser/hold-server.js';
import { serveDispatcher } from '../server/harness.js';
import { assertPacketFSError } from '../job/assert-packetfs-error.js';
import type { ServerOptions } from '../../src/server/server.js';

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One "instance": what its user data starts, run in this process, with its own instance metadata. */
interface FakeInstance { volunteer: Volunteer; imds: ImdsFixture }

test('spot: launches instances that join as workers, drains one on its interruption notice without losing a job, terminates idle ones', { timeout: 60_000 }, async () => {
  const instances = new Map<string, FakeInstance>();
  const cleanupFailures: unknown[] = [];
  const ec2 = await startEc2Api({
    async onLaunch(id, userData) {
      // what the instance's boot script would run: `packetfs worker --coordinator … --slots N --spot` with the join token in the env
      const token = /PACKETFS_NODE_TOKEN='([^']+)'/.exec(userData)?.[1];
      const command = /worker --coordinator '([^']+)' --slots (\d+) --spot/.exec(userData);
      assert.ok(token !== undefined && command !== null, `user data starts a spot worker: ${userData}`);
      const imds = await startImds();
      const volunteer = startSpotVolunteer({
        coordinator: command[1]!, token, slots: Number(command[2]), logger: silentLogger, allowPrivate: true,
        imdsUrl: imds.url, imdsIntervalMs: 25, drainMarginMs: 14_700,
      });
      instances.set(id, { volunteer, imds });
    },
    async onTerminate(id) {
      const instance = instances.get(id);
      await instance?.volunteer.stop(0);
      await instance?.imds.close();
    },
  });
  const port = await freePort();
  const spot = new SpotSubstrate({
    name: 'spot', region: 'us-east-1', endpoint: ec2.url, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    imageId: 'ami-0123456789abcdef0', instanceType: 't3.small', coordinatorUrl: `ws://127.0.0.1:${port}`,
    maxInstances: 2, slotsPerInstance: 2, idleTerminateMs: 300, checkIntervalMs: 50,
  });
  const hold = await startHoldServer(Buffer.from('spot instances at work'));
  const served = await serveDispatcher({ server: { port } as ServerOptions, dispatcher: { threads: 1, substrates: [spot] } });
  try {
    // the price: DescribeSpotPriceHistory's dearest zone, shared by the instance's slots
    const view = (await served.dispatcher.listSubstrates()).find((s) => s.name === 'spot')!;
    assert.deepEqual(view.capabilities.pricing, { model: 'per_hour', usd_per_hour: 0.0035 / 2 });
    assert.equal(view.capabilities.trust, 'trusted');

    const jobs = Array.from({ length: 6 }, (_, i) => ({ job_id: `s-${i}`, substrates: ['spot'], program: { op: 'counteq', imm: 32, data_url: hold.url } }));
    await served.dispatcher.submitJobs(jobs);
    // two instances (the fleet's maximum) boot, join and take jobs, which hang on the held data
    await until(() => hold.requests >= 4, 'four jobs running on two instances');
    const launch = ec2.calls.find((c) => c.action === 'RunInstances')!.params;
    assert.equal(launch.get('InstanceMarketOptions.SpotOptions.SpotInstanceType'), 'one-time');
    assert.equal(launch.get('MetadataOptions.HttpTokens'), 'required');
    assert.equal(launch.get('ImageId'), 'ami-0123456789abcdef0');

    // the two-minute warning reaches one instance (15 s here; it keeps 14.7 s of margin, so it hands its jobs back at once)
    const [interruptedId, interrupted] = [...instances.entries()][0]!;
    interrupted.imds.interrupt(15_000);
    // its worker leaves; the substrate terminates the instance and launches a replacement for the waiting jobs
    await until(() => ec2.instances.get(interruptedId) === 'terminated', 'the interrupted instance to be terminated');
    await until(() => ec2.calls.filter((c) => c.action === 'RunInstances').length >= 3, 'a replacement instance');
    hold.release();
    const records = await Promise.all(jobs.map((j) => served.dispatcher.getResult(j.job_id, { wait: 30 })));
    for (const r of records) {
      assert.equal(r?.status, 'succeeded', JSON.stringify(r?.error));
      assert.equal(r.substrate, 'spot');
      assert.deepEqual(r.result, { count: 3, bytes: 22 });
      assert.ok(r.cost_usd > 0, 'spot time is billed');
    }
    assert.ok(records.some((r) => r!.attempt_errors?.some((e) => e.code === 'SUBSTRATE_FAILED')), 'the interrupted instance handed jobs back');

    // with nothing left to do, every instance is terminated after the idle spell
    await until(() => [...ec2.instances.values()].every((s) => s === 'terminated'), 'idle instances to be terminated');
    assert.deepEqual(spot.instanceIds, []);
    const spent = await served.dispatcher.getCosts();
    assert.ok((spent.spent_usd.by_substrate.spot ?? 0) > 0);
  } finally {
    // every step runs even when one fails: an instance left running keeps reconnecting and holds the process to the file's timeout
    const steps = [
      () => served.close(), () => hold.close(), () => ec2.close(),
      () => Promise.all([...instances.values()].map((i) => i.volunteer.stop(0).catch(() => undefined))),
      () => Promise.all([...instances.values()].map((i) => i.imds.close())),
    ];
    for (const step of steps) await step().catch((err: unknown) => { cleanupFailures.push(err); });
  }
  assert.deepEqual(cleanupFailures, [], 'every clean-up step succeeded');
});

test('spot: a failed launch is reported by the probe; config entries are checked with the field path', async () => {
  const ec2 = await startEc2Api({ onLaunch() {}, onTerminate() {} });
  ec2.failNextLaunch = 'InsufficientInstanceCapacity';
  const spot = new SpotSubstrate({
    name: 'spot', region: 'us-east-1', endpoint: ec2.url, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    imageId: 'ami-1', instanceType: 't3.small', coordinatorUrl: 'ws://127.0.0.1:9', maxInstances: 1,
  });
  const served = await serveDispatcher({ dispatcher: { threads: 1, substrates: [spot] } });
  try {
    await served.dispatcher.submitJob({ job_id: 'x', substrates: ['spot'], timeout_s: 1, max_attempts: 1, program: { op: 'counteq', imm: 1, data: 'AQ==' } });
    await until(async () => !(await spot.probe()).healthy, 'the probe to report the EC2 error');
    assert.match((await spot.probe()).detail ?? '', /InsufficientInstanceCapacity|no Spot capacity/);
  } finally {
    await served.close();
    await ec2.close();
  }
  const entry = { type: 'spot', name: 'spot-eu', region: 'eu-west-1', image_id: 'ami-1', instance_type: 't3.small', max_instances: 4 };
  assert.equal(checkSubstrates([entry]).length, 1);
  assertPacketFSError(() => checkSubstrates([{ ...entry, coordinator_url: 'http://x' }]), { code: 'INVALID_REQUEST', path: 'substrates[0].coordinator_url' }, 'coordinator_url');
  assertPacketFSError(() => checkSubstrates([{ ...entry, max_instances: 0 }]), { code: 'INVALID_REQUEST', path: 'substrates[0].max_instances' }, 'max_instances');
  assertPacketFSError(() => checkSubstrates([{ ...entry, pricing: {} }]), { code: 'INVALID_REQUEST', path: 'substrates[0].pricing' }, 'pricing');
});
