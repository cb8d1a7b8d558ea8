import type { ProgramSpec } from '../../job/types.js';
import type { ExecOutcome } from '../../substrates/substrate.js';
import { failedOutcome } from '../node-worker/execute-program.js';
import type { GpuReport } from './gpu-offload.js';
import type { FromBrowserWorker, ToBrowserWorker } from './worker-messages.js';

/** One job for the pool: what a worker needs of it. */
export interface PoolJob {
  program: ProgramSpec;
  /** epoch ms */
  deadline: number;
}

/** Receives outcomes of jobs by their index in the batch given to runEach, each exactly once. */
export type OutcomesSink = (indices: number[], outcomes: ExecOutcome[]) => void;

interface PoolWorker {
  worker: Worker;
  /** resolves with the worker's WebGPU report when it was asked to set one up */
  ready: Promise<GpuReport | undefined>;
  /** jobs posted and not yet answered: new batches go to the least loaded worker */
  load: number;
}

/** One slice of a batch posted to one worker: jobs [offset, offset + answered.length) of it. */
interface SliceWaiter {
  worker: PoolWorker;
  offset: number;
  /** per job of the slice: answered yet (a job is answered once, by its worker or by a failure) */
  answered: boolean[];
  left: number;
  sink: OutcomesSink;
}

/**
 * Browsers open at most 6 HTTP/1.1 connections per origin for a whole
 * profile, so a tab's workers share that many window reads between them:
 * more reads in flight only queue inside the browser, less leave the
 * connections idle between a reply's last byte and the next request.
 */
const TAB_CONNECTIONS_PER_ORIGIN = 6;

/** Window reads each of `workers` runs at once. */
export function fetchConcurrencyPerWorker(workers: number): number {
  return Math.max(1, Math.ceil(TAB_CONNECTIONS_PER_ORIGIN / workers));
}

/**
 * Dedicated Web Workers that run jobs off the page's main thread. A batch
 * is split into one message per worker (contiguous slices); a single job
 * goes to the least loaded worker. Outcomes stream back per job as workers
 * finish them (see worker-messages.ts).
 *
 * States: `open` after create(); `closed` after terminate(), when every
 * unanswered job is answered with a failure (the caller reports it).
 */
export class WorkerPool {
  readonly size: number;
  /** WebGPU offload of the pool's first worker, the only one that sets it up (one device per tab) */
  gpu: GpuReport = { status: 'unavailable' };
  private readonly workers: PoolWorker[];
  private readonly waiters = new Map<number, SliceWaiter>();
  private nextId = 1;
  private closed = false;

  private constructor(workers: PoolWorker[]) {
    this.workers = workers;
    this.size = workers.length;
  }

  /** Starts `count` workers from `workerUrl`; `origin` is the dispatcher whose blob store `blob` programs read. */
  static async create(workerUrl: string, count: number, origin: string): Promise<WorkerPool> {
    const workers: PoolWorker[] = [];
    const fetchConcurrency = fetchConcurrencyPerWorker(count);
    for (let i = 0; i < count; i++) workers.push(startWorker(workerUrl, origin, i === 0, fetchConcurrency));
    const pool = new WorkerPool(workers);
    for (const w of workers) {
      w.worker.addEventListener('message', (event: MessageEvent<FromBrowserWorker>) => pool.onMessage(event.data));
      w.worker.addEventListener('error', (event) => pool.onWorkerError(w, event.message));
    }
    const [gpu] = await Promise.all(workers.map((w) => w.ready));
    if (gpu !== undefined) pool.gpu = gpu;
    return pool;
  }

  /** Total jobs posted to workers and not yet answered. */
  get inFlight(): number {
    let n = 0;
    for (const w of this.workers) n += w.load;
    return n;
  }

  /** Runs jobs; outcomes come back in the same order once all are done. */
  run(jobs: PoolJob[]): Promise<ExecOutcome[]> {
    const all = new Array<ExecOutcome>(jobs.length);
    let left = jobs.length;
    return new Promise((resolve) => {
      if (left === 0) return resolve(all);
      this.runEach(jobs, (indices, outcomes) => {
        for (let k = 0; k < indices.length; k++) all[indices[k]!] = outcomes[k]!;
        left -= indices.length;
        if (left === 0) resolve(all);
      });
    });
  }

