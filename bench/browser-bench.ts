import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher } from '../src/dispatcher/dispatcher.js';
import { silentLogger } from '../src/logger.js';
import { startServer } from '../src/server/server.js';
import { ensureBrowserAssets, launchChromium } from '../test/browser/chromium.js';

/**
 * One headless Chromium tab joins a dispatcher as a volunteer
 * (/volunteer?autostart=1) and runs jobs pinned to `browser`:
 *   - crc32c over 1 MiB windows of a blob-store blob, which the tab fetches
 *     itself with HTTP Range (signed blob URLs): MB/s of window data;
 *   - tiny inline jobs (16-byte counteq): jobs/s.
 * Times run from the submission of a batch to the last result, through the
 * real dispatcher (memory store, HTTP server, WebSocket). One warm-up round
 * first, so worker start-up and JIT are not measured.
 */
export interface BrowserBenchResult {
  workers: number;
  crc32c: { windows: number; windowBytes: number; seconds: number; mbPerSec: number };
  tiny: { jobs: number; seconds: number; jobsPerSec: number };
}

const MiB = 1024 * 1024;
/** submitJobs takes at most this many jobs at once */
const MAX_SUBMIT_BATCH = 10_000;

export async function benchBrowser(opts: { windows?: number; tinyJobs?: number; blobMiB?: number } = {}): Promise<BrowserBenchResult> {
  const windows = opts.windows ?? 512;
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
    const crcJob = (i: number): unknown => ({
      program: { op: 'crc32c', blob: blob.blob_id, offset: (i % blobMiB) * MiB, length: MiB }, substrates: ['browser'], required_memory_mb: 16,
    });
    await runRound(dispatcher, Math.min(64, windows), crcJob);
    const crcSeconds = await runRound(dispatcher, windows, crcJob);

    const tinyJob = (i: number): unknown => ({
      program: { op: 'counteq', imm: i & 255, data: 'AAECAwQFBgcICQoLDA0ODw==' }, substrates: ['browser'], required_memory_mb: 16,
    });
    await runRound(dispatcher, Math.min(2000, tinyJobs), tinyJob);
    const tinySeconds = await runRound(dispatcher, tinyJobs, tinyJob);

    return {
      workers,
      crc32c: { windows, windowBytes: MiB, seconds: crcSeconds, mbPerSec: (windows * MiB) / 1e6 / crcSeconds },
      tiny: { jobs: tinyJobs, seconds: tinySeconds, jobsPerSec: tinyJobs / tinySeconds },
    };
  } finally {
    await browser.close();
    await server.close();
    await dispatcher.close();
    await rm(dataDir, { recursive: true, force: true });
  }
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
  const r = await benchBrowser();
  console.log(JSON.stringify(r, null, 2));
}
