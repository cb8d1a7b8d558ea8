/**
 * Where the Redis store's time and memory go, per job: one private
 * redis-server, the store alone (no dispatcher), N tiny jobs enqueued, taken
 * and completed in batches of 1,000. For each phase, Redis's own accounting
 * (INFO commandstats after CONFIG RESETSTAT: µs spent inside EVALSHA and the
 * other commands, divided by the jobs) next to the client's wall time; then
 * the memory each finished job holds (used_memory before/after, and MEMORY
 * USAGE of one job's keys), and the slowest calls (SLOWLOG).
 *
 *   npm run bench -- redis-profile        (BENCH_JOBS=… to change N, BENCH_OUTBOX=1 for cluster mode)
 */
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { JobSpec, MetricRecord, ResultRecord } from '../src/job/types.js';
import type { Completion, Lease } from '../src/store/job-store.js';
import { RedisJobStore } from '../src/store/redis/redis-store.js';
import { redisKeys } from '../src/store/redis/redis-keys.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { normalizeJobs } from '../src/job/index.js';
import { TINY_DATA, TINY_IMM } from './redis-bench-jobs.js';

const BATCH = 1000;

export interface ProfileRow { phase: string; 'wall µs/job': number; 'redis µs/job': number; 'calls/batch': number; 'inside (total)': string }
export interface RedisProfile { jobs: number; rows: ProfileRow[]; bytesPerFinishedJob: number; keyBytes: Record<string, number>; slowlog: string[] }

export function completion(lease: Lease): Completion {
  const completed = new Date().toISOString();
  const result: ResultRecord = {
    job_id: lease.job.job_id, status: 'succeeded', success: true, substrate: 'local', result: { count: 16, bytes: 64 },
    exec_time_ms: 0.004, queue_time_ms: 12, bytes_processed: 64, cost_usd: 0, attempts: lease.attempt, error: null,
    completed_at: completed,
  };
  const metric: MetricRecord = {
    timestamp: completed, job_id: result.job_id, substrate: 'local', success: true, status: 'succeeded',
    exec_time_ms: 0.004, queue_time_ms: 12, bytes_processed: 64, cost_usd: 0, attempts: lease.attempt,
  };
  return { lease, result, metric };
}

/**
 * Redis's time in this phase: EVALSHA's µs (which include the commands the
 * scripts run) plus commands sent directly; calls counts every command, those
 * run inside scripts too, and `top` names where the time went inside.
 */
async function commandStats(redis: Redis): Promise<{ usec: number; calls: number; top: string }> {
  const info = await redis.info('commandstats');
  let usec = 0;
  let calls = 0;
  const inner: [string, number][] = [];
  for (const m of info.matchAll(/^cmdstat_(\w+):calls=(\d+),usec=(\d+)/gm)) {
    const [name, n, us] = [m[1]!, Number(m[2]), Number(m[3])];
    if (name === 'info' || name === 'config' || name === 'slowlog') continue;
    calls += n;
    if (name === 'evalsha' || name === 'eval') usec += us;
    else inner.push([name, us]);
  }
  inner.sort((a, b) => b[1] - a[1]);
  return { usec, calls, top: inner.slice(0, 4).map(([n, us]) => `${n} ${Math.round(us / 1000)}ms`).join(', ') };
}

export async function profileRedis(jobs = 20_000, outbox = false): Promise<RedisProfile> {
  const server = await startRedis();
  const admin = new Redis(server.url);
  const store = await RedisJobStore.connect(server.url, { ingress: false, outbox, maintenanceMs: 3_600_000 });
  const keys = redisKeys('packetfs', 'default');
  const rows: ProfileRow[] = [];
  try {
    const specs: JobSpec[][] = [];
    for (let i = 0; i < jobs; i += BATCH) {
      specs.push(normalizeJobs(Array.from({ length: Math.min(BATCH, jobs - i) }, (_, j) => ({ job_id: `b-${i + j}`, program: { op: 'counteq', imm: TINY_IMM, data: TINY_DATA } }))));
    }
    await admin.config('SET', 'slowlog-log-slower-than', '1000');
    await admin.slowlog('RESET');
    // the script cache and Redis's allocator warmed, so the first phase does not pay for them alone
    await store.enqueue(normalizeJobs([{ job_id: 'warm', program: { op: 'counteq', imm: 1, data: TINY_DATA } }]));
    await store.complete((await store.take(1, 60_000)).map(completion));
    await admin.del(keys.result('warm'));
    await admin.hdel(keys.state, 'warm');
    await admin.ltrim(keys.finished, 1, 0);
    await admin.ltrim(keys.metrics, 1, 0);
    const memBefore = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    const leases: Lease[][] = [];
    const phase = async (name: string, run: () => Promise<void>, batches: number) => {
      await admin.config('RESETSTAT');
      const t0 = performance.now();
      await run();
      const wall = performance.now() - t0;
      const stats = await commandStats(admin);
      rows.push({ phase: name, 'wall µs/job': round(wall * 1000 / jobs), 'redis µs/job': round(stats.usec / jobs), 'calls/batch': round(stats.calls / batches), 'inside (total)': stats.top });
    };
    const batches = specs.length;
    await phase('enqueue', async () => { for (const s of specs) await store.enqueue(s); }, batches);
    await phase('take', async () => { for (let i = 0; i < batches; i++) leases.push(await store.take(BATCH, 600_000)); }, batches);
    await phase('complete', async () => { for (const l of leases) await store.complete(l.map(completion)); }, batches);
    const memAfter = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    const keyBytes: Record<string, number> = {};
    const sample = `b-${Math.floor(jobs / 2)}`;
    keyBytes['result (compat) key'] = (await admin.memory('USAGE', keys.result(sample)) as number | null) ?? 0;
    keyBytes['state value chars'] = ((await admin.hget(keys.state, sample)) ?? '').length;
    const slow = await admin.slowlog('GET', 5) as [number, number, number, string[]][];
    return {
      jobs, rows, bytesPerFinishedJob: Math.round((memAfter - memBefore) / jobs), keyBytes,
      slowlog: slow.map((e) => `${e[2]} µs ${e[3].slice(0, 3).join(' ').slice(0, 60)}`),
    };
  } finally {
    await store.close();
    admin.disconnect();
    await server.stop();
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const p = await profileRedis(Number(process.env.BENCH_JOBS ?? 20_000), process.env.BENCH_OUTBOX === '1');
  console.table(p.rows);
  console.log(`bytes per finished job (used_memory delta / jobs): ${p.bytesPerFinishedJob}`, p.keyBytes);
  console.log('slowlog:', p.slowlog);
}
