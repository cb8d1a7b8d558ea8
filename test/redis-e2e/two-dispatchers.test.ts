import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { eventually, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { postJobs, startServe, type ServeProcess } from './serve-process.js';

/**
 * Many dispatchers, one Redis: two real `packetfs serve --redis` processes.
 * Jobs submitted to A run on both; B answers for jobs A accepted (GET,
 * result?wait, DELETE); the original `LPUSH packetfs:jobs:queue` still runs.
 */
let redisServer: RedisServer;
let redis: Redis;
let dir: string;
let a: ServeProcess;
let b: ServeProcess;
let hanging: Server;
let hangingUrl: string;
let gateUrl: string;
/** answers the held /gate.bin requests with "123456789" */
let openGate: () => void = () => {};

before(async () => {
  redisServer = await startRedis();
  redis = new Redis(redisServer.url);
  dir = await mkdtemp(join(tmpdir(), 'pfs-e2e-two-'));
  // data_urls that keep a job running for as long as the test needs: /slow.bin never answers, /gate.bin when told to
  // "running" in the store can precede the worker's request, so an opened gate stays open
  const held: Array<() => void> = [];
  let gateOpen = false;
  hanging = createServer((req, res) => {
    if (req.url !== '/gate.bin') return;
    if (gateOpen) res.end('123456789');
    else held.push(() => res.end('123456789'));
  });
  openGate = () => {
    gateOpen = true;
    for (const answer of held.splice(0)) answer();
  };
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(hanging.address() as { port: number }).port}`;
  hangingUrl = `${origin}/slow.bin`;
  gateUrl = `${origin}/gate.bin`;
  const flags = ['--threads', '1', '--allow-private-data-urls'];
  [a, b] = await Promise.all([startServe(redisServer.url, join(dir, 'a'), flags), startServe(redisServer.url, join(dir, 'b'), flags)]);
});

after(async () => {
  // SIGKILL: a graceful stop would wait for the job stuck on the hanging data_url
  await Promise.all([a?.kill(), b?.kill()]);
  hanging.closeAllConnections();
  await new Promise((resolve) => hanging.close(resolve));
  redis.disconnect();
  await redisServer.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Jobs this process finished, from its Prometheus counter. */
async function finishedBy(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^packetfs_jobs_total\{[^}]*\} (\d+)$/gm)) n += Number(m[1]);
  return n;
}

function counteqJob(id: string, i: number) {
  const bytes = Buffer.alloc(64, 0);
  bytes.fill(7, 0, i % 65);
  return { job_id: id, program: { op: 'counteq', imm: 7, data: bytes.toString('base64') } };
}

describe('two packetfs serve processes on one Redis', () => {
  it('jobs submitted to A run on both, each exactly once, and B serves their results', { timeout: 60_000 }, async () => {
    const total = 6_000;
    for (let i = 0; i < total; i += 1_000) {
      const jobs = Array.from({ length: 1_000 }, (_, j) => counteqJob(`spread-${i + j}`, i + j));
      const res = await postJobs(a.url, jobs);
      assert.equal(res.status, 202);
    }
    // one metric record per finished job in the shared list: one cheap LLEN per poll, where scraping both
    // processes' /metrics every few milliseconds took CPU from the dispatchers doing the work
    await eventually('every job to finish', async () => ((await redis.llen('packetfs:metrics')) >= total ? true : undefined), 50_000);
    // each process's own count (Prometheus) of the jobs it finished; a counter may trail its store write by a moment
    const [byA, byB] = await eventually('both finished-job counters', async () => {
      const counts = [await finishedBy(a.url), await finishedBy(b.url)] as const;
      return counts[0] + counts[1] >= total ? counts : undefined;
    }, 10_000);
    assert.equal(byA + byB, total, 'each job ran to a result once');
    assert.ok(byA > 0 && byB > 0, `both dispatchers worked (A ${byA}, B ${byB})`);

    for (const i of [0, 1, 63, 64, 4_321, total - 1]) {
      const res = await fetch(`${b.url}/v1/jobs/spread-${i}/result`);
      assert.equal(res.status, 200);
      const record = await res.json() as { status: string; result: { count: number; bytes: number } };
      assert.equal(record.status, 'succeeded');
      assert.deepEqual(record.result, { count: i % 65, bytes: 64 });
    }
  });

  it('B waits for, views and cancels jobs submitted to A', { timeout: 30_000 }, async () => {
    const submitted = await postJobs(a.url, [{ job_id: 'later-1', program: { op: 'crc32c', data_url: gateUrl } }]);
    assert.equal(submitted.status, 202);
    await eventually('the gated job to be running', async () => {
      const view = await (await fetch(`${b.url}/v1/jobs/later-1`)).json() as { status: string };
      return view.status === 'running' ? true : undefined;
    });
    const waiting = fetch(`${b.url}/v1/jobs/later-1/result?wait=20`);
    const pending = await fetch(`${b.url}/v1/jobs/later-1/result`);
    assert.equal(pending.status, 202, 'no result before the gate opens');
    await pending.arrayBuffer();
    openGate();
    const waited = await waiting;
    assert.equal(waited.status, 200);
    assert.deepEqual((await waited.json() as { result: unknown }).result, { crc32c: 3808858755, bytes: 9 });

    const stuck = await postJobs(a.url, [{ job_id: 'stuck-1', program: { op: 'counteq', data_url: hangingUrl } }]);
    assert.equal(stuck.status, 202);
    await eventually('the stuck job to be running', async () => {
      const view = await (await fetch(`${b.url}/v1/jobs/stuck-1`)).json() as { status: string };
      return view.status === 'running' ? true : undefined;
    });
    const resultWait = fetch(`${a.url}/v1/jobs/stuck-1/result?wait=20`);
    const cancelled = await fetch(`${b.url}/v1/jobs/stuck-1`, { method: 'DELETE' });
    assert.equal(cancelled.status, 200);
    assert.deepEqual(await cancelled.json(), { job_id: 'stuck-1', status: 'cancelled' });
    const seenByA = await resultWait;
    assert.equal(seenByA.status, 200);
    assert.equal((await seenByA.json() as { status: string }).status, 'cancelled');
    const again = await fetch(`${a.url}/v1/jobs/stuck-1`, { method: 'DELETE' });
    assert.equal(again.status, 409);
    await again.arrayBuffer();
  });

  it('a job LPUSHed onto packetfs:jobs:queue runs and its record appears at packetfs:results:<id>', { timeout: 30_000 }, async () => {
    await redis.lpush('packetfs:jobs:queue', JSON.stringify({ job_id: 'legacy-1', program: { op: 'counteq', imm: 1, data: 'AQEC' }, priority: 1 }));
    const raw = await eventually('the legacy result', async () => (await redis.get('packetfs:results:legacy-1')) ?? undefined);
    const record = JSON.parse(raw) as { status: string; result: unknown; substrate: string };
    assert.equal(record.status, 'succeeded');
    assert.deepEqual(record.result, { count: 2, bytes: 3 });
    const viaB = await fetch(`${b.url}/v1/jobs/legacy-1`);
    assert.equal((await viaB.json() as { status: string }).status, 'succeeded');
  });
});
