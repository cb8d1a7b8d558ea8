import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { chromium } from 'playwright-core';
import { Dispatcher } from '../src/dispatcher/dispatcher.js';
import { silentLogger } from '../src/logger.js';
import { OP_NAMES } from '../src/ops/index.js';
import { packageRoot } from '../src/server/routes/browser-assets.js';
import { CHROMIUM_PATH } from '../test/browser/chromium.js';
import { WORKERD_MODULE_RULES } from '../test/runtimes/runtime-fixtures.js';
import { measureNodeKernels } from './kernels-bench-worker.js';
import { pseudoRandomBytes, type KernelRow } from './kernels-measure.js';
import { siblingModule } from './sibling-module.js';
import { table } from './stats.js';

/**
 * `npm run bench -- kernels`: every runtime × op × kernel implementation, and
 * whole-blob jobs end to end, each next to the C limit measured in the same
 * run by bench/kernels-limit.c (cc -O3 -march=native).
 *   Node main thread, Node worker thread, Chromium Web Worker: kernels-measure.ts
 *     in place (best of 5 over 64 MiB after a warm-up);
 *   workerd (Miniflare): requests timed from outside, since workerd freezes
 *     its clocks during a request (kernels-workerd.ts);
 *   blob jobs: one job per op over a 256 MiB blob through the in-process
 *     dispatcher (one local worker thread, page cache warm), submit to
 *     result; C reads the same file with read(2) into a 256 KiB buffer.
 * The C limit is the better of two C runs (before and after the rest). The
 * machine is shared (2 cores, other work running): absolute numbers are
 * noisy, ratios within one run hold better.
 */
export interface KernelsBenchResult {
  cc: string | null;
  c: { mem: KernelRow[]; file: KernelRow[] } | null;
  rows: Array<KernelRow & { runtime: string }>;
  blob: Array<{ op: string; gbPerSec: number }>;
  notes: string[];
}

const MiB = 1 << 20;
const run = promisify(execFile);

export async function benchKernels(opts: { sizeMiB?: number; blobMiB?: number } = {}): Promise<KernelsBenchResult> {
  const sizeMiB = opts.sizeMiB ?? 64;
  const blobMiB = opts.blobMiB ?? 256;
  const root = packageRoot();
  const work = await mkdtemp(join(tmpdir(), 'packetfs-kernels-'));
  const notes: string[] = [];
  try {
    const limit = await buildLimit(root, work, notes);
    const c = limit === null ? null : { mem: await runLimit(limit, ['mem', String(sizeMiB)]), file: [] as KernelRow[] };
    const rows: KernelsBenchResult['rows'] = [];
    const add = (runtime: string, list: KernelRow[]) => rows.push(...list.map((r) => ({ runtime, ...r })));
    add('node main', measureNodeKernels(sizeMiB));
    add('node worker', await measureKernelsInWorker(sizeMiB));
    add('chromium worker', await inChromium(root, work, sizeMiB, notes));
    add('workerd', await inWorkerd(root, Math.min(sizeMiB, 32)));
    const { blob, file } = await blobJobs(blobMiB, work);
    if (c !== null && limit !== null) {
      // The limit is the best the C code did: once before the JavaScript runs, once after, so a burst of load does not make it.
      c.mem = bestPerOp(c.mem, await runLimit(limit, ['mem', String(sizeMiB)]));
      c.file = bestPerOp(await runLimit(limit, ['file', file]), await runLimit(limit, ['file', file]));
    }
    return { cc: limit === null ? null : 'cc -O3 -march=native', c, rows, blob, notes };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function buildLimit(root: string, work: string, notes: string[]): Promise<string | null> {
  const out = join(work, 'kernels-limit');
  try {
    await run('cc', ['-O3', '-march=native', '-o', out, join(root, 'bench/kernels-limit.c')]);
    return out;
  } catch (err) {
    notes.push(`no C limit: cc failed (${String((err as Error).message).split('\n')[0]})`);
    return null;
  }
}

function bestPerOp(a: KernelRow[], b: KernelRow[]): KernelRow[] {
  return a.map((row) => ({ ...row, gbPerSec: Math.max(row.gbPerSec, b.find((x) => x.op === row.op)?.gbPerSec ?? 0) }));
}

async function runLimit(binary: string, args: string[]): Promise<KernelRow[]> {
  const { stdout } = await run(binary, args, { maxBuffer: 1 << 20 });
  return stdout.trim().split('\n').map((line) => {
    const r = JSON.parse(line) as { op: string; gbPerSec: number };
    return { op: r.op, impl: 'C', gbPerSec: r.gbPerSec };
  });
}

/** kernels-measure.ts in a worker_threads Worker, where the local substrate runs jobs. */
export function measureKernelsInWorker(sizeMiB: number): Promise<KernelRow[]> {
  const { path, execArgv } = siblingModule(import.meta.url, 'kernels-bench-worker');
  const worker = new Worker(path, { workerData: { kernelsBench: sizeMiB }, execArgv });
  return new Promise<KernelRow[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`kernels bench worker exited with code ${code} before reporting`)));
  }).finally(() => worker.terminate());
}

