import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { PacketFSError } from '../../src/errors.js';
import type { JobSpec } from '../../src/job/types.js';
import { LegacyIngress, MAX_DEAD_ENTRY_CHARS, MAX_DEAD_LETTERS } from '../../src/store/redis/legacy-ingress.js';
import { redisKeys } from '../../src/store/redis/redis-keys.js';
import { RedisJobStore } from '../../src/store/redis/redis-store.js';
import { silentLogger } from '../../src/logger.js';
import type { Lease } from '../../src/store/job-store.js';
import { eventually, startRedis, type RedisServer } from '../helpers/redis-server.js';

/**
 * The original dispatcher's Redis keys (contracts §5): `LPUSH packetfs:jobs:queue`
 * submits, `packetfs:results:<id>` and `packetfs:metrics` report. These tests
 * use the default prefix on a private redis-server, flushed between tests.
 */
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
beforeEach(async () => { await redis.flushdb(); });
afterEach(async () => { await Promise.all(stores.splice(0).map((s) => s.close())); });

async function open(opts: Parameters<typeof RedisJobStore.connect>[1] = {}): Promise<RedisJobStore> {
  const store = await RedisJobStore.connect(server.url, { ingressPollMs: 10, ...opts });
  stores.push(store);
  return store;
}

/** A job as the original's ComputeJob.to_dict wrote it. */
function originalJob(jobId?: string, imm = 42): Record<string, unknown> {
  return {
    ...(jobId === undefined ? {} : { job_id: jobId }),
    program: { op: 'counteq', imm, data: Buffer.from([42, 42, 1]).toString('base64') },
    required_memory_mb: 256, required_duration_seconds: 30, requires_gpu: false, requires_state: false,
    priority: 0, timeout_seconds: 300, created_at: '2024-05-01T12:00:00', metadata: { from: 'redis-cli' },
  };
}

async function takeAll(store: RedisJobStore, count: number): Promise<Lease[]> {
  const leases: Lease[] = [];
  await eventually(`${count} jobs from the ingress`, async () => {
    leases.push(...await store.take(count - leases.length, 60_000));
    return leases.length >= count ? true : undefined;
  });
  return leases;
}

function succeed(lease: Lease) {
  const result = {
    job_id: lease.job.job_id, status: 'succeeded' as const, success: true, substrate: 'local', result: { count: 2, bytes: 3 },
    exec_time_ms: 0.2, queue_time_ms: 1, bytes_processed: 3, cost_usd: 0, attempts: lease.attempt, error: null,
    completed_at: new Date().toISOString(),
  };
  const metric = {
    timestamp: result.completed_at, job_id: result.job_id, substrate: 'local', success: true, status: 'succeeded' as const,
    exec_time_ms: 0.2, queue_time_ms: 1, bytes_processed: 3, cost_usd: 0, attempts: lease.attempt,
  };
  return { lease, result, metric };
}

