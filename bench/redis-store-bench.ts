/**
 * Micro-benchmark of the Redis JobStore alone (no dispatcher, no substrate):
 * enqueue 100,000 tiny jobs in batches of 1,000, then take and complete them
 * in batches of 1,000, first one batch at a time, then with several batches
 * in flight as the dispatcher runs them. For scale, the same jobs then go
 * through BullMQ on the same Redis (addBulk of 1,000, a Worker with
 * concurrency 256 and a no-op processor): the yardstick is
 * "at least 3x BullMQ end to end", and this box's load moves both alike.
 * BENCH_BULLMQ=0 skips that part; BENCH_OUTBOX=1 runs the store in outbox
 * mode (results delivered by a second round trip, as for Redis Cluster).
 *
 *   node --import tsx bench/redis-store-bench.ts            # private redis-server
 *   REDIS_URL=redis://127.0.0.1:6379 node --import tsx bench/redis-store-bench.ts
 *
 * With REDIS_URL the keys go under a fresh prefix, deleted afterwards only by
 * their TTLs (results) — point it at a scratch Redis.
 */
import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import type { JobSpec, MetricRecord, ResultRecord } from '../src/job/types.js';
import type { Completion, Lease } from '../src/store/job-store.js';
import { RedisJobStore } from '../src/store/redis/redis-store.js';
import { startRedis } from '../test/helpers/redis-server.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 100_000);
const BATCH = 1000;
const IN_FLIGHT = 4;

function tinyJob(id: string): JobSpec {
  return {
    job_id: id, program: { ops: [{ op: 'counteq', imm: 1 }], single: true, data: 'AQEC', offset: 0, length: null },
    required_memory_mb: 256, required_duration_s: 30, requires_gpu: false, requires_state: false, priority: 0,
    timeout_s: 300, created_at: '2025-01-02T03:04:05.678Z', metadata: {}, substrates: null, max_attempts: 3,
  };
}

function completion(lease: Lease): Completion {
  const result: ResultRecord = {
    job_id: lease.job.job_id, status: 'succeeded', success: true, substrate: 'local', result: { count: 2, bytes: 3 },
    exec_time_ms: 0.01, queue_time_ms: 1, bytes_processed: 3, cost_usd: 0, attempts: lease.attempt, error: null,
    completed_at: new Date().toISOString(),
  };
  const metric: MetricRecord = {
    timestamp: result.completed_at, job_id: result.job_id, substrate: 'local', success: true, status: 'succeeded',
    exec_time_ms: 0.01, queue_time_ms: 1, bytes_processed: 3, cost_usd: 0, attempts: lease.attempt,
  };
  return { lease, result, metric };
}

async function enqueueAll(store: RedisJobStore, tag: string): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < JOBS; i += BATCH) {
    await store.enqueue(Array.from({ length: Math.min(BATCH, JOBS - i) }, (_, j) => tinyJob(`${tag}-${i + j}`)));
  }
  return performance.now() - start;
}

/** `workers` loops each taking a batch and completing it, until the queue is empty. */
async function drain(store: RedisJobStore, workers: number): Promise<{ ms: number; done: number }> {
  const start = performance.now();
  let done = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    for (;;) {
      const leases = await store.take(BATCH, 60_000);
      if (leases.length === 0) return;
      const written = await store.complete(leases.map(completion));
      done += written.filter(Boolean).length;
    }
  }));
  return { ms: performance.now() - start, done };
}

/** The same number of tiny jobs through BullMQ: addBulk in batches, one Worker, no-op processor. */
async function bullmq(url: string): Promise<{ enqueueMs: number; drainMs: number }> {
  const { hostname, port } = new URL(url);
  const connection = { host: hostname, port: Number(port) };
  const name = `bench-${randomUUID().slice(0, 8)}`;
  const queue = new Queue(name, { connection });
  const start = performance.now();
  for (let i = 0; i < JOBS; i += BATCH) {
    await queue.addBulk(Array.from({ length: Math.min(BATCH, JOBS - i) }, (_, j) => ({ name: 'job', data: tinyJob(`b-${i + j}`) })));
  }
  const enqueueMs = performance.now() - start;
  const drainStart = performance.now();
  let done = 0;
  await new Promise<void>((resolve) => {
    const worker = new Worker(name, async () => null, { connection, concurrency: 256 });
    worker.on('completed', () => {
      if (++done === JOBS) void worker.close().then(() => resolve());
    });
  });
  const drainMs = performance.now() - drainStart;
  await queue.obliterate({ force: true });
  await queue.close();
  return { enqueueMs, drainMs };
}

function rate(jobs: number, ms: number): string {
  return `${Math.round(jobs / (ms / 1000)).toLocaleString('en-US')} jobs/s`.padStart(16);
}

async function main(): Promise<void> {
  const server = process.env.REDIS_URL ? null : await startRedis();
  const url = process.env.REDIS_URL ?? server!.url;
  const store = await RedisJobStore.connect(url, {
    prefix: `bench-${randomUUID().slice(0, 8)}`, ingress: false, metricsLimit: 10_000, outbox: process.env.BENCH_OUTBOX === '1',
  });
  try {
    console.log(`Redis JobStore, ${JOBS.toLocaleString('en-US')} jobs, batches of ${BATCH}`);
    for (const workers of [1, IN_FLIGHT]) {
      const enqueueMs = await enqueueAll(store, `w${workers}`);
      const { ms: drainMs, done } = await drain(store, workers);
      if (done !== JOBS) throw new Error(`completed ${done} of ${JOBS}`);
      console.log(`  ${workers} batch${workers > 1 ? 'es' : ''} in flight:` +
        ` enqueue ${rate(JOBS, enqueueMs)} | take+complete ${rate(JOBS, drainMs)} | end to end ${rate(JOBS, enqueueMs + drainMs)}` +
        ` | store calls ${rate((JOBS / BATCH) * 3, enqueueMs + drainMs).replace('jobs', 'calls')}`);
    }
    if (process.env.BENCH_BULLMQ !== '0') {
      const b = await bullmq(url);
      console.log(`  BullMQ ${(await import('bullmq/package.json', { with: { type: 'json' } })).default.version}, same jobs:` +
        ` enqueue ${rate(JOBS, b.enqueueMs)} | process ${rate(JOBS, b.drainMs)} | end to end ${rate(JOBS, b.enqueueMs + b.drainMs)}`);
    }
  } finally {
    await store.close();
    await server?.stop();
  }
}

await main();