/** A loopback origin (a secure context, as WebGPU needs) serving a page and the bundled worker. */
async function inChromium(root: string, work: string, sizeMiB: number, notes: string[]): Promise<KernelRow[]> {
  const bundle = join(work, 'kernels-worker.js');
  await build({ entryPoints: [join(root, 'bench/kernels-browser-worker.ts')], outfile: bundle, bundle: true, platform: 'browser', format: 'iife', target: 'es2022', logLevel: 'warning' });
  const script = await readFile(bundle);
  const server = http.createServer((req, res) => {
    if (req.url === '/worker.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>kernels</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // WebGPU on Chromium's software adapter (docs/kernels.md): the calibration rows say whether it would be used.
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'] });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const reply = await page.evaluate((size) => new Promise<{ rows?: KernelRow[]; error?: string }>((resolve) => {
      const worker = new window.Worker('/worker.js');
      worker.onmessage = (e: MessageEvent) => resolve(e.data);
      worker.onerror = (e: ErrorEvent) => resolve({ error: e.message });
      worker.postMessage({ sizeMiB: size });
    }), sizeMiB);
    if (reply.error !== undefined) throw new Error(`chromium worker: ${reply.error}`);
    notes.push(`chromium ${browser.version()}`);
    return reply.rows!;
  } finally {
    await browser.close();
    server.close();
  }
}

async function inWorkerd(root: string, sizeMiB: number): Promise<KernelRow[]> {
  const { workerdKernels } = await import(join(root, 'scripts/build-runtimes.mjs')) as typeof import('../scripts/build-runtimes.mjs');
  // Inside the repo: Miniflare refuses module paths that climb out of its working directory.
  const dir = join(root, 'dist/bench-workerd');
  await mkdir(dir, { recursive: true });
  await build({
    entryPoints: [join(root, 'bench/kernels-workerd.ts')], outfile: join(dir, 'worker.js'), bundle: true, format: 'esm', target: 'es2022',
    platform: 'neutral', mainFields: ['module', 'main'], conditions: ['workerd', 'worker', 'browser'], plugins: [workerdKernels], logLevel: 'warning',
  });
  await copyFile(join(root, 'dist/wasm/kernels.wasm'), join(dir, 'kernels.wasm'));
  const mf = new Miniflare({
    modules: true, scriptPath: join(dir, 'worker.js'), compatibilityDate: '2025-01-01',
    modulesRules: WORKERD_MODULE_RULES,
  });
  try {
    const get = async (query: string): Promise<number> => {
      const start = performance.now();
      const response = await mf.dispatchFetch(`http://bench/?mib=${sizeMiB}&${query}`);
      await response.text();
      return performance.now() - start;
    };
    await get('');
    const rows: KernelRow[] = [];
    for (const impl of ['ts', 'wasm-simd']) {
      for (const op of OP_NAMES) {
        const reps = op === 'fnv64' ? 2 : 6;
        await get(`op=${op}&impl=${impl}&reps=1`);
        let base = Infinity;
        let full = Infinity;
        for (let i = 0; i < 3; i++) {
          base = Math.min(base, await get(`op=${op}&impl=${impl}&reps=0`));
          full = Math.min(full, await get(`op=${op}&impl=${impl}&reps=${reps}`));
        }
        rows.push({ op, impl, gbPerSec: Math.round(((reps * sizeMiB * MiB) / ((full - base) / 1000) / 1e9) * 1000) / 1000 });
      }
    }
    return rows;
  } finally {
    await mf.dispose();
  }
}

