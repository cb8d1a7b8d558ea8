import { after, before } from 'node:test';
import { randomUUID } from 'node:crypto';
import { RedisJobStore } from '../../src/store/redis/redis-store.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { runStoreConformance } from './conformance.js';

/** The shared JobStore conformance suite against a private redis-server; each test gets its own key prefix. */
let server: RedisServer;
before(async () => { server = await startRedis(); });
after(async () => { await server.stop(); });

runStoreConformance('redis', async (opts) => {
  const store = await RedisJobStore.connect(server.url, {
    ...(opts.resultTtlMs === undefined ? {} : { resultTtlMs: opts.resultTtlMs }),
    ...(opts.metricsLimit === undefined ? {} : { metricsLimit: opts.metricsLimit }),
    prefix: `t-${randomUUID().slice(0, 8)}`,
  });
  return { store, cleanup: () => store.close() };
});
