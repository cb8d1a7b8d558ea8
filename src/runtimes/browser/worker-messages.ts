import type { ProgramSpec } from '../../job/types.js';
import type { ExecOutcome } from '../../substrates/substrate.js';

/**
 * Messages between a page's WorkerPool and its Web Workers. Jobs travel in
 * batches (one message per worker per batch) because per-message overhead,
 * not the ops, bounds a tab's rate on tiny jobs.
 */
export type ToBrowserWorker =
  /** `origin` is the dispatcher whose /v1/blobs a `blob` program reads */
  | { type: 'init'; origin: string }
  | { type: 'run'; id: number; programs: ProgramSpec[]; deadlines: number[] };

export type FromBrowserWorker =
  | { type: 'ready' }
  | { type: 'done'; id: number; outcomes: ExecOutcome[] };
