import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher } from '../src/dispatcher/dispatcher.js';
import { silentLogger } from '../src/logger.js';
import { startServer } from '../src/server/server.js';
import type { Page } from 'playwright-core';
import { ensureBrowserAssets, launchChromium } from '../test/browser/chromium.js';

/**
 * One headless Chromium tab joins a dispatcher as a volunteer
 * (/volunteer?autostart=1) and runs jobs pinned to `browser`:
 *   - crc32c over 1 MiB windows of a blob-store blob, which the tab fetches
 *     itself with HTTP Range (signed blob URLs): MB/s of window data;
 *   - the same windows read by a Web Worker of the same tab with plain
 *     fetch and no op, 6 at a time (the tab's connection limit): the
 *     transport's ceiling in this run, the peer for the first number;
 *   - tiny inline jobs (16-byte counteq): jobs/s.
 * Times run from the submission of a batch to the last result, through the
 * real dispatcher (memory store, HTTP server, WebSocket). One warm-up round
 * first, so worker start-up and JIT are not measured.
 */
export interface BrowserBenchResult {
  workers: number;
  /** per window size: the tab's crc32c rate through the dispatcher, and the tab's plain read rate of the same windows (the limit) */
  crc32c: { windows: number; windowBytes: number; seconds: number; mbPerSec: number; tabReadMbPerSec: number }[];
  tiny: { jobs: number; seconds: number; jobsPerSec: number };
}

const MiB = 1024 * 1024;
/** submitJobs takes at most this many jobs at once */
const MAX_SUBMIT_BATCH = 10_000;

export async function benchBrowser(opts: { windows?: number; tinyJobs?: number; blobMiB?: number; windowSizesMiB?: number[] } = {}): Promise<BrowserBenchResult> {
  /** MiB of window data per crc32c round, in windows of 1 MiB (fewer, larger windows for the larger sizes) */
  const windows = opts.windows ?? 512;
  const windowSizesMiB = opts.windowSizesMiB ?? [1, 8];
  const tinyJobs = opts.tinyJobs ?? 20_000;
  const blobMiB = opts.blobMiB ?? 64;
  await ensureBrowserAssets();
  const dataDir = await mkdtemp(join(tmpdir(), 'packetfs-browser-bench-'));
  const dispatcher = await Dispatcher.create({ dataDir, threads: 1, logger: silentLogger });
  const server = await startServer(dispatcher, { host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/volunteer?autostart=1${process.env.BENCH_QS ?? ""}`);
    await page.waitForFunction(() => document.body.dataset.state === 'registered', null, { timeout: 15_000 });
    const workers = await page.evaluate(() => (window as unknown as { packetfs: { getMetrics(): { workers: number } } }).packetfs.getMetrics().workers);

    const blob = await dispatcher.blobs.put(randomBytes(blobMiB * MiB));
    const crc32c: BrowserBenchResult['crc32c'] = [];
    for (const windowMiB of windowSizesMiB) {
      const perBlob = Math.floor(blobMiB / windowMiB);
      const count = Math.max(16, Math.round(windows / windowMiB));
      const crcJob = (i: number): unknown => ({
        program: { op: 'crc32c', blob: blob.blob_id, offset: (i % perBlob) * windowMiB * MiB, length: windowMiB * MiB },
        substrates: ['browser'], required_memory_mb: 16,
      });
      await runRound(dispatcher, Math.min(64, count), crcJob);
      const seconds = await runRound(dispatcher, count, crcJob);
      const tabReadMbPerSec = await tabReadRate(page, `${server.url}/v1/blobs/${blob.blob_id}`, windowMiB * MiB, perBlob, count);
      crc32c.push({ windows: count, windowBytes: windowMiB * MiB, seconds, mbPerSec: (count * windowMiB * MiB) / 1e6 / seconds, tabReadMbPerSec });
    }

    const tinyJob = (i: number): unknown => ({
      program: { op: 'counteq', imm: i & 255, data: 'AAECAwQFBgcICQoLDA0ODw==' }, substrates: ['browser'], required_memory_mb: 16,
    });
    await runRound(dispatcher, Math.min(2000, tinyJobs), tinyJob);
    const tinySeconds = await runRound(dispatcher, tinyJobs, tinyJob);

    return {
      workers,
      crc32c,
      tiny: { jobs: tinyJobs, seconds: tinySeconds, jobsPerSec: tinyJobs / tinySeconds },
    };
  } finally {
    await browser.close();
    await server.close();
    await dispatcher.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The tab's own read rate of `count` windows (a Web Worker, plain fetch with Range, 6 in flight, bodies counted and dropped), MB/s. */
async function tabReadRate(page: Page, url: string, windowBytes: number, perBlob: number, count: number): Promise<number> {
  return page.evaluate(async ({ url, windowBytes, perBlob, count }) => {
    const code = `onmessage = async (e) => {
      const { url, windowBytes, perBlob, count } = e.data;
      let next = 0, bytes = 0;
      const lane = async () => {
        for (let i = next++; i < count; i = next++) {
          const start = (i % perBlob) * windowBytes;
          const r = await fetch(url, { cache: 'no-store', headers: { range: 'bytes=' + start + '-' + (start + windowBytes - 1) } });
          const reader = r.body.getReader();
          for (;;) { const { done, value } = await reader.read(); if (done) break; bytes += value.byteLength; }
        }
      };
      const t = performance.now();
      await Promise.all([lane(), lane(), lane(), lane(), lane(), lane()]);
      postMessage(bytes / 1e6 / ((performance.now() - t) / 1000));
    }`;
    const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
    try {
      return await new Promise<number>((resolve, reject) => {
        worker.onmessage = (e: MessageEvent<number>) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(e.message));
        worker.postMessage({ url, windowBytes, perBlob, count });
      });
    } finally {
      worker.terminate();
    }
  }, { url, windowBytes, perBlob, count });
}

/** Submits `count` jobs at once and waits for every result; seconds from submit to the last result. */
async function runRound(dispatcher: Dispatcher, count: number, job: (i: number) => unknown): Promise<number> {
  const started = performance.now();
  const jobIds: string[] = [];
  for (let from = 0; from < count; from += MAX_SUBMIT_BATCH) {
    const batch = Array.from({ length: Math.min(MAX_SUBMIT_BATCH, count - from) }, (_, i) => job(from + i));
    for (const s of await dispatcher.submitJobs(batch)) jobIds.push(s.job_id);
  }
  const records = await Promise.all(jobIds.map((id) => dispatcher.getResult(id, { wait: 120 })));
  const seconds = (performance.now() - started) / 1000;
  const failed = records.filter((r) => r?.status !== 'succeeded' || r.substrate !== 'browser');
  if (failed.length > 0) throw new Error(`${failed.length} of ${count} jobs did not succeed on the browser: ${JSON.stringify(failed[0])}`);
  return seconds;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchBrowser({ tinyJobs: Number(process.env.BENCH_TINY_JOBS ?? 20_000) });
  console.log(JSON.stringify(r, null, 2));
}
