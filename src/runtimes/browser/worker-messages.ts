import type { ProgramSpec } from '../../job/types.js';
import type { ExecOutcome } from '../../substrates/substrate.js';
import type { GpuReport } from './gpu-offload.js';

/**
 * Messages between a page's WorkerPool and its Web Workers. Jobs travel in
 * batches (one message per worker per batch) because per-message overhead,
 * not the ops, bounds a tab's rate on tiny jobs. Outcomes come back as soon
 * as they are known (`outcomes`, several per message when they finish in the
 * same turn), not when the whole batch is done: a window that finishes
 * early frees its dispatcher slot at once instead of waiting for the
 * slowest window of its batch.
 */
export type ToBrowserWorker =
  /**
   * `origin` is the dispatcher whose /v1/blobs a `blob` program reads; `gpu`
   * asks this worker to set up WebGPU offload (one worker per pool does);
   * `fetch_concurrency` is how many windows this worker reads at once (the
   * pool shares the tab's connections to one origin among its workers)
   */
  | { type: 'init'; origin: string; gpu?: boolean; fetch_concurrency: number }
  | { type: 'run'; id: number; programs: ProgramSpec[]; deadlines: number[] };

export type FromBrowserWorker =
  /** `gpu`: the worker's WebGPU offload, when it was asked to set one up */
  | { type: 'ready'; gpu?: GpuReport }
  /** outcomes of jobs `indices` (positions in run `id`); every job of a run is answered exactly once */
  | { type: 'outcomes'; id: number; indices: number[]; outcomes: ExecOutcome[] };
