/**
 * Redis's work per job in instructions, not seconds: a redis-server run
 * under valgrind's callgrind, the store alone driving it (enqueue, take,
 * complete in batches of 1,000, as in redis-profile), and callgrind's count
 * of instructions the server executed during each phase, divided by the
 * jobs. The count does not depend on how busy the machine is, so two
 * versions of the scripts can be compared on a shared, loaded machine where
 * CPU-time measurements move by ±30% between runs. A first round warms the
 * script cache and leaves the queue's hashes past their small encodings; the
 * second round is the one counted.
 *
 *   npm run bench -- redis-instructions     (needs valgrind; BENCH_JOBS=… to change N, default 3,000)
 *
 * BENCH_CALLGRIND_DIR=<dir> keeps the per-phase dumps there (for
 * `callgrind_annotate <dir>/cg.<pid>.<n>`: which functions the instructions go to).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { normalizeJobs } from '../src/job/index.js';
import type { JobSpec } from '../src/job/types.js';
import type { Lease } from '../src/store/job-store.js';
import { RedisJobStore } from '../src/store/redis/redis-store.js';
import { freePort, redisServerBin } from '../test/helpers/redis-server.js';
import { completion } from './redis-profile.js';
import { TINY_DATA, TINY_IMM } from './redis-bench-jobs.js';

const run = promisify(execFile);
const BATCH = 1000;

export interface InstructionsRow { phase: string; 'Redis instructions/job': number }

export async function redisInstructions(jobs = 3000): Promise<{ jobs: number; rows: InstructionsRow[] }> {
  const keep = process.env.BENCH_CALLGRIND_DIR;
  const dir = keep ?? await mkdtemp(join(tmpdir(), 'pfs-callgrind-'));
  const port = await freePort();
  const server = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${join(dir, 'cg.%p')}`, redisServerBin(),
    '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', '--port', String(port)], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const redis = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => { /* retried below while valgrind starts the server */ });
  let store: RedisJobStore | undefined;
  try {
    await untilAnswers(redis, exited);
    store = await RedisJobStore.connect(`redis://127.0.0.1:${port}`, { ingress: false, maintenanceMs: 3_600_000 });
    const pid = String(server.pid);
    /** instructions executed since the last zeroing: dump, read the newest dump's total */
    const counted = async (): Promise<number> => {
      await run('callgrind_control', ['--dump', pid]);
      const dumps = (await readdir(dir)).filter((f) => /^cg\.\d+\.\d+$/.test(f)).sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]));
      const text = await readFile(join(dir, dumps.at(-1)!), 'utf8');
      return Number(/^(?:summary|totals): (\d+)/m.exec(text)?.[1]);
    };
    let rows: InstructionsRow[] = [];
    for (const round of ['warm', 'counted']) {
      rows = [];
      const batches: JobSpec[][] = [];
      for (let i = 0; i < jobs; i += BATCH) {
        batches.push(normalizeJobs(Array.from({ length: Math.min(BATCH, jobs - i) }, (_, j) => ({ job_id: `${round}-${i + j}`, program: { op: 'counteq', imm: TINY_IMM, data: TINY_DATA } }))));
      }
      const leases: Lease[][] = [];
      const phase = async (name: string, work: () => Promise<void>) => {
        await run('callgrind_control', ['--zero', pid]);
        await work();
        rows.push({ phase: name, 'Redis instructions/job': Math.round(await counted() / jobs) });
      };
      await phase('enqueue', async () => { for (const b of batches) await store!.enqueue(b); });
      await phase('take', async () => { for (let i = 0; i < batches.length; i++) leases.push(await store!.take(BATCH, 600_000)); });
      await phase('complete', async () => { for (const l of leases) await store!.complete(l.map(completion)); });
    }
    rows.push({ phase: 'total', 'Redis instructions/job': rows.reduce((n, r) => n + r['Redis instructions/job'], 0) });
    return { jobs, rows };
  } finally {
    await store?.close();
    redis.disconnect();
    server.kill('SIGTERM');
    await exited;
    if (keep === undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** valgrind takes seconds to start redis-server: PING until it answers (bounded). */
async function untilAnswers(redis: Redis, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => { gone = true; });
  for (let i = 0; i < 300 && !gone; i++) {
    try {
      if (redis.status === 'wait' || redis.status === 'end') await redis.connect();
      await redis.ping();
      return;
    } catch {
      redis.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(gone ? 'valgrind exited (is it installed? apt-get install valgrind)' : 'redis-server under valgrind did not answer within 60 s');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await redisInstructions(Number(process.env.BENCH_JOBS ?? 3000));
  console.table(r.rows);
}
