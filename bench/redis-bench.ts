/**
 * PacketFS on Redis side by side with BullMQ: same redis-server, same
 * machine, same script, the same 100,000 tiny jobs (64 inline bytes,
 * counteq(42) computed for real, answer 16).
 *
 *   BullMQ    one producer process (Queue.addBulk, chunks of CHUNK) and one
 *             worker process (Worker, concurrency BULLMQ_CONCURRENCY, which
 *             computes counteq and returns it; removeOnComplete keeps the
 *             last 1,000 so Redis memory does not grow with the run).
 *   PacketFS  one producer process (normalizeJobs + RedisJobStore.enqueue,
 *             chunks of CHUNK: what POST /v1/jobs does, minus HTTP) and 1, 2
 *             and 3 `packetfs serve --redis` dispatcher processes (default
 *             settings: local worker-thread pool, one thread per core).
 *
 * End to end = first add → last completion, both stamped by the queue
 * itself (BullMQ's job.finishedOn, PacketFS's completed_at). Per-job
 * latency = completion − submission (BullMQ job.timestamp, PacketFS
 * created_at). Consumers are started and ready before the producer; Redis
 * is FLUSHALLed between runs. Every result is checked.
 *
 *   node --import tsx bench/redis-bench.ts     (BENCH_JOBS=… to change the count,
 *                                               BENCH_THREADS=… for serve --threads,
 *                                               BENCH_DISPATCHERS=1,2,3, BENCH_PRODUCERS=http,store,
 *                                               BENCH_TOPOLOGIES=standalone,cluster)
 *
 * Besides throughput, each PacketFS row reports the CPU time per job of
 * Redis (INFO cpu, summed over the masters) and of the dispatcher processes
 * (/proc/<pid>/stat): what limits a run, and the per-shard sizing model in
 * BENCHMARKS.md.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { redisKeys, type RedisKeys } from '../src/store/redis/redis-keys.js';
import { shardOf, shardTags } from '../src/store/redis/queue-shards.js';
import { startRedisCluster, type RedisCluster } from '../test/helpers/redis-cluster.js';
import { parseJobState } from '../src/store/redis/job-state.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { startServe, type ServeProcess } from '../test/redis-e2e/serve-process.js';
import { processCpuMs } from './serve-process.js';
import { summarize, table } from './stats.js';
import { TINY_COUNT } from './redis-bench-jobs.js';
import { siblingModule } from './sibling-module.js';

export interface RedisBenchOptions {
  jobs?: number;
  /** jobs per addBulk / enqueue call */
  chunk?: number;
  /** BullMQ Worker concurrency: past ~100 it stops helping on this kind of job, below it leaves Redis idle */
  bullmqConcurrency?: number;
  /** the PacketFS runs: how many dispatcher processes each */
  dispatchers?: number[];
  /** producers of the PacketFS runs: 'store' (RedisJobStore.enqueue, chunks of `chunk`), 'http' (POST /v1/jobs, chunks of `httpChunk`) */
  producers?: ('store' | 'http')[];
  /** jobs per POST in the http runs; default 10,000 (the API's batch limit) */
  httpChunk?: number;
  /** local worker threads per dispatcher (serve --threads); default: serve's default, one per core */
  threads?: number;
  /** where the PacketFS runs' queue lives: one redis-server, and/or a 3-master Redis Cluster (3 shards); default standalone */
  topologies?: Topology[];
}

export type Topology = 'standalone' | 'cluster';

/**
 * Where a PacketFS run's queue lives, and what the bench needs from it:
 * the flags for `serve` and the producer, a client to check results with,
 * and the CPU time Redis spent (INFO cpu, summed over the masters).
 */
interface Target {
  topology: Topology;
  serve: string | string[];
  producer: string;
  admin: Redis | Cluster;
  shards: RedisKeys[];
  flush(): Promise<void>;
  redisCpuMs(): Promise<number>;
}

export interface RedisBenchRow {
  system: string;
  topology: Topology | 'standalone (BullMQ)';
  producer: string;
  consumers: number;
  jobs: number;
  seconds: number;
  jobsPerSec: number;
  latencyMs: { p50: number; p99: number; mean: number };
  /** jobs/s ÷ BullMQ's jobs/s */
  vsBullmq: number;
  /** CPU time per job: redis-server(s), all dispatcher processes together (PacketFS rows) */
  redisCpuUsPerJob?: number;
  dispatcherCpuUsPerJob?: number;
}


