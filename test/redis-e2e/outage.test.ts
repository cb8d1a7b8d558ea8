import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { postJobs, startServe, type ServeProcess } from './serve-process.js';

/**
 * Redis goes away under a running `packetfs serve`: the process keeps
 * running, /readyz says not ready, submits answer 503 STORE_UNAVAILABLE
 * (never a 202 for a job that was not stored), /healthz still answers; when
 * redis-server is started again on the same port, submits and processing
 * resume without restarting the dispatcher. (The restarted server has no
 * persistence: the outage test is about the dispatcher, not Redis durability.)
 */
let redisServer: RedisServer;
let dir: string;
let serve: ServeProcess;

before(async () => {
  redisServer = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'pfs-e2e-outage-'));
  serve = await startServe(redisServer.url, dir, ['--threads', '1']);
});

after(async () => {
  await serve?.stop();
  await redisServer.stop();
  await rm(dir, { recursive: true, force: true });
});

const job = (id: string) => ({ job_id: id, program: { op: 'crc32c', data: 'MTIzNDU2Nzg5' } });

async function resultOf(id: string): Promise<{ status: number; body: { status?: string; result?: unknown } }> {
  const res = await fetch(`${serve.url}/v1/jobs/${id}/result?wait=10`);
  return { status: res.status, body: await res.json() as { status?: string; result?: unknown } };
}

describe('a Redis outage under a running dispatcher', () => {
  it('answers 503 while Redis is away and resumes by itself when it returns', { timeout: 60_000 }, async () => {
    assert.equal((await postJobs(serve.url, [job('before')])).status, 202);
    assert.deepEqual((await resultOf('before')).body.result, { crc32c: 3808858755, bytes: 9 });
    assert.equal((await fetch(`${serve.url}/readyz`)).status, 200);

    await redisServer.stop();
    await eventually('/readyz to report not ready', async () => {
      const res = await fetch(`${serve.url}/readyz`);
      const body = await res.json() as { store: boolean; error?: { code: string } };
      return res.status === 503 && body.store === false && body.error?.code === 'STORE_UNAVAILABLE' ? true : undefined;
    });
    for (const body of [job('during-1'), { jobs: [job('during-2'), job('during-3')] }]) {
      const res = await fetch(`${serve.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 503, 'a job that was not stored is never answered 202');
      assert.equal(res.headers.get('retry-after'), '1');
      assert.equal((await res.json() as { error: { code: string } }).error.code, 'STORE_UNAVAILABLE');
    }
    const lookup = await fetch(`${serve.url}/v1/jobs/before`);
    assert.equal(lookup.status, 503);
    assert.equal((await lookup.json() as { error: { code: string } }).error.code, 'STORE_UNAVAILABLE');
    const health = await fetch(`${serve.url}/healthz`);
    assert.equal(health.status, 200, 'the process itself is alive');
    await health.arrayBuffer();
    assert.equal(serve.child.exitCode, null);

    await redisServer.restart();
    await eventually('/readyz to report ready again', async () => {
      const res = await fetch(`${serve.url}/readyz`);
      await res.arrayBuffer();
      return res.status === 200 ? true : undefined;
    }, 20_000);
    const after = await postJobs(serve.url, [job('after-1'), job('after-2')]);
    assert.equal(after.status, 202);
    for (const id of ['after-1', 'after-2']) {
      const r = await resultOf(id);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.result, { crc32c: 3808858755, bytes: 9 });
    }
  });
});
