/**
 * PacketFS side of the Redis benchmark, producer process. Two modes:
 *   store  validates the same tiny jobs as a user's submit would
 *          (normalizeJobs) and stores them with RedisJobStore.enqueue in
 *          chunks of CHUNK, one chunk at a time — the store call behind
 *          POST /v1/jobs, and the counterpart of BullMQ's Queue.addBulk;
 *   http   POSTs the jobs to a dispatcher's /v1/jobs in chunks of CHUNK,
 *          one request at a time, as a client of `packetfs serve` would.
 * Reports the epoch ms of its first enqueue.
 *   argv: redis url (or cluster:host:port,…), jobs, chunk[, dispatcher urls, comma-separated (http mode: batches go to each in turn)]
 */
import { normalizeJobs } from '../src/job/index.js';
import { RedisJobStore } from '../src/store/redis/redis-store.js';
import { report, TINY_DATA, TINY_IMM } from './redis-bench-jobs.js';

const [url, jobsArg, chunkArg, httpUrl] = process.argv.slice(2);
const jobs = Number(jobsArg);
const chunk = Number(chunkArg);
const batch = (i: number, n: number) => Array.from({ length: n }, (_, j) => ({ job_id: `b-${i + j}`, program: { op: 'counteq', imm: TINY_IMM, data: TINY_DATA } }));

if (httpUrl !== undefined) {
  const targets = httpUrl.split(',');
  const firstAddAt = Date.now();
  for (let i = 0, k = 0; i < jobs; i += chunk, k++) {
    const res = await fetch(`${targets[k % targets.length]}/v1/jobs`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobs: batch(i, Math.min(chunk, jobs - i)) }),
    });
    if (res.status !== 202) throw new Error(`POST /v1/jobs answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  }
  report({ firstAddAt, addedAt: Date.now() });
} else {
  // "cluster:host:port,…": the store on a Redis Cluster, sharded as `serve --redis-cluster` shards it
  const store = url!.startsWith('cluster:')
    ? await RedisJobStore.connectCluster(url!.slice('cluster:'.length).split(','), { ingress: false, waitReplicas: 0 })
    : await RedisJobStore.connect(url!, { ingress: false });
  const firstAddAt = Date.now();
  for (let i = 0; i < jobs; i += chunk) await store.enqueue(normalizeJobs(batch(i, Math.min(chunk, jobs - i))));
  report({ firstAddAt, addedAt: Date.now() });
  await store.close();
}