export async function benchRedis(opts: RedisBenchOptions = {}): Promise<{ rows: RedisBenchRow[]; bullmqVersion: string; redisVersion: string }> {
  const jobs = opts.jobs ?? 100_000;
  const chunk = opts.chunk ?? 1_000;
  const server = await startRedis();
  const redis = new Redis(server.url);
  let cluster: RedisCluster | undefined;
  const dir = await mkdtemp(join(tmpdir(), 'pfs-redis-bench-'));
  try {
    const info = await redis.info('server');
    const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    const bullmqVersion = (await import('bullmq/package.json', { with: { type: 'json' } })).default.version as string;
    await prefault(redis, jobs);
    await redis.flushall();
    const bull = await runBullmq(server.url, jobs, chunk, opts.bullmqConcurrency ?? 100);
    const rows: RedisBenchRow[] = [{ system: `BullMQ ${bullmqVersion} (concurrency ${opts.bullmqConcurrency ?? 100})`, topology: 'standalone (BullMQ)', producer: `addBulk ${chunk}`, consumers: 1, ...bull, vsBullmq: 1 }];
    for (const topology of opts.topologies ?? ['standalone']) {
      if (topology === 'cluster') cluster = await startRedisCluster({ masters: 3 });
      const target = topology === 'cluster' ? clusterTarget(cluster!) : standaloneTarget(server.url, redis);
      try {
        for (const producer of opts.producers ?? ['http', 'store']) {
          const size = producer === 'http' ? opts.httpChunk ?? 10_000 : chunk;
          for (const n of opts.dispatchers ?? [1, 2, 3]) {
            await target.flush();
            const r = await runPacketfs(target, join(dir, `run-${topology}-${producer}-${n}`), jobs, size, n, opts.threads, producer === 'http');
            rows.push({ system: 'PacketFS', topology, producer: producer === 'http' ? `POST /v1/jobs ${size}` : `store.enqueue ${size}`, consumers: n, ...r, vsBullmq: r.jobsPerSec / bull.jobsPerSec });
          }
        }
      } finally {
        if (topology === 'cluster') target.admin.disconnect();
      }
    }
    return { rows, bullmqVersion, redisVersion };
  } finally {
    redis.disconnect();
    await server.stop();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function standaloneTarget(url: string, redis: Redis): Target {
  return {
    topology: 'standalone', serve: url, producer: url, admin: redis, shards: [redisKeys('packetfs', 'default')],
    flush: async () => { await redis.flushall(); },
    redisCpuMs: () => cpuMs(redis),
  };
}

/** The cluster as `serve --redis-cluster` uses it by default: 3 shards; no replicas here, so no WAIT. */
function clusterTarget(cluster: RedisCluster): Target {
  const admin = new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })), { scaleReads: 'master' });
  const masters = () => admin.nodes('master');
  return {
    topology: 'cluster', serve: cluster.nodes, producer: `cluster:${cluster.nodes.join(',')}`, admin,
    shards: shardTags('default', 3).map((tag) => redisKeys('packetfs', 'default', tag)),
    flush: async () => { await Promise.all(masters().map((m) => m.flushall())); },
    redisCpuMs: async () => (await Promise.all(masters().map(cpuMs))).reduce((a, b) => a + b, 0),
  };
}

async function cpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/** CPU ms of a serve child so far; 0 for one that never started or is gone. */
function serveCpuMs(pid: number | undefined): Promise<number> {
  return pid === undefined ? Promise.resolve(0) : processCpuMs(pid).catch(() => 0);
}

export function redisBenchTable(rows: RedisBenchRow[]): string {
  return table(rows.map((r) => ({
    system: r.system, redis: r.topology, producer: r.producer, processes: `1 producer + ${r.consumers}`, jobs: r.jobs, 'jobs/s': Math.round(r.jobsPerSec),
    'p50 ms': r.latencyMs.p50, 'p99 ms': r.latencyMs.p99, 'vs BullMQ': `${r.vsBullmq.toFixed(2)}x`,
    'redis CPU µs/job': r.redisCpuUsPerJob === undefined ? '' : r.redisCpuUsPerJob.toFixed(1),
    'dispatchers CPU µs/job': r.dispatcherCpuUsPerJob === undefined ? '' : r.dispatcherCpuUsPerJob.toFixed(1),
  })));
}

/**
 * Touches the memory the runs will need, then frees it. On some VMs the first
 * touch of a page costs ~100 µs (a fresh redis-server wrote 100,000 new
 * hashes 5x slower than the same after a FLUSHALL): without this, whichever
 * system runs first pays for it. jemalloc keeps the freed pages for reuse.
 */
async function prefault(redis: Redis, jobs: number): Promise<void> {
  const keys = jobs * 2;
  for (let i = 0; i < keys; i += 20_000) {
    await redis.eval("for i = ARGV[1], ARGV[2] do redis.call('SET', 'warm:' .. i, string.rep('x', 1000)) end", 0, i, Math.min(keys, i + 20_000) - 1);
  }
}

type RunResult = Omit<RedisBenchRow, 'system' | 'topology' | 'producer' | 'consumers' | 'vsBullmq'>;

async function runBullmq(url: string, jobs: number, chunk: number, concurrency: number): Promise<RunResult> {
  const queue = `bench-${Date.now()}`;
  const worker = child('redis-bench-bullmq-worker', [url, queue, String(jobs), String(concurrency)]);
  await worker.next();
  const producer = child('redis-bench-bullmq-producer', [url, queue, String(jobs), String(chunk)]);
  const { firstAddAt } = await producer.next() as { firstAddAt: number };
  const done = await worker.next() as { lastFinishedOn: number; wrong: number; latencyMs: RunResult['latencyMs'] };
  await Promise.all([producer.exited, worker.exited]);
  if (done.wrong !== 0) throw new Error(`BullMQ: ${done.wrong} wrong results`);
  const seconds = (done.lastFinishedOn - firstAddAt) / 1000;
  return { jobs, seconds, jobsPerSec: jobs / seconds, latencyMs: done.latencyMs };
}