describe('redis store: the original ingress list and result keys', () => {
  it('runs a ComputeJob LPUSHed with a job_id and reports at packetfs:results:<id> (24 h) and packetfs:metrics', async () => {
    const store = await open();
    await redis.lpush('packetfs:jobs:queue', JSON.stringify(originalJob('orig-1')));
    const [lease] = await takeAll(store, 1);
    assert.equal(lease!.job.job_id, 'orig-1');
    assert.equal(lease!.job.required_duration_s, 30);
    assert.deepEqual(lease!.job.program.ops, [{ op: 'counteq', imm: 42 }]);
    assert.deepEqual(lease!.job.metadata, { from: 'redis-cli' });

    const done = succeed(lease!);
    assert.deepEqual(await store.complete([done]), [true]);
    assert.deepEqual(JSON.parse((await redis.get('packetfs:results:orig-1'))!), done.result);
    const ttl = await redis.ttl('packetfs:results:orig-1');
    assert.ok(ttl > 86_000 && ttl <= 86_400, `TTL ${ttl} s is about 24 h`);
    assert.deepEqual((await redis.lrange('packetfs:metrics', 0, -1)).map((m) => JSON.parse(m)), [done.metric]);
    assert.equal(await redis.llen('packetfs:jobs:queue'), 0);
  });

  it('gives entries without a job_id a derived one and keeps FIFO order', async () => {
    const store = await open();
    // LPUSH pushes at the head, the original popped the tail: imm 1 is the oldest
    for (const imm of [1, 2, 3]) await redis.lpush('packetfs:jobs:queue', JSON.stringify(originalJob(undefined, imm)));
    const leases = await takeAll(store, 3);
    assert.deepEqual(leases.map((l) => l.job.program.ops[0]!.imm), [1, 2, 3]);
    for (const l of leases) assert.match(l.job.job_id, /^ingress-\d+-[0-9a-f]{10}$/);
    assert.equal(new Set(leases.map((l) => l.job.job_id)).size, 3);
  });

  it('turns malformed entries into failed results or dead letters and keeps going', async () => {
    const store = await open();
    await redis.lpush('packetfs:jobs:queue',
      '{not json',
      JSON.stringify({ ...originalJob('bad-program'), program: { op: 'counteq', imm: 999, data: 'AA==' } }),
      JSON.stringify({ ...originalJob(), program: { op: 'nope', data: 'AA==' } }),
      JSON.stringify(['an', 'array']),
      JSON.stringify({ ...originalJob(), job_id: 'bad id with spaces' }),
      JSON.stringify(originalJob('good-after')),
    );
    const [lease] = await takeAll(store, 1);
    assert.equal(lease!.job.job_id, 'good-after', 'the valid entry behind the malformed ones still runs');

    const failed = await eventually('the failed result', () => store.getResult('bad-program').then((r) => r ?? undefined));
    assert.equal(failed.status, 'failed');
    assert.equal(failed.success, false);
    assert.equal(failed.error?.code, 'INVALID_JOB');
    assert.equal(failed.error?.path, 'program.imm');
    assert.deepEqual(JSON.parse((await redis.get('packetfs:results:bad-program'))!), failed);
    assert.equal((await store.get('bad-program'))?.status, 'failed');
    assert.deepEqual(await store.take(10, 60_000), [], 'a rejected job is never handed out');

    const dead = (await redis.lrange('packetfs:jobs:invalid', 0, -1)).map((d) => JSON.parse(d)).reverse();
    assert.deepEqual(dead.map((d) => [d.error.code, d.error.path ?? null]), [
      ['INVALID_JSON', null], ['INVALID_JOB', 'program.op'], ['INVALID_JOB', ''], ['INVALID_JOB', 'job_id'],
    ]);
    assert.equal(dead[0].entry, '{not json');
    for (const d of dead) assert.equal(typeof d.error.message, 'string');
    assert.equal(await redis.hlen(redisKeys('packetfs', 'default').ingressProcessing), 0);
  });

  it('keeps the dead-letter list bounded: entries cut to 4 KiB, at most 1,000 kept', async () => {
    const store = await open();
    const huge = '{' + 'x'.repeat(10 * 1024 * 1024);
    const flood = Array.from({ length: MAX_DEAD_LETTERS + 50 }, (_, i) => `garbage ${i}`);
    await redis.lpush('packetfs:jobs:queue', huge, ...flood, JSON.stringify(originalJob('after-flood')));
    const [lease] = await takeAll(store, 1);
    assert.equal(lease!.job.job_id, 'after-flood');
    await eventually('the flood dead-lettered', async () => (await redis.lindex('packetfs:jobs:invalid', 0))?.includes(`garbage ${flood.length - 1}`) || undefined);
    assert.equal(await redis.llen('packetfs:jobs:invalid'), MAX_DEAD_LETTERS);
    const longest = Math.max(...(await redis.lrange('packetfs:jobs:invalid', 0, -1)).map((d) => JSON.parse(d).entry.length));
    assert.ok(longest <= MAX_DEAD_ENTRY_CHARS);
    assert.ok((await redis.memory('USAGE', 'packetfs:jobs:invalid'))! < 1024 * 1024, 'the 10 MB entry is not kept whole');
  });

  it('loses and duplicates nothing when a process dies in the middle of a move', async () => {
    const keys = redisKeys('packetfs', 'default');
    const entries = [originalJob('with-id'), originalJob(), originalJob(), originalJob(undefined, 7), originalJob('second-id')]
      .map((j) => JSON.stringify(j));
    await redis.lpush('packetfs:jobs:queue', ...entries);

    // a first dispatcher claims everything, enqueues, and "dies" before releasing the claim
    const first = await open({ ingress: false });
    const dying = new LegacyIngress(redis, keys, {
      enqueue: async (jobs: JobSpec[]) => {
        await first.enqueue(jobs.slice(0, 2));
        throw new PacketFSError('STORE_UNAVAILABLE', 'simulated crash');
      },
      recordRejected: async () => {},
    }, { batch: 100, pollMs: 10, staleMs: 60_000, logger: silentLogger });
    const claimed = await dying.claim(100);
    assert.equal(claimed.length, 5);
    await assert.rejects(dying.process(claimed), /simulated crash/);
    assert.equal(await redis.llen('packetfs:jobs:queue'), 0);
    assert.equal(await redis.hlen(keys.ingressProcessing), 5, 'claimed entries wait in the processing hash');
    assert.deepEqual(await first.depth(), { queued: 2, delayed: 0, running: 0 });

    // a dispatcher that starts takes the abandoned claims over
    const second = await open();
    await eventually('the processing hash to drain', async () => (await redis.hlen(keys.ingressProcessing)) === 0 ? true : undefined);
    const leases = await takeAll(second, 5);
    assert.deepEqual(await second.take(10, 60_000), []);
    const ids = leases.map((l) => l.job.job_id);
    assert.equal(new Set(ids).size, 5, 'two identical entries are still two jobs');
    assert.ok(ids.includes('with-id') && ids.includes('second-id'));
    assert.deepEqual(leases.map((l) => l.job.program.ops[0]!.imm), [42, 42, 42, 7, 42]);
    assert.equal(await redis.llen('packetfs:jobs:invalid'), 0);
  });
});