  /**
   * Runs jobs as one slice per worker; `sink` gets every job's outcome (by
   * its index in `jobs`) as soon as it is known, so a caller can report the
   * fast ones without waiting for the slowest. Throws only when closed.
   */
  runEach(jobs: PoolJob[], sink: OutcomesSink): void {
    if (jobs.length === 0) return;
    if (this.closed) throw new Error('the worker pool is closed');
    const targets = jobs.length < this.size ? [this.leastLoaded()] : this.workers;
    const per = Math.ceil(jobs.length / targets.length);
    for (let i = 0, t = 0; i < jobs.length; i += per, t++) this.post(targets[t]!, jobs.slice(i, i + per), i, sink);
  }

  terminate(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.workers) w.worker.terminate();
    for (const [id, waiter] of this.waiters) this.failSlice(id, waiter, 'the worker pool was closed');
  }

  private post(target: PoolWorker, jobs: PoolJob[], offset: number, sink: OutcomesSink): void {
    const id = this.nextId++;
    target.load += jobs.length;
    this.waiters.set(id, { worker: target, offset, answered: new Array<boolean>(jobs.length).fill(false), left: jobs.length, sink });
    const msg: ToBrowserWorker = { type: 'run', id, programs: jobs.map((j) => j.program), deadlines: jobs.map((j) => j.deadline) };
    target.worker.postMessage(msg);
  }

  private onMessage(msg: FromBrowserWorker): void {
    if (msg.type !== 'outcomes') return;
    const waiter = this.waiters.get(msg.id);
    if (waiter === undefined) return;
    const indices: number[] = [];
    const outcomes: ExecOutcome[] = [];
    for (let k = 0; k < msg.indices.length; k++) {
      const i = msg.indices[k]!;
      if (waiter.answered[i] !== false) continue;
      waiter.answered[i] = true;
      indices.push(waiter.offset + i);
      outcomes.push(msg.outcomes[k]!);
    }
    this.settle(msg.id, waiter, indices, outcomes);
  }

  /** A worker that throws at top level has lost its jobs: fail them rather than hang. */
  private onWorkerError(worker: PoolWorker, message: string): void {
    for (const [id, waiter] of this.waiters) if (waiter.worker === worker) this.failSlice(id, waiter, `a Web Worker failed: ${message}`);
  }

  private failSlice(id: number, waiter: SliceWaiter, message: string): void {
    const indices: number[] = [];
    const outcomes: ExecOutcome[] = [];
    const err = new Error(message);
    waiter.answered.forEach((done, i) => {
      if (done) return;
      waiter.answered[i] = true;
      indices.push(waiter.offset + i);
      outcomes.push(failedOutcome(err, 0));
    });
    this.settle(id, waiter, indices, outcomes);
  }

  private settle(id: number, waiter: SliceWaiter, indices: number[], outcomes: ExecOutcome[]): void {
    if (indices.length === 0) return;
    waiter.left -= indices.length;
    waiter.worker.load -= indices.length;
    if (waiter.left === 0) this.waiters.delete(id);
    waiter.sink(indices, outcomes);
  }

  private leastLoaded(): PoolWorker {
    let best = this.workers[0]!;
    for (const w of this.workers) if (w.load < best.load) best = w;
    return best;
  }
}

function startWorker(workerUrl: string, origin: string, gpu: boolean, fetchConcurrency: number): PoolWorker {
  const worker = new Worker(sameOriginScriptUrl(workerUrl));
  const ready = new Promise<GpuReport | undefined>((resolve, reject) => {
    const onMessage = (event: MessageEvent<FromBrowserWorker>): void => {
      if (event.data.type !== 'ready') return;
      worker.removeEventListener('message', onMessage);
      resolve(event.data.gpu);
    };
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', (event) => reject(new Error(`the Web Worker ${workerUrl} failed to start: ${event.message}`)), { once: true });
  });
  const init: ToBrowserWorker = { type: 'init', origin, gpu, fetch_concurrency: fetchConcurrency };
  worker.postMessage(init);
  return { worker, ready, load: 0 };
}

/**
 * Browsers only start workers from the page's own origin. A page that embeds
 * the runtime from the dispatcher's origin gets a tiny same-origin blob:
 * worker that imports the real one (importScripts may cross origins).
 */
function sameOriginScriptUrl(url: string): string {
  if (new URL(url, location.href).origin === location.origin) return url;
  const shim = `importScripts(${JSON.stringify(url)});`;
  return URL.createObjectURL(new Blob([shim], { type: 'text/javascript' }));
}
