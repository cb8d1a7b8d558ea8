import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { shardTags } from '../../src/store/redis/queue-shards.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { eventually } from '../helpers/redis-server.js';
import { startServe, type ServeProcess } from './serve-process.js';

/**
 * `packetfs serve --redis-cluster` on a real cluster (3 masters, 1 replica
 * each, appendonly, started once for the file), the queue in 3 shards:
 *   - a dispatcher SIGKILLed mid-run: its leases expire, another dispatcher
 *     finishes every accepted job, each with exactly one correct result;
 *   - a master SIGKILLed mid-run: its replica is promoted, and every job
 *     acknowledged with 202 (written to the master and to its replica, WAIT)
 *     still finishes with a correct result.
 */
let cluster: RedisCluster;
let admin: Cluster;
let dir: string;
const running: ServeProcess[] = [];

before(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, aof: true });
  admin = new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })), { scaleReads: 'master' });
  dir = await mkdtemp(join(tmpdir(), 'pfs-e2e-cluster-'));
});

after(async () => {
  await Promise.all(running.map((p) => p.stop()));
  admin?.disconnect();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

function job(prefix: string, i: number) {
  const bytes = Buffer.alloc(64, 0);
  bytes.fill(7, 0, i % 65);
  return { job_id: `${prefix}-${i}`, program: { op: 'counteq', imm: 7, data: bytes.toString('base64') } };
}

async function dispatcher(name: string): Promise<ServeProcess> {
  const p = await startServe(cluster.nodes, join(dir, name), ['--threads', '1', '--lease-ms', '1000']);
  running.push(p);
  return p;
}

/** POSTs until answered 202 (a 503 during a failover is retried, like a client would); returns the ids acknowledged. */
async function submit(p: ServeProcess, prefix: string, from: number, to: number): Promise<void> {
  const jobs = Array.from({ length: to - from }, (_, k) => job(prefix, from + k));
  await eventually(`batch ${prefix} ${from}..${to} accepted`, async () => {
    const res = await fetch(`${p.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobs }) });
    await res.arrayBuffer();
    return res.status === 202 ? true : undefined;
  }, 30_000);
}

/** Every job prefix-0..n-1 has its one correct result (read straight from the cluster). */
async function allFinished(prefix: string, n: number): Promise<void> {
  const missing = await eventually(`every ${prefix} job to finish`, async () => {
    // the last jobs first (cheap), then all of them
    const tail = await Promise.all(Array.from({ length: 20 }, (_, i) => admin.get(`packetfs:results:${prefix}-${n - 1 - i}`)));
    if (tail.includes(null)) return undefined;
    const values = await Promise.all(Array.from({ length: n }, (_, i) => admin.get(`packetfs:results:${prefix}-${i}`)));
    const open = values.flatMap((v, i) => (v === null ? [i] : []));
    return open.length === 0 ? values : undefined;
  }, 40_000);
  missing.forEach((raw, i) => {
    const record = JSON.parse(raw!) as { job_id: string; status: string; result: unknown };
    assert.equal(record.status, 'succeeded', `${prefix}-${i}`);
    assert.deepEqual(record.result, { count: i % 65, bytes: 64 }, `${prefix}-${i}`);
  });
}

describe('packetfs serve on a Redis Cluster', () => {
  it('a dispatcher SIGKILLed mid-run: another one finishes every accepted job exactly once', { timeout: 90_000 }, async () => {
    const first = await dispatcher('first');
    await submit(first, 'kill', 0, 1000);
    await submit(first, 'kill', 1000, 2000);
    await first.kill();
    running.splice(running.indexOf(first), 1);
    await dispatcher('second');
    await allFinished('kill', 2000);
    const metrics = (await admin.lrange('packetfs:metrics', 0, -1)).map((m) => (JSON.parse(m) as { job_id: string }).job_id).filter((id) => id.startsWith('kill-'));
    // a metric is pushed by a second command after the decision (other slot): a batch cut off between the two can be counted twice
    assert.equal(new Set(metrics).size, 2000, 'every job has a metric');
  });

  it('a master SIGKILLed mid-run: its replica takes over and no acknowledged job is lost', { timeout: 90_000 }, async () => {
    const p = running[0] ?? await dispatcher('failover');
    await submit(p, 'fo', 0, 1000);
    const victim = await cluster.masterOf(`{${shardTags('default', 3)[0]}}`);
    await cluster.kill(victim);
    await submit(p, 'fo', 1000, 1500);
    await cluster.waitHealthy();
    await submit(p, 'fo', 1500, 2000);
    await allFinished('fo', 2000);
    assert.notEqual(await cluster.masterOf(`{${shardTags('default', 3)[0]}}`), victim, 'a replica was promoted');
  });
});
