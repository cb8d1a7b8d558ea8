import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { table } from './stats.js';

/** One kernel's throughput: impl is 'ts' (the runtime-neutral kernels) or 'native' (@node-rs/crc32). */
export interface OpsBenchRow {
  op: string;
  impl: string;
  gbPerSec: number;
}

/**
 * Throughput of every op kernel (and both CRC-32C implementations) over
 * `sizeMiB` (default 64) of random bytes, best of 5 after a warm-up, measured
 * in a worker thread so the numbers match what the local substrate gets.
 */
export async function benchOps(opts: { sizeMiB?: number } = {}): Promise<OpsBenchRow[]> {
  const sizeMiB = opts.sizeMiB ?? 64;
  const worker = startWorker({ sizeMiB });
  try {
    return await new Promise<OpsBenchRow[]>((resolve, reject) => {
      worker.once('message', (rows: OpsBenchRow[]) => resolve(rows));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`ops bench worker exited with code ${code} before reporting`)));
    });
  } finally {
    await worker.terminate();
  }
}

/**
 * The worker has the same extension as this module: .ts under tsx, .js from
 * dist. tsx's `--import` hook does not carry over into worker threads, so
 * from source the thread registers tsx through its API before importing.
 */
function startWorker(workerData: { sizeMiB: number }): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const workerUrl = new URL('./ops-bench-worker' + (fromSource ? '.ts' : '.js'), import.meta.url);
  if (!fromSource) return new Worker(workerUrl, { workerData });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = await benchOps({ sizeMiB: 64 });
  console.log('ops, 64 MiB in a worker thread (best of 5)\n' + table(rows.map((r) => ({ op: r.op, impl: r.impl, 'GB/s': r.gbPerSec }))));
}
