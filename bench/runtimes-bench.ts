import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { Miniflare } from 'miniflare';
import { fetchRangeWith } from '../src/data/window.js';
import { crc32cPure } from '../src/ops/crc32c.js';
import { startBlobServer } from '../test/runtimes/blob-server.js';
import { WORKERD_MODULE_RULES, bundlePath, ensureBundles } from '../test/runtimes/runtime-fixtures.js';
import { tinyJobs } from './stats.js';

/**
 * Throughput of the remote runtimes on this machine, each in its own
 * process as deployed: the Cloudflare bundle under workerd (Miniflare) and
 * the HTTP worker server (a child Node process). This process is the client.
 *  - tiny jobs: 64-byte inline counteq jobs, 100 (and 1,000) per request, 4 requests in flight;
 *  - crc32c: 1 MiB windows of a 64 MiB blob, fetched by the runtime with
 *    Range from a loopback server in this process, 8 jobs per request, 4 in flight.
 * This process also fetches the same windows itself, the ceiling the
 * loopback transport allows. Answers are checked (crc32c against the pure kernel), so a broken runtime
 * cannot post a good number.
 */
export interface RuntimeBench {
  runtime: string;
  /** tiny jobs per second with 100 jobs per request */
  tinyJobsPerSec: number;
  /** the same with 1,000 jobs per request (the batch limit) */
  tinyJobsPerSecBatch1000: number;
  /** MB (10^6 bytes) of 1 MiB windows fetched and CRC-ed per second */
  crcMBPerSec: number;
}

export interface RuntimesBenchResult {
  tinyJobs: number;
  crcWindows: number;
  /** this process fetching the same windows itself: the loopback transport's ceiling */
  directFetchMBPerSec: number;
  rows: RuntimeBench[];
}

/** The compute API's request and reply, as far as this bench reads them (tiny counteq jobs and crc32c windows). */
type WireProgram = { op?: string; imm?: number; data?: string; data_url?: string; offset?: number; length?: number };
type WireResult = { count?: number; crc32c?: number };
type Post = (body: { jobs: Array<{ job_id: string; program: WireProgram }> }) => Promise<{ results: Array<{ success: boolean; result: WireResult; error?: unknown }> }>;

const MiB = 1024 * 1024;
const BLOB_WINDOWS = 64;

export async function benchRuntimes(opts: { tiny?: number; windows?: number } = {}): Promise<RuntimesBenchResult> {
  await ensureBundles();
  const tiny = opts.tiny ?? 20_000;
  const windows = opts.windows ?? 256;
  const blobBytes = new Uint8Array(randomBytes(BLOB_WINDOWS * MiB));
  const blob = await startBlobServer(blobBytes);
  const crcJobs = Array.from({ length: windows }, (_, i) => ({
    job_id: `crc-${i}`, timeout_s: 60,
    program: { op: 'crc32c', data_url: blob.url, offset: (i % BLOB_WINDOWS) * MiB, length: MiB },
    expected: crc32cPure(blobBytes.subarray((i % BLOB_WINDOWS) * MiB, (i % BLOB_WINDOWS + 1) * MiB)),
  }));
  const rows: RuntimeBench[] = [];
  try {
    const direct: Post = async ({ jobs }) => ({
      results: await Promise.all(jobs.map(async ({ program }) => {
        if (program.data_url === undefined || program.offset === undefined || program.length === undefined) throw new Error('the direct path reads data_url windows only');
        const window = await fetchRangeWith(fetch, program.data_url, program.offset, program.length, { maxBytes: MiB });
        return { success: true, result: { crc32c: crc32cPure(window) } };
      })),
    });
    const directFetchMBPerSec = await benchCrc(direct, crcJobs);

    const mf = new Miniflare({
      modules: true, scriptPath: bundlePath('cloudflare/worker.js'), compatibilityDate: '2025-01-01',
      modulesRules: WORKERD_MODULE_RULES,
      bindings: { ALLOW_PRIVATE_DATA_URLS: 'true' },
    });
    try {
      await mf.ready;
      const post: Post = async (body) => (await mf.dispatchFetch('http://worker/compute', { method: 'POST', body: JSON.stringify(body) })).json() as never;
      rows.push(await benchOne('cloudflare (workerd)', post, tiny, crcJobs));
    } finally {
      await mf.dispose();
    }
    const worker = await spawnHttpWorker();
    try {
      const post: Post = async (body) => (await fetch(`${worker.url}/compute`, { method: 'POST', body: JSON.stringify(body) })).json() as never;
      rows.push(await benchOne('http worker (node)', post, tiny, crcJobs));
    } finally {
      worker.child.kill('SIGTERM');
      await new Promise((resolve) => worker.child.once('exit', resolve));
    }
    return { tinyJobs: tiny, crcWindows: windows, directFetchMBPerSec, rows };
  } finally {
    await blob.close();
  }
}

