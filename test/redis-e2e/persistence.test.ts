import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisJobStore } from '../../src/store/redis/redis-store.js';
import { redisKeys } from '../../src/store/redis/redis-keys.js';
import { eventually, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startServe, type ServeProcess } from './serve-process.js';

/**
 * Redis persistence as the store sees it (issue 11 item 3): without the
 * append-only file the store warns (log, /readyz, `packetfs substrates`);
 * with it (appendfsync always), `kill -9` of redis-server in the middle of a
 * run loses no job that was acknowledged with 202: after the restart every
 * one of them finishes, exactly once.
 */
let dir: string;
let aofRedis: RedisServer;
let serve: ServeProcess;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pfs-e2e-aof-'));
  aofRedis = await startRedis({ aof: { dir } });
  serve = await startServe(aofRedis.url, join(dir, 'data'), ['--threads', '1']);
});

after(async () => {
  await serve?.stop();
  await aofRedis?.stop();
  await rm(dir, { recursive: true, force: true });
});

const job = (id: string) => ({ job_id: id, program: { op: 'counteq', imm: 1, data: 'AQEC' } });

describe('Redis persistence', () => {
  it('a Redis without appendonly is reported as able to lose acknowledged jobs', async () => {
    const plain = await startRedis();
    try {
      const store = await RedisJobStore.connect(plain.url, { ingress: false });
      try {
        assert.match(store.durabilityWarning() ?? '', /appendonly no, save "".*loses every queued job.*set appendonly yes/);
      } finally {
        await store.close();
      }
    } finally {
      await plain.stop();
    }
    const ready = await (await fetch(`${serve.url}/readyz`)).json() as { ready: boolean; store_warning?: string };
    assert.equal(ready.store_warning, undefined, 'appendonly yes: no warning');
  });

  it('kill -9 of redis-server mid-run (appendonly yes) loses no acknowledged job', { timeout: 60_000 }, async () => {
    const acknowledged: string[] = [];
    const submit = async (ids: string[]): Promise<boolean> => {
      const res = await fetch(`${serve.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobs: ids.map(job) }) }).catch(() => null);
      if (res === null) return false;
      await res.arrayBuffer();
      if (res.status === 202) acknowledged.push(...ids);
      return res.status === 202;
    };
    const batch = (b: number) => Array.from({ length: 200 }, (_, i) => `k-${b}-${i}`);
    for (let b = 0; b < 5; b++) assert.ok(await submit(batch(b)));
    const admin = new Redis(aofRedis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    const keys = redisKeys('packetfs', 'default');
    try {
      await admin.connect();
      // mid-run: some jobs finished, others still queued or running
      await eventually('some results', async () => (await admin.llen(keys.finished)) > 0 ? true : undefined);
      await aofRedis.kill();
      admin.disconnect();
      // while Redis is away nothing more is acknowledged, and a 503 is never counted
      assert.equal(await submit(['k-during']), false);
      await aofRedis.restart();
      await eventually('submits to be taken again', async () => (await submit(batch(5))) ? true : undefined, 20_000);
      await admin.connect();
      const missing = await eventually('every acknowledged job to finish', async () => {
        const pipe = admin.pipeline();
        for (const id of acknowledged) pipe.get(keys.result(id));
        const replies = (await pipe.exec()) ?? [];
        const open = acknowledged.filter((_, i) => typeof replies[i]?.[1] !== 'string');
        return open.length === 0 ? open : undefined;
      }, 30_000);
      assert.deepEqual(missing, []);
      assert.equal(acknowledged.length, 1200);
      // exactly once: one finished entry per job, every result a success
      const finished = await admin.lrange(keys.finished, 0, -1);
      const ids = finished.map((e) => e.slice(e.indexOf('|', e.indexOf('|') + 1) + 1));
      assert.equal(new Set(ids).size, ids.length, 'no job finished twice');
      assert.deepEqual(new Set(ids), new Set(acknowledged));
      const sample = JSON.parse((await admin.get(keys.result('k-0-0')))!) as { status: string; result: unknown };
      assert.deepEqual([sample.status, sample.result], ['succeeded', { count: 2, bytes: 3 }]);
    } finally {
      admin.disconnect();
    }
  });
});
