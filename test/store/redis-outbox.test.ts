import { after, before } from 'node:test';
import { randomUUID } from 'node:crypto';
import { RedisJobStore } from '../../src/store/redis/redis-store.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { runStoreConformance } from './conformance.js';

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
