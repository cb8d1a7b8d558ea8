import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { normalizeJobs } from '../../src/job/index.js';
import type { Completion, Lease } from '../../src/store/job-store.js';
import { RedisJobStore } from '../../src/store/redis/redis-store.js';
import { metricOf } from '../../src/store/terminal-records.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

/**
 * Result retention by count and bytes (maxResults, maxResultBytes): beyond
 * either bound the oldest finished jobs are forgotten first — result key,
 * state, index entry — on a standalone Redis and in outbox (Cluster) mode,
 * where the result keys are deleted by the client.
 */
let server: RedisServer;
before(async () => { server = await startRedis(); });
after(async () => { await server.stop(); });

const spec = (id: string) => normalizeJobs([{ job_id: id, program: { op: 'counteq', imm: 1, data: 'AQEC' } }])[0]!;

function done(lease: Lease): Completion {
  const result = {
    job_id: lease.job.job_id, status: 'succeeded' as const, success: true, substrate: 'local', result: { count: 2, bytes: 3 },
    exec_time_ms: 1, queue_time_ms: 1, bytes_processed: 3, cost_usd: 0, attempts: lease.attempt, error: null,
    completed_at: new Date().toISOString(),
  };
  return { lease, result, metric: metricOf(result) };
}

for (const outbox of [false, true]) {
  describe(`Redis store retention${outbox ? ' (outbox mode)' : ''}`, () => {
    const open = (bounds: { maxResults?: number; maxResultBytes?: number }) =>
      RedisJobStore.connect(server.url, { prefix: `ret-${randomUUID().slice(0, 8)}`, ingress: false, outbox, maintenanceMs: 3_600_000, ...bounds });

    it('keeps at most maxResults, forgetting the oldest first; a forgotten id is free again', async () => {
      const store = await open({ maxResults: 3 });
      try {
        for (const batch of [['a', 'b'], ['c', 'd', 'e']]) {
          await store.enqueue(batch.map(spec));
          await store.complete((await store.take(10, 60_000)).map(done));
        }
        assert.deepEqual((await store.retained()).results, 5);
        assert.equal(await store.pruneNow(), 2);
        assert.equal((await store.retained()).results, 3);
        assert.equal(await store.getResult('a'), null);
        assert.equal(await store.get('b'), null);
        assert.equal((await store.getResult('e'))?.status, 'succeeded');
        assert.deepEqual((await store.list({ status: 'succeeded', limit: 10 })).jobs.map((v) => v.job_id), ['e', 'd', 'c']);
        assert.deepEqual(await store.enqueue([spec('a')]), [{ job_id: 'a', created: true, status: 'queued' }]);
        assert.equal(await store.pruneNow(), 0);
      } finally {
        await store.close();
      }
    });

    it('keeps at most maxResultBytes of result records', async () => {
      const store = await open({ maxResultBytes: 2000 });
      try {
        const ids = Array.from({ length: 40 }, (_, i) => `m${i}`);
        await store.enqueue(ids.map(spec));
        await store.complete((await store.take(40, 60_000)).map(done));
        const before = await store.retained();
        assert.ok(before.bytes > 2000, `bytes before ${before.bytes}`);
        await store.pruneNow();
        const kept = await store.retained();
        assert.ok(kept.bytes <= 2000 && kept.results > 0 && kept.results < 40, JSON.stringify(kept));
        assert.equal((await store.getResult('m39'))?.status, 'succeeded');
        assert.equal(await store.getResult('m0'), null);
      } finally {
        await store.close();
      }
    });
  });
}
