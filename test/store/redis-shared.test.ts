import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { normalizeJob } from '../../src/job/index.js';
import type { Completion, Lease } from '../../src/store/job-store.js';
import { redisKeys } from '../../src/store/redis/redis-keys.js';
import { RedisJobStore } from '../../src/store/redis/redis-store.js';
import { eventually, startRedis, type RedisServer } from '../helpers/redis-server.js';

/** Many dispatchers, one Redis: two store instances (two connections) on one queue. */
let server: RedisServer;
let redis: Redis;
const stores: RedisJobStore[] = [];

before(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});
after(async () => {
  redis.disconnect();
  await server.stop();
});
afterEach(async () => { await Promise.all(stores.splice(0).map((s) => s.close())); });

/** Two stores on the same prefix and queue, as two dispatcher processes would be. */
async function pair(opts: Parameters<typeof RedisJobStore.connect>[1] = {}) {
  const prefix = `s-${randomUUID().slice(0, 8)}`;
  const a = await RedisJobStore.connect(server.url, { prefix, ...opts });
  const b = await RedisJobStore.connect(server.url, { prefix, ...opts });
  stores.push(a, b);
  return { a, b, prefix };
}

function job(id: string) {
  return normalizeJob({ job_id: id, program: { op: 'counteq', imm: 1, data: 'AQEC' } });
}

function success(lease: Lease, substrate = 'local'): Completion {
  const result = {
    job_id: lease.job.job_id, status: 'succeeded' as const, success: true, substrate, result: { count: 2, bytes: 3 },
    exec_time_ms: 0.1, queue_time_ms: 1, bytes_processed: 3, cost_usd: 0, attempts: lease.attempt, error: null,
    completed_at: '2025-01-02T03:04:06.000Z',
  };
  return {
    lease, result,
    metric: { timestamp: result.completed_at, job_id: result.job_id, substrate, success: true, status: 'succeeded', exec_time_ms: 0.1, queue_time_ms: 1, bytes_processed: 3, cost_usd: 0, attempts: lease.attempt },
  };
}

describe('redis store: several processes on one queue', () => {
  it('a job leased by one store reaches the other only after the lease expires', async () => {
    const { a, b } = await pair();
    await a.enqueue([job('j1')]);
    const [held] = await b.take(10, 300);
    assert.equal(held?.job.job_id, 'j1');
    assert.deepEqual(await a.take(10, 60_000), [], 'the lease holds');
    assert.equal((await a.get('j1'))?.status, 'running');

    const retaken = await eventually('the expired lease to be reclaimed', async () => (await a.take(10, 60_000))[0]);
    assert.equal(retaken.job.job_id, 'j1');
    assert.equal(retaken.attempt, 2);
    assert.equal(retaken.errors[0]?.code, 'LEASE_EXPIRED');

    assert.deepEqual(await b.complete([success(held!, 'b')]), [false], 'the stale holder cannot complete');
    assert.deepEqual(await a.complete([success(retaken, 'a')]), [true]);
    assert.equal((await b.getResult('j1'))?.substrate, 'a');
    assert.deepEqual((await b.recentMetrics(10)).map((m) => m.substrate), ['a']);
  });

  it('the same lease completed from both stores at once writes one result and one metric', async () => {
    const { a, b, prefix } = await pair();
    const ids = Array.from({ length: 200 }, (_, i) => `race-${i}`);
    await a.enqueue(ids.map(job));
    const leases = await a.take(200, 60_000);
    const [fromA, fromB] = await Promise.all([
      a.complete(leases.map((l) => success(l, 'a'))),
      b.complete(leases.map((l) => success(l, 'b'))),
    ]);
    for (let i = 0; i < ids.length; i++) assert.equal(fromA[i]! !== fromB[i]!, true, `exactly one write wins for ${ids[i]}`);
    const metrics = await redis.lrange(`${prefix}:metrics`, 0, -1);
    assert.equal(metrics.length, 200);
    assert.equal(new Set(metrics.map((m) => JSON.parse(m).job_id)).size, 200);
    for (let i = 0; i < ids.length; i++) {
      const result = await b.getResult(ids[i]!);
      assert.equal(result?.substrate, fromA[i] ? 'a' : 'b', 'the stored result is the winner\'s');
    }
  });

  it('get, cancel and waitForResult work from a process other than the one running the job', async () => {
    const { a, b } = await pair();
    await a.enqueue([job('w1'), job('w2')]);
    const leases = await b.take(2, 60_000);
    const waiting = a.waitForResult('w1', 10_000);
    assert.equal((await a.get('w1'))?.status, 'running');

    const done = success(leases[0]!, 'b');
    assert.deepEqual(await b.complete([done]), [true]);
    assert.deepEqual(await waiting, done.result);

    const waitingCancel = b.waitForResult('w2', 10_000);
    assert.equal(await a.cancel('w2'), 'cancelled');
    assert.equal((await waitingCancel)?.status, 'cancelled');
    assert.deepEqual(await b.complete([success(leases[1]!, 'b')]), [false], 'a cancelled job ignores its completion');
    assert.deepEqual(await b.extendLeases([leases[1]!], 60_000), [false]);
  });

  it('delivers results whose writer died between deciding and delivering them', async () => {
    // The orphan's field is from 1970, so it is stale at once; a field re-filed by a reclaim is not stale again for 5 s,
    // so the other process cannot reclaim it while the first one delivers it (with 0 it could, and deliver twice).
    const { a, prefix } = await pair({ outboxStaleMs: 5_000, maintenanceMs: 20 });
    const keys = redisKeys(prefix, 'default');
    const record = { job_id: 'orphan', status: 'succeeded', success: true, substrate: 'local', result: { count: 1, bytes: 1 },
      exec_time_ms: 0, queue_time_ms: 0, bytes_processed: 1, cost_usd: 0, attempts: 1, error: null, completed_at: '2025-01-02T03:04:06.000Z' };
    const metric = { timestamp: record.completed_at, job_id: 'orphan', substrate: 'local', success: true, status: 'succeeded',
      exec_time_ms: 0, queue_time_ms: 0, bytes_processed: 1, cost_usd: 0, attempts: 1 };
    // what complete-11.lua leaves behind when its caller never gets to deliver
    await redis.hset(keys.outbox, '1000:1', JSON.stringify([{ id: 'orphan', r: record, m: metric }]));
    const delivered = await eventually('the orphaned result', () => a.getResult('orphan').then((r) => r ?? undefined));
    assert.deepEqual(delivered, record);
    assert.deepEqual(await a.recentMetrics(10), [metric]);
    await eventually('the outbox to empty', async () => (await redis.hlen(keys.outbox)) === 0 ? true : undefined);
    assert.equal((await a.recentMetrics(10)).length, 1, 'delivered once');
  });
});
