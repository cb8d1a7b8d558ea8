import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { DashboardFrame } from '../../src/dashboard/snapshot.js';
import { redisKeys } from '../../src/store/redis/redis-keys.js';
import { eventually, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { call, NINE_DIGITS_B64, serveDispatcher, type Served } from '../server/harness.js';

/**
 * Two dispatchers on one real Redis: each publishes its snapshot into the
 * store, and either one's dashboard shows the deployment — both dispatchers
 * with their own health, totals summed — while a malformed entry in the
 * store is dropped, and a dispatcher that shuts down leaves the list.
 */
let redisServer: RedisServer;
let redis: Redis;
let a: Served;
let b: Served;

before(async () => {
  redisServer = await startRedis();
  redis = new Redis(redisServer.url);
  const opts = { dispatcher: { redisUrl: redisServer.url, dashboardIntervalMs: 150, threads: 1 } };
  [a, b] = await Promise.all([serveDispatcher(opts), serveDispatcher(opts)]);
});

after(async () => {
  await Promise.all([a?.close(), b?.close()]);
  redis?.disconnect();
  await redisServer?.stop();
});

const frameOf = async (served: Served): Promise<DashboardFrame> => (await call(`${served.url}/v1/dashboard`)).body as DashboardFrame;

test('each dispatcher\'s dashboard shows both dispatchers and the jobs both of them ran, and ignores a forged entry', async () => {
  const keys = redisKeys('packetfs', 'default');
  // a forged or corrupt entry (wrong version) sits on the board beside the real ones
  await redis.multi().set(keys.snapshot('forged'), JSON.stringify({ v: 9, id: 'forged' }), 'PX', 60_000)
    .zadd(keys.snapshotIndex, Date.now() + 60_000, 'forged').exec();
  const jobs = Array.from({ length: 200 }, () => ({ program: { op: 'crc32c', data: NINE_DIGITS_B64 } }));
  assert.equal((await call(`${a.url}/v1/jobs`, { json: { jobs } })).status, 202);
  const seen = await eventually('both dashboards count all 200 jobs from both dispatchers', async () => {
    const [fa, fb] = await Promise.all([frameOf(a), frameOf(b)]);
    return fa.totals.succeeded === 200 && fb.totals.succeeded === 200 && fa.dispatchers.length === 2 && fb.dispatchers.length === 2 ? [fa, fb] : undefined;
  });
  for (const frame of seen) {
    assert.deepEqual(frame.dispatchers.map((d) => d.store), ['redis', 'redis']);
    assert.ok(frame.dispatchers.every((d) => d.ready));
    assert.ok(!frame.dispatchers.some((d) => d.id === 'forged'));
    assert.equal(frame.substrates.find((s) => s.name === 'local')!.succeeded, 200);
  }
  assert.deepEqual(seen[0]!.dispatchers.map((d) => d.id), seen[1]!.dispatchers.map((d) => d.id));

  const bId = seen[1]!.dispatchers.find((d) => d.pid === process.pid && (b.dispatcher.live.id === d.id))!.id;
  await b.close();
  const after = await eventually('a dispatcher that shut down leaves the list', async () => {
    const frame = await frameOf(a);
    return frame.dispatchers.length === 1 ? frame : undefined;
  });
  assert.notEqual(after.dispatchers[0]!.id, bId);
  assert.equal(await redis.exists(keys.snapshot(bId)), 0);
});
