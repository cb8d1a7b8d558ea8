import type { Worker } from 'node:worker_threads';
import type { PoolWorkerData } from '../../runtimes/node-worker/messages.js';
import { spawnModuleWorker } from '../../util/spawn-module-worker.js';

/** Starts one pool thread (runtimes/node-worker/worker-main), from source or compiled. */
export function spawnWorker(data: PoolWorkerData): Worker {
  return spawnModuleWorker(import.meta.url, '../../runtimes/node-worker/worker-main', { workerData: data });
}