async function runPacketfs(target: Target, dir: string, jobs: number, chunk: number, dispatchers: number, threads: number | undefined, http: boolean): Promise<RunResult> {
  const serves: ServeProcess[] = [];
  try {
    const flags = [...(threads === undefined ? [] : ['--threads', String(threads)]), ...(target.topology === 'cluster' ? ['--redis-wait-replicas', '0'] : [])];
    for (let i = 0; i < dispatchers; i++) serves.push(await startServe(target.serve, join(dir, `d${i}`), flags));
    const cpu0 = await Promise.all([target.redisCpuMs(), ...serves.map((s) => serveCpuMs(s.child.pid))]);
    // over HTTP the batches go to the dispatchers in turn, as behind a load balancer
    const producer = child('redis-bench-packetfs-producer', [target.producer, String(jobs), String(chunk), ...(http ? [serves.map((s) => s.url).join(',')] : [])]);
    const { firstAddAt } = await producer.next() as { firstAddAt: number };
    await producer.exited;
    const finished = async () => (await Promise.all(target.shards.map((k) => target.admin.zcard(k.index.succeeded)))).reduce((a, b) => a + b, 0);
    while (await finished() < jobs) await new Promise((r) => setTimeout(r, 20));
    const cpu1 = await Promise.all([target.redisCpuMs(), ...serves.map((s) => serveCpuMs(s.child.pid))]);
    let last = 0;
    const latencies: number[] = new Array(jobs);
    const base = target.shards[0]!;
    for (let i = 0; i < jobs; i += 10_000) {
      const ids = Array.from({ length: Math.min(10_000, jobs - i) }, (_, j) => `b-${i + j}`);
      const [records, states] = await Promise.all([
        Promise.all(ids.map((id) => target.admin.get(base.result(id)))),
        Promise.all(ids.map((id) => target.admin.hget(target.shards[shardOf(id, target.shards.length)]!.state, id))),
      ]);
      for (let j = 0; j < ids.length; j++) {
        const record = JSON.parse(records[j]!) as { result: { count: number }; completed_at: string };
        if (record.result.count !== TINY_COUNT) throw new Error(`PacketFS: wrong result for ${ids[j]}`);
        const completed = Date.parse(record.completed_at);
        if (completed > last) last = completed;
        latencies[i + j] = completed - Date.parse(parseJobState(states[j]!)!.createdAt);
      }
    }
    const seconds = (last - firstAddAt) / 1000;
    const dispatcherCpu = cpu1.slice(1).reduce((a, b) => a + b, 0) - cpu0.slice(1).reduce((a, b) => a + b, 0);
    return {
      jobs, seconds, jobsPerSec: jobs / seconds, latencyMs: summarize(latencies),
      redisCpuUsPerJob: ((cpu1[0]! - cpu0[0]!) * 1000) / jobs, dispatcherCpuUsPerJob: (dispatcherCpu * 1000) / jobs,
    };
  } finally {
    await Promise.all(serves.map((s) => s.stop()));
  }
}

/** A bench child process (a sibling module) whose JSON stdout lines are read one by one. */
function child(name: string, args: string[]) {
  const sibling = siblingModule(import.meta.url, name);
  const proc = spawn(process.execPath, [...sibling.execArgv, sibling.path, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise<void>((resolve, reject) => proc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}`)))));
  return {
    exited,
    next: async (): Promise<Record<string, unknown>> => {
      const line = await Promise.race([lines.next(), exited.then(() => ({ done: true as const, value: undefined }))]);
      if (line.done) throw new Error(`${name} ended without reporting`);
      return JSON.parse(line.value) as Record<string, unknown>;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const threads = process.env.BENCH_THREADS === undefined ? {} : { threads: Number(process.env.BENCH_THREADS) };
  const dispatchers = process.env.BENCH_DISPATCHERS === undefined ? {} : { dispatchers: process.env.BENCH_DISPATCHERS.split(',').map(Number) };
  const producers = process.env.BENCH_PRODUCERS === undefined ? {} : { producers: process.env.BENCH_PRODUCERS.split(',') as ('store' | 'http')[] };
  const topologies = process.env.BENCH_TOPOLOGIES === undefined ? {} : { topologies: process.env.BENCH_TOPOLOGIES.split(',') as Topology[] };
  const result = await benchRedis({ jobs: Number(process.env.BENCH_JOBS ?? 100_000), ...threads, ...dispatchers, ...producers, ...topologies });
  console.log(`\nRedis ${result.redisVersion}: 64-byte counteq jobs, end to end\n` + redisBenchTable(result.rows));
}