async function benchOne(runtime: string, post: Post, tiny: number, crcJobs: CrcJob[]): Promise<RuntimeBench> {
  await runAll(post, tinyJobs(2_000, 'warm'), 100, () => undefined);
  return {
    runtime,
    tinyJobsPerSec: await benchTiny(post, tiny, 100),
    tinyJobsPerSecBatch1000: await benchTiny(post, tiny, 1000),
    crcMBPerSec: await benchCrc(post, crcJobs),
  };
}

async function benchTiny(post: Post, n: number, batch: number): Promise<number> {
  const jobs = tinyJobs(n, `tiny-${batch}`);
  const t0 = performance.now();
  await runAll(post, jobs, batch, (job, result) => {
    if (result.count !== 64) throw new Error(`${job.job_id}: count ${result.count}, expected 64`);
  });
  return Math.round(n / ((performance.now() - t0) / 1000));
}

type CrcJob = { job_id: string; timeout_s: number; program: WireProgram; expected: number };

async function benchCrc(post: Post, crcJobs: CrcJob[]): Promise<number> {
  const wire = crcJobs.map(({ expected: _expected, ...job }) => job);
  await runAll(post, wire.slice(0, 16), 8, () => undefined);
  const t0 = performance.now();
  await runAll(post, wire, 8, (job, result) => {
    const expected = crcJobs[Number(job.job_id.slice(4))]!.expected;
    if (result.crc32c !== expected) throw new Error(`${job.job_id}: crc32c ${result.crc32c}, expected ${expected}`);
  });
  return Math.round((crcJobs.length * MiB) / 1e6 / ((performance.now() - t0) / 1000));
}

/** Posts `jobs` in batches of `batch`, four requests in flight; every job must succeed. */
async function runAll<J extends { job_id: string; program: WireProgram }>(post: Post, jobs: J[], batch: number, check: (job: J, result: WireResult) => void): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const slice = jobs.slice(next, next + batch);
      next += batch;
      const { results } = await post({ jobs: slice });
      results.forEach((r, i) => {
        if (!r.success) throw new Error(`job ${slice[i]!.job_id} failed: ${JSON.stringify(r.error)}`);
        check(slice[i]!, r.result);
      });
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
}

/** The HTTP worker in a child process (the client's JSON work would otherwise share its thread). */
async function spawnHttpWorker(): Promise<{ url: string; child: ChildProcess }> {
  const entry = new URL('../src/runtimes/http-server/index.js', import.meta.url).href;
  const script = `const { startHttpWorker } = await import(${JSON.stringify(entry)});
const worker = await startHttpWorker({ port: 0, host: '127.0.0.1', allowPrivate: true });
console.log(worker.url);`;
  // execArgv carries tsx's --import when the bench runs from sources.
  const child = spawn(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`http worker exited with ${code}`)));
  });
  lines.close();
  return { url, child };
}
