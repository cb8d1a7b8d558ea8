import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { RedisJobStore } from '../../src/store/redis/redis-store.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { until } from '../helpers/eventually.js';
import { jobSpec, runStoreConformance } from './conformance.js';

/**
 * The conformance suite once more with `outbox: true`, the Redis Cluster
 * path: complete() files results in the outbox and delivers them with a
 * second round trip instead of writing them inside its script.
 */
let server: RedisServer;
before(async () => { server = await startRedis(); });
after(async () => { await server.stop(); });

runStoreConformance('redis (outbox delivery)', async (opts) => {
  const store = await RedisJobStore.connect(server.url, {
    ...(opts.resultTtlMs === undefined ? {} : { resultTtlMs: opts.resultTtlMs }),
    ...(opts.metricsLimit === undefined ? {} : { metricsLimit: opts.metricsLimit }),
    prefix: `t-${randomUUID().slice(0, 8)}`,
    outbox: true,
  });
  return { store, cleanup: () => store.close() };
});

describe('redis: a result on its way through the outbox', () => {
  it('a finished job whose result key is not written yet is shown without a result until its expiry, then is unknown', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const store = await RedisJobStore.connect(server.url, { prefix, outbox: true, resultTtlMs: 600 });
    const redis = new Redis(server.url);
    try {
      const id = `${prefix}-gap`;
      await store.enqueue([jobSpec(id)]);
      assert.equal(await store.cancel(id), 'cancelled');
      // the window between the cancel script and the outbox delivery, held open: the key is not there yet
      await redis.del(`${prefix}:results:${id}`);
      const view = await store.get(id);
      assert.equal(view?.status, 'cancelled', 'a decided job never reads as unknown while its result is delivered');
      assert.equal(view?.result, null);
      await until('the result to expire', async () => (await store.get(id)) === null, 5_000);
    } finally {
      redis.disconnect();
      await store.close();
    }
  });
});
