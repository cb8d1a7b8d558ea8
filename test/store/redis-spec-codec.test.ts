import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { normalizeJob } from '../../src/job/index.js';
import { redisKeys } from '../../src/store/redis/redis-keys.js';
import { RedisJobStore } from '../../src/store/redis/redis-store.js';
import { decodeSpecs, encodeSpec, V1_FIELDS } from '../../src/store/redis/spec-codec.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

const program = { op: 'counteq', imm: 1, data: 'AQEC' };

describe('redis spec encoding', () => {
  it('v1 leaves out default values and decodes to the same job', () => {
    const plain = normalizeJob({ job_id: 'plain', program });
    const encoded = encodeSpec(plain);
    assert.ok(encoded.length < JSON.stringify(plain).length - 100, encoded);
    assert.equal(/max_attempts|priority|metadata|substrates|requires_gpu/.test(encoded), false, encoded);
    assert.deepEqual(decodeSpecs([encoded]), [plain]);
    assert.equal(JSON.stringify(decodeSpecs([encoded])[0]), JSON.stringify(plain), 'fields in normalization\'s order');
  });

  it('v1 keeps every value that differs from a default, and the optional fields', () => {
    const custom = normalizeJob({
      job_id: 'custom', program, priority: -3, max_attempts: 1, timeout_s: 12, required_memory_mb: 512, requires_gpu: true,
      substrates: ['local'], metadata: { team: 'a' }, private: true, max_cost_usd: 0.5, on_budget: 'fail',
    });
    assert.deepEqual(decodeSpecs([encodeSpec(custom)]), [custom]);
    assert.equal(decodeSpecs([encodeSpec(custom)])[0]!.priority, -3);
    // parent_id is set by the dispatcher on the window jobs of a split job, not accepted from clients
    const split = { ...normalizeJob({ job_id: 'split', program: { op: 'crc32c', blob: 'a'.repeat(64) }, split: { window_bytes: 4096 }, verify: 'none' }), parent_id: 'p' };
    assert.deepEqual(decodeSpecs([encodeSpec(split)]), [split]);
    const seen = new Set([...Object.keys(custom), ...Object.keys(split)]);
    assert.deepEqual(Object.keys(V1_FIELDS).filter((k) => !seen.has(k)), [], 'every field the encoding carries is round-tripped here');
  });

  it('reads v0 specs (every field, no version) as they are, mixed with v1 in one batch', () => {
    const a = normalizeJob({ job_id: 'a', program });
    const b = normalizeJob({ job_id: 'b', program, priority: 2 });
    assert.deepEqual(decodeSpecs([JSON.stringify(a), encodeSpec(b)]), [a, b]);
  });

  it('refuses a version it does not know, naming it', () => {
    assert.throws(() => decodeSpecs(['{"$v":9,"job_id":"x"}']), (err: Error & { code?: string }) =>
      err.code === 'INTERNAL' && /version 9/.test(err.message));
  });
});

describe('redis store: specs queued by an older dispatcher (v0)', () => {
  let server: RedisServer;
  let redis: Redis;
  before(async () => { server = await startRedis(); redis = new Redis(server.url); });
  after(async () => { redis.disconnect(); await server.stop(); });

  it('a job whose stored spec is v0 is leased with its full spec', async () => {
    const prefix = `c-${randomUUID().slice(0, 8)}`;
    const store = await RedisJobStore.connect(server.url, { prefix, ingress: false });
    try {
      const job = normalizeJob({ job_id: 'old', program, priority: 4, metadata: { k: 1 } });
      await store.enqueue([job]);
      // what a dispatcher before v1 wrote for this job
      await redis.hset(redisKeys(prefix, 'default').queue[11]!, 'old', JSON.stringify(job));
      const [lease] = await store.take(1, 60_000);
      assert.deepEqual(lease?.job, job);
    } finally {
      await store.close();
    }
  });
});
