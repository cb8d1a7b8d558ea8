import { mkdtemp, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { Dispatcher } from '../src/dispatcher/dispatcher.js';
import type { JobSpec, MetricRecord, ResultRecord } from '../src/job/types.js';
import { normalizeJobs } from '../src/job/index.js';
import { silentLogger } from '../src/logger.js';
import type { JobStore } from '../src/store/job-store.js';
import { MemoryJobStore } from '../src/store/memory/memory-store.js';
import { SqliteJobStore } from '../src/store/sqlite/sqlite-store.js';
import { metricOf } from '../src/store/terminal-records.js';
import { benchInProcess, runBatches } from './dispatcher-bench.js';
import { benchHttp } from './http-bench.js';
import { tinyJobs } from './stats.js';

/**
 * The SQLite store against its peers, all in one run (the machine is shared
 * and noisy: only ratios within a run mean much):
 *   limit   plain better-sqlite3, WAL + synchronous=NORMAL, batches of 1,000
 *           in one transaction: INSERT of a 300-byte row, then UPDATE of it
 *           (the floor any SQLite queue pays per job: one insert, one update)
 *   store   the JobStore alone: enqueue, take, complete in batches of 1,000,
 *           memory vs SQLite
 *   inproc  the SDK Dispatcher with the local pool, memory vs SQLite
 *   http    `packetfs serve` with batches of 10,000 over HTTP, memory vs SQLite
 */
export async function benchSqlite(opts: { jobs?: number } = {}) {
  const jobs = opts.jobs ?? 100_000;
  const limit = await plainLimit(jobs);
  const storeMemory = await storeLoop(() => Promise.resolve(new MemoryJobStore()), jobs);
  const storeSqlite = await withDir((dir) => storeLoop(async () => SqliteJobStore.open(dir), jobs));
  const inprocMemory = await benchInProcess({ jobs, lone: 300, store: 'memory' });
  const inprocSqlite = await benchInProcess({ jobs, lone: 300, store: 'sqlite' });
  const httpMemory = await benchHttp({ jobs, lone: 100, store: 'memory' });
  const httpSqlite = await benchHttp({ jobs, lone: 100, store: 'sqlite' });
  return {
    jobs,
    limit,
    store: { memory: storeMemory, sqlite: storeSqlite },
    inproc: { memory: pick(inprocMemory), sqlite: pick(inprocSqlite) },
    http: { memory: pick(httpMemory), sqlite: pick(httpSqlite) },
  };
}

function pick(r: { jobsPerSec: number; cpuUsPerJob: number; loneLatencyMs: { p50: number; p99: number } }) {
  return { jobsPerSec: Math.round(r.jobsPerSec), cpuUsPerJob: Math.round(r.cpuUsPerJob * 10) / 10, loneP50Ms: r.loneLatencyMs.p50, loneP99Ms: r.loneLatencyMs.p99 };
}

async function plainLimit(n: number) {
  return withDir(async (dir) => {
    const db = new Database(join(dir, 'plain.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE q (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, state INTEGER NOT NULL, result TEXT)');
    const insert = db.prepare('INSERT INTO q (payload, state) VALUES (?, 0)');
    const update = db.prepare('UPDATE q SET state = 2, result = ? WHERE id = ?');
    const payload = 'x'.repeat(300);
    const inserts = db.transaction((count: number) => {
      const ids: number[] = new Array(count);
      for (let i = 0; i < count; i++) ids[i] = Number(insert.run(payload).lastInsertRowid);
      return ids;
    });
    const updates = db.transaction((ids: number[]) => {
      for (const id of ids) update.run('{"count":64,"bytes":64}', id);
    });
    let insertMs = 0;
    let updateMs = 0;
    for (let done = 0; done < n; done += 1000) {
      const t0 = performance.now();
      const ids = inserts(Math.min(1000, n - done));
      const t1 = performance.now();
      updates(ids);
      insertMs += t1 - t0;
      updateMs += performance.now() - t1;
    }
    db.close();
    return { insertsPerSec: Math.round(n / insertMs * 1000), updatesPerSec: Math.round(n / updateMs * 1000), jobsPerSec: Math.round(n / (insertMs + updateMs) * 1000) };
  });
}

/** enqueue → take → complete through the store alone, batches of 1,000, on normalised specs made beforehand. */
async function storeLoop(open: () => Promise<JobStore>, n: number) {
  const store = await open();
  try {
    const raw = tinyJobs(n, 'store');
    const specs: JobSpec[] = [];
    for (let i = 0; i < n; i += 10_000) specs.push(...normalizeJobs(raw.slice(i, i + 10_000)));
    const t0 = performance.now();
    for (let i = 0; i < n; i += 1000) {
      await store.enqueue(specs.slice(i, i + 1000));
      const leases = await store.take(1000, 30_000);
      await store.complete(leases.map((lease) => {
        const result: ResultRecord = {
          job_id: lease.job.job_id, status: 'succeeded', success: true, substrate: 'local', result: { count: 64, bytes: 64 },
          exec_time_ms: 0.01, queue_time_ms: 0.1, bytes_processed: 64, cost_usd: 0, attempts: lease.attempt, error: null,
          completed_at: new Date().toISOString(),
        };
        const metric: MetricRecord = metricOf(result);
        return { lease, result, metric };
      }));
    }
    return { jobsPerSec: Math.round(n / (performance.now() - t0) * 1000) };
  } finally {
    await store.close();
  }
}

/**
 * Sustained load: `jobs` tiny jobs through the SDK Dispatcher (local pool),
 * batches of 10,000. Default retention applies (SQLite keeps 1,000,000
 * results, memory 100,000), so both should level off. RSS is read three ways:
 *   idle      after a warm-up of 20,000 jobs (threads started, JIT warm,
 *             nothing queued), after a full GC when node runs with --expose-gc
 *   steady    every 250 ms on a timer all through the run, never after a
 *             forced GC: the peak a process monitor would see, garbage included
 *   post-GC   after every million jobs (sampleEvery), after a full GC
 *             (--expose-gc) and a pause of settleMs (default 1 s): what the
 *             process retains. The pause matters: V8 hands the pages a GC
 *             freed back to the OS from a background thread, after the GC
 *             returns, so RSS read at once still holds some of them (measured:
 *             memory store, 1M jobs, +147 MiB over idle after a 1 s pause, up
 *             to +433 read at once). Both readings are reported ('at once').
 * Idle gets the same GC and pause. The database file size is read at every
 * sample too (SQLite). Throughput leaves the pauses out.
 */
export async function benchRetention(opts: { jobs?: number; store: 'memory' | 'sqlite'; sampleEvery?: number; settleMs?: number }) {
  const total = opts.jobs ?? 10_000_000;
  const settleMs = opts.settleMs ?? 1000;
  const gc = (globalThis as { gc?: () => void }).gc;
  const collect = async (): Promise<number> => {
    gc?.();
    const atOnce = rawRssMiB();
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return atOnce;
  };
  return withDir(async (dir) => {
    const d = await Dispatcher.create({ dataDir: dir, storeKind: opts.store, logger: silentLogger });
    let steadyPeakMiB = 0;
    const sampler = setInterval(() => { steadyPeakMiB = Math.max(steadyPeakMiB, rawRssMiB()); }, 250);
    try {
      await runBatches(d, tinyJobs(20_000, 'warm'), 10_000);
      await collect();
      const idleRssMiB = rawRssMiB();
      const idleMem = process.memoryUsage();
      const idleHeapMiB = mib(idleMem.heapTotal);
      const idleHeapUsedMiB = mib(idleMem.heapUsed);
      steadyPeakMiB = idleRssMiB;
      const samples: Array<{ jobs: number; rssMiB: number; rssAtOnceMiB: number; steadyPeakMiB: number; heapMiB: number; heapUsedMiB: number; externalMiB: number; dbMiB: number; walMiB: number; seconds: number }> = [];
      const t0 = performance.now();
      let pausedMs = 0;
      const chunk = Math.min(opts.sampleEvery ?? 1_000_000, total);
      for (let done = 0; done < total; done += chunk) {
        const n = Math.min(chunk, total - done);
        for (let i = 0; i < n; i += 100_000) await runBatches(d, tinyJobs(Math.min(100_000, n - i), `r${done + i}`), 10_000);
        steadyPeakMiB = Math.max(steadyPeakMiB, rawRssMiB());
        const p0 = performance.now();
        const rssAtOnceMiB = await collect();
        pausedMs += performance.now() - p0;
        const files = dbMiB(dir);
        // this thread's heap and the off-heap memory it tracks (buffers): what RSS holds beyond them is the other threads' heaps and native memory
        const mem = process.memoryUsage();
        samples.push({
          jobs: done + n, rssMiB: rawRssMiB(), rssAtOnceMiB, steadyPeakMiB, heapMiB: mib(mem.heapTotal), heapUsedMiB: mib(mem.heapUsed), externalMiB: mib(mem.external),
          dbMiB: files.db, walMiB: files.wal, seconds: Math.round((performance.now() - t0 - pausedMs) / 1000),
        });
      }
      const seconds = (performance.now() - t0 - pausedMs) / 1000;
      const peakRssMiB = Math.max(...samples.map((s) => s.rssMiB));
      const peakAtOnceMiB = Math.max(...samples.map((s) => s.rssAtOnceMiB));
      return {
        store: opts.store, jobs: total, jobsPerSec: Math.round(total / seconds), forcedGc: gc !== undefined, settleMs, idleRssMiB, idleHeapMiB, idleHeapUsedMiB, peakRssMiB,
        finalRssMiB: samples.at(-1)?.rssMiB ?? idleRssMiB, overIdleMiB: peakRssMiB - idleRssMiB, atOnceOverIdleMiB: peakAtOnceMiB - idleRssMiB, steadyPeakMiB, steadyOverIdleMiB: steadyPeakMiB - idleRssMiB, samples,
      };
    } finally {
      clearInterval(sampler);
      await d.close();
    }
  });
}

function rawRssMiB(): number {
  return mib(process.memoryUsage.rss());
}

function mib(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}

/** Size of the database file and of its write-ahead log (memory store: no files, 0). */
function dbMiB(dir: string): { db: number; wal: number } {
  const size = (f: string) => {
    try {
      return Math.round(statSync(join(dir, f)).size / 1024 / 1024);
    } catch {
      return 0;
    }
  };
  return { db: size('packetfs.db'), wal: size('packetfs.db-wal') };
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-sqlite-bench-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
