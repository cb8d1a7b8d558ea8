import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { normalizeJobs } from '../../src/job/index.js';
import { RedisJobStore } from '../../src/store/redis/redis-store.js';
import { redisKeys } from '../../src/store/redis/redis-keys.js';
import { keySlot, shardTags } from '../../src/store/redis/queue-shards.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { runStoreConformance } from './conformance.js';

/**
 * The store on a real Redis Cluster (3 masters on loopback, started once for
 * the file): the conformance suite with the queue in 3 shards, results
 * through the outbox; the shards spread over the masters and every shard is
 * served by take(); the original's keys (results, metrics, the ingress list)
 * work in their own slots.
 */
let cluster: RedisCluster;
before(async () => { cluster = await startRedisCluster({ masters: 3 }); });
after(async () => { await cluster?.stop(); });

const open = (opts: Parameters<typeof RedisJobStore.connectCluster>[1] = {}) =>
  RedisJobStore.connectCluster(cluster.nodes, { prefix: `t-${randomUUID().slice(0, 8)}`, waitReplicas: 0, ...opts });

runStoreConformance('redis cluster (3 shards)', async (opts) => {
  const store = await open({
    ...(opts.resultTtlMs === undefined ? {} : { resultTtlMs: opts.resultTtlMs }),
    ...(opts.metricsLimit === undefined ? {} : { metricsLimit: opts.metricsLimit }),
  });
  return { store, cleanup: () => store.close() };
});

describe('redis cluster sharding', () => {
  it('puts the 3 shards on 3 different masters', async () => {
    const masters = await Promise.all(shardTags('default', 3).map((tag) => cluster.masterOf(`{${tag}}`)));
    assert.equal(new Set(masters).size, 3, `shard masters ${masters.join(', ')}`);
    assert.deepEqual(shardTags('default', 3).map((tag) => Math.floor(keySlot(`x:{${tag}}:ready`) / (16384 / 3))), [0, 1, 2]);
  });

  it('serves every shard: one take gets jobs from all of them, and the original keys work across slots', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const store = await RedisJobStore.connectCluster(cluster.nodes, { prefix, waitReplicas: 0, ingressPollMs: 20 });
    const admin = new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })));
    try {
      const jobs = normalizeJobs(Array.from({ length: 300 }, (_, i) => ({ job_id: `f-${i}`, program: { op: 'counteq', imm: 1, data: 'AQEC' } })));
      await store.enqueue(jobs);
      const tags = shardTags('default', 3);
      const perShard = await Promise.all(tags.map((tag) => admin.zcard(redisKeys(prefix, 'default', tag).ready)));
      assert.ok(perShard.every((n) => n > 50), `jobs per shard ${perShard.join(', ')}`);
      const leases = await store.take(30, 60_000);
      assert.deepEqual(leases.map((l) => l.job.job_id), Array.from({ length: 30 }, (_, i) => `f-${i}`), 'the 30 oldest, across shards');
      const after = await Promise.all(tags.map((tag) => admin.zcard(redisKeys(prefix, 'default', tag).ready)));
      assert.ok(after.every((n, i) => perShard[i]! - n > 0), `taken per shard ${after.map((n, i) => perShard[i]! - n).join(', ')}`);
      const [lease] = leases;
      const result = {
        job_id: lease!.job.job_id, status: 'succeeded' as const, success: true, substrate: 'local', result: { count: 2, bytes: 3 },
        exec_time_ms: 1, queue_time_ms: 1, bytes_processed: 3, cost_usd: 0, attempts: 1, error: null, completed_at: new Date().toISOString(),
      };
      const metric = { timestamp: result.completed_at, job_id: result.job_id, substrate: 'local', success: true, status: 'succeeded' as const,
        exec_time_ms: 1, queue_time_ms: 1, bytes_processed: 3, cost_usd: 0, attempts: 1 };
      assert.deepEqual(await store.complete([{ lease: lease!, result, metric }]), [true]);
      assert.deepEqual(JSON.parse((await admin.get(`${prefix}:results:${lease!.job.job_id}`))!), result);
      assert.equal(await admin.llen(`${prefix}:metrics`), 1);
      // the original's ingress list, in its own slot
      await admin.lpush(`${prefix}:jobs:queue`, JSON.stringify({ job_id: 'legacy-1', program: { op: 'counteq', imm: 1, data: 'AQEC' } }));
      for (let i = 0; i < 200 && (await store.get('legacy-1')) === null; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal((await store.get('legacy-1'))?.status, 'queued');
    } finally {
      admin.disconnect();
      await store.close();
    }
  });
});
