import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { PacketFSError } from '../../src/errors.js';
import { normalizeJob, type ResultRecord } from '../../src/job/index.js';
import { metricOf } from '../../src/store/terminal-records.js';
import { RedisJobStore } from '../../src/store/redis/redis-store.js';
import { eventually, startRedis, type RedisServer } from '../helpers/redis-server.js';

/**
 * Redis goes away and comes back. The store's command timeout is set far
 * beyond the test's own timeout, so a call that waited for Redis instead of
 * failing at once would fail the test.
 */
let server: RedisServer;
before(async () => { server = await startRedis(); });
after(async () => { await server.stop(); });

function job(id: string) {
  return normalizeJob({ job_id: id, program: { op: 'crc32c', data: 'MTIzNDU2Nzg5' } });
}

function succeeded(id: string): ResultRecord {
  return {
    job_id: id, status: 'succeeded', success: true, substrate: 'local', result: { crc32c: 3808858755, bytes: 9 },
    exec_time_ms: 0.1, queue_time_ms: 1, bytes_processed: 9, cost_usd: 0, attempts: 1, error: null, completed_at: new Date().toISOString(),
  };
}

function isUnavailable(err: unknown): boolean {
  assert.ok(err instanceof PacketFSError, `a PacketFSError, got ${String(err)}`);
  assert.equal(err.code, 'STORE_UNAVAILABLE');
  assert.equal(err.status, 503);
  return true;
}

describe('redis store: outages', () => {
  it('fails calls with STORE_UNAVAILABLE while Redis is down and resumes by itself when it returns', { timeout: 40_000 }, async () => {
    const store = await RedisJobStore.connect(server.url, { commandTimeoutMs: 120_000, ingressPollMs: 10, resultPollMs: 100 });
    try {
      await store.enqueue([job('before')]);
      const [lease] = await store.take(1, 60_000);
      assert.equal(lease?.job.job_id, 'before');
      assert.equal(await store.ready(), true);

      await server.kill();
      await eventually('ready() to turn false', async () => (await store.ready()) ? undefined : true);
      await assert.rejects(store.enqueue([job('during')]), isUnavailable);
      await assert.rejects(store.take(10, 60_000), isUnavailable);
      await assert.rejects(store.depth(), isUnavailable);
      await assert.rejects(store.extendLeases([lease!], 60_000), isUnavailable);
      await assert.rejects(store.complete([{ lease: lease!, result: succeeded('before'), metric: metricOf(succeeded('before')) }]), isUnavailable);
      await assert.rejects(store.retryLater([{ lease: lease!, error: { attempt: 1, substrate: null, code: 'SUBSTRATE_FAILED', message: 'x', at: new Date().toISOString() }, delayMs: 0 }]), isUnavailable);
      await assert.rejects(store.get('before'), isUnavailable);
      await assert.rejects(store.getResult('before'), isUnavailable);
      await assert.rejects(store.cancel('before'), isUnavailable);
      await assert.rejects(store.list({ status: 'queued', limit: 10 }), isUnavailable);
      await assert.rejects(store.recentMetrics(10), isUnavailable);
      await assert.rejects(store.waitForResult('before', 5_000), isUnavailable);

      await server.restart();
      await eventually('ready() to turn true again', async () => (await store.ready()) ? true : undefined);
      // no persistence: the restarted Redis is empty, and the same store works on it
      assert.deepEqual(await store.enqueue([job('after')]), [{ job_id: 'after', created: true, status: 'queued' }]);
      const waiting = store.waitForResult('after', 20_000);
      const [again] = await store.take(10, 60_000);
      assert.equal(again?.job.job_id, 'after');
      const result = succeeded('after');
      assert.deepEqual(await store.complete([{ lease: again!, result, metric: metricOf(result) }]), [true]);
      assert.deepEqual(await waiting, result);

      // the ingress loop came back too
      const cli = new Redis(server.url);
      try {
        await cli.lpush('packetfs:jobs:queue', JSON.stringify({ job_id: 'via-list', program: { op: 'xor', imm: 1, data: 'AQID' } }));
        const fromList = await eventually('the ingress to resume', async () => (await store.take(1, 60_000))[0]);
        assert.equal(fromList.job.job_id, 'via-list');
      } finally {
        cli.disconnect();
      }
    } finally {
      await store.close();
    }
  });

  it('connect() fails with STORE_UNAVAILABLE when Redis cannot be reached', async () => {
    const down = await startRedis();
    await down.stop();
    await assert.rejects(RedisJobStore.connect(down.url, { connectTimeoutMs: 500 }), isUnavailable);
  });
});
