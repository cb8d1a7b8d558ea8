import type { ProgramSpec } from '../../job/types.js';
import type { ExecOutcome } from '../../substrates/substrate.js';
import type { GpuReport } from './gpu-offload.js';

/**
 * Messages between a page's WorkerPool and its Web Workers. Jobs travel in
 * batches (one message per worker per batch) because per-message overhead,
 * not the ops, bounds a tab's rate on tiny jobs.
 */
export type ToBrowserWorker =
  /**
   * `origin` is the dispatcher whose /v1/blobs a `blob` program reads; `gpu`
   * asks this worker to set up WebGPU offload (one worker per pool does)
   */
  | { type: 'init'; origin: string; gpu?: boolean }
  | { type: 'run'; id: number; programs: ProgramSpec[]; deadlines: number[] };

export type FromBrowserWorker =
  /** `gpu`: the worker's WebGPU offload, when it was asked to set one up */
  | { type: 'ready'; gpu?: GpuReport }
  | { type: 'done'; id: number; outcomes: ExecOutcome[] };
