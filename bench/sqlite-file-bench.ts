import { mkdtemp, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { Dispatcher } from '../src/dispatcher/dispatcher.js';
import { silentLogger } from '../src/logger.js';
import { runBatches } from './dispatcher-bench.js';
import { tinyJobs } from './stats.js';

/**
 * The SQLite file at a steady state (issue 15 item 3): `jobs` tiny jobs
 * through the SDK Dispatcher with `maxResults` results kept (far below the
 * jobs, so the kept set turns over many times), submitted 100,000 at a time
 * as benchRetention does. A read-only connection samples every 20 ms: the
 * database's pages and free pages, the most results kept and the deepest
 * queue (queued + running) seen so far; every 100,000 jobs it prints them
 * with the sizes of the database file and the write-ahead log. At a steady
 * state the pages should move only when the queue goes deeper than before
 * (live rows need pages too), never with the number of jobs.
 */
export async function benchSqliteFile(opts: { jobs?: number; maxResults?: number } = {}) {
  const total = opts.jobs ?? 2_000_000;
  const maxResults = opts.maxResults ?? 300_000;
  const dir = await mkdtemp(join(tmpdir(), 'pfs-sqlite-file-'));
  const d = await Dispatcher.create({ dataDir: dir, storeKind: 'sqlite', logger: silentLogger, maxResults });
  const file = new Database(join(dir, 'packetfs.db'), { readonly: true });
  const peak = { pages: 0, freePages: 0, queue: 0, kept: 0, walMiB: 0 };
  const mib = (f: string) => Math.round(statSync(join(dir, f)).size / 1024 / 1024);
  const sampler = setInterval(() => {
    peak.pages = Math.max(peak.pages, file.pragma('page_count', { simple: true }) as number);
    peak.freePages = Math.max(peak.freePages, file.pragma('freelist_count', { simple: true }) as number);
    peak.walMiB = Math.max(peak.walMiB, mib('packetfs.db-wal'));
    void d.store.depth().then((q) => { peak.queue = Math.max(peak.queue, q.queued + q.delayed + q.running); });
    const stats = (d.store as { stats?: () => { results: number } }).stats?.();
    if (stats !== undefined) peak.kept = Math.max(peak.kept, stats.results);
  }, 20);
  try {
    const samples = [];
    const t0 = performance.now();
    for (let done = 0; done < total; done += 100_000) {
      await runBatches(d, tinyJobs(Math.min(100_000, total - done), `f${done}`), 10_000);
      samples.push({
        jobs: Math.min(done + 100_000, total), seconds: Math.round((performance.now() - t0) / 1000),
        pages: file.pragma('page_count', { simple: true }) as number, peakPages: peak.pages, peakFreePages: peak.freePages,
        peakQueue: peak.queue, peakKept: peak.kept, dbMiB: mib('packetfs.db'), peakWalMiB: peak.walMiB,
      });
    }
    return { jobs: total, maxResults, samples };
  } finally {
    clearInterval(sampler);
    file.close();
    await d.close();
    await rm(dir, { recursive: true, force: true });
  }
}
