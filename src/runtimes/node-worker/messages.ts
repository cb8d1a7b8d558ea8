import type { ProgramColumns } from '../../substrates/local/program-columns.js';

/**
 * The message protocol between the local substrate (main thread) and its
 * worker threads. Plain objects only: they cross the thread boundary by
 * structured clone, so every field costs copy time on the hot path.
 */

/** Data-access options every worker gets as workerData (the same for the whole pool). */
export interface WorkerDataOptions {
  blobDir?: string | undefined;
  allowPrivate?: boolean | undefined;
  allowHosts?: string[] | undefined;
  ownOrigins?: string[] | undefined;
  maxWindowBytes?: number | undefined;
}

/**
 * workerData of a pool thread. `running` is a one-slot shared Int32Array the
 * worker sets to the id of the batch whose synchronous loop it is in (0 when
 * none), so the main thread can tell, without a message, whether an overdue
 * batch is the one occupying the thread.
 */
export interface PoolWorkerData {
  data: WorkerDataOptions;
  running: Int32Array;
}

export type ToWorker =
  /**
   * Many jobs in one message, as columns: what a worker needs of a job is
   * its program and its deadline (no job_id: outcomes come back in order).
   * Typed arrays and shared op lists instead of objects per job cut the
   * main thread's cost of cloning the batch (see program-columns.ts).
   */
  | { type: 'batch'; id: number; programs: ProgramColumns; deadlines: Float64Array }
  | { type: 'ping'; id: number };

export type FromWorker =
  /** sent once, after the worker has loaded its modules and can take batches */
  | { type: 'ready' }
  /**
   * One per batch message: the outcomes (ExecOutcome[], in the batch's order)
   * as JSON text. Parsing JSON costs the main thread about half of what
   * deserialising the same objects from a structured clone does, and the
   * main thread is the pool's bottleneck.
   */
  | { type: 'done'; id: number; outcomes: string }
  | { type: 'pong'; id: number };
