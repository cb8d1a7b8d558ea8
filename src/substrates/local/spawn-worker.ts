import { Worker } from 'node:worker_threads';
import type { PoolWorkerData } from '../../runtimes/node-worker/messages.js';

/** Compiled, this module is .js next to a compiled worker; under tsx both are .ts sources. */
const fromSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL('../../runtimes/node-worker/worker-main' + (fromSource ? '.ts' : '.js'), import.meta.url);

/**
 * Starts one pool thread. From source, tsx's `--import` hook only registers
 * itself on the main thread (worker threads inherit the flag but not the
 * hook), so the thread first registers tsx through its API and then imports
 * the TypeScript entry. Compiled code needs none of that.
 */
export function spawnWorker(data: PoolWorkerData): Worker {
  if (!fromSource) return new Worker(workerUrl, { workerData: data });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}