/** One job per op over a whole blob through the in-process dispatcher; best of five interleaved rounds. */
async function blobJobs(blobMiB: number, work: string): Promise<{ blob: KernelsBenchResult['blob']; file: string }> {
  const dataDir = join(work, 'data');
  const d = await Dispatcher.create({ dataDir, threads: 1, logger: silentLogger });
  try {
    const { blob_id: id } = await d.blobs.put(pseudoRandomBytes(blobMiB * MiB));
    const once = async (op: string): Promise<number> => {
      const start = performance.now();
      const { job_id } = await d.submitJob({ program: { op, imm: 42, blob: id }, timeout_s: 300 });
      const result = await d.getResult(job_id, { wait: 300 });
      if (result?.success !== true) throw new Error(`blob job ${op} failed: ${JSON.stringify(result)}`);
      return performance.now() - start;
    };
    await once('counteq');
    const best = OP_NAMES.map(() => Infinity);
    for (let round = 0; round < 5; round++) {
      for (const [i, op] of OP_NAMES.entries()) best[i] = Math.min(best[i]!, await once(op));
    }
    const blob = OP_NAMES.map((op, i) => ({ op, gbPerSec: Math.round((blobMiB * MiB / (best[i]! / 1000) / 1e9) * 1000) / 1000 }));
    return { blob, file: join(dataDir, 'blobs', id) };
  } finally {
    await d.close();
  }
}

/** The printed tables: each row with its ratio to the C limit of the same run. */
export function kernelsTables(r: KernelsBenchResult): string {
  const cMem = new Map(r.c?.mem.map((x) => [x.op, x.gbPerSec]) ?? []);
  const cFile = new Map(r.c?.file.map((x) => [x.op, x.gbPerSec]) ?? []);
  const ratio = (v: number, c: number | undefined) => (c === undefined ? '' : (v / c).toFixed(2));
  const limits = r.c === null ? 'no C compiler: no limit row' : table(r.c.mem.map((x) => ({ op: x.op, 'C GB/s (in memory)': x.gbPerSec, 'C GB/s (file, read(2))': cFile.get(x.op) ?? '' })));
  const rows = table(r.rows.map((x) => ({ runtime: x.runtime, op: x.op, impl: x.impl, 'GB/s': x.gbPerSec, '× C': ratio(x.gbPerSec, cMem.get(x.op === 'memcpy' ? 'memcpy' : x.op)) })));
  const blob = table(r.blob.map((x) => ({ op: x.op, 'GB/s end to end': x.gbPerSec, '× C in memory': ratio(x.gbPerSec, cMem.get(x.op)), '× C file job': ratio(x.gbPerSec, cFile.get(x.op)) })));
  return `C limit (${r.cc ?? 'none'}), same run\n${limits}\n\nkernels by runtime\n${rows}\n\nwhole-blob jobs through the dispatcher\n${blob}${r.notes.length ? '\n\n' + r.notes.join('\n') : ''}`;
}
