import type { ProgramSpec } from '../../job/types.js';
import type { ExecOutcome } from '../../substrates/substrate.js';
import type { GpuReport } from './gpu-offload.js';
import type { FromBrowserWorker, ToBrowserWorker } from './worker-messages.js';

/** One job for the pool: what a worker needs of it. */
export interface PoolJob {
  program: ProgramSpec;
  /** epoch ms */
  deadline: number;
}

/** One worker's slice of a batch: jobs [offset, offset+count) of it. */
export interface PoolPart {
  offset: number;
  count: number;
  outcomes: Promise<ExecOutcome[]>;
}

interface PoolWorker {
  worker: Worker;
  /** resolves with the worker's WebGPU report when it was asked to set one up */
  ready: Promise<GpuReport | undefined>;
  /** jobs posted and not yet answered: new batches go to the least loaded worker */
  load: number;
}

interface BatchWaiter {
  worker: PoolWorker;
  size: number;
  resolve(outcomes: ExecOutcome[]): void;
  reject(err: Error): void;
}

/**
 * Dedicated Web Workers that run jobs off the page's main thread. A batch
 * is split into one message per worker (contiguous slices, so outcomes come
 * back in order cheaply); a single job goes to the least loaded worker.
 *
 * States: `open` after create(); `closed` after terminate(), when every
 * unanswered batch is rejected (the caller reports those jobs as failed).
 */
export class WorkerPool {
  readonly size: number;
  /** WebGPU offload of the pool's first worker, the only one that sets it up (one device per tab) */
  gpu: GpuReport = { status: 'unavailable' };
  private readonly workers: PoolWorker[];
  private readonly waiters = new Map<number, BatchWaiter>();
  private nextId = 1;
  private closed = false;

  private constructor(workers: PoolWorker[]) {
    this.workers = workers;
    this.size = workers.length;
  }

  /** Starts `count` workers from `workerUrl`; `origin` is the dispatcher whose blob store `blob` programs read. */
  static async create(workerUrl: string, count: number, origin: string): Promise<WorkerPool> {
    const workers: PoolWorker[] = [];
    for (let i = 0; i < count; i++) workers.push(startWorker(workerUrl, origin, i === 0));
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

  /** Runs jobs; outcomes come back in the same order. */
  async run(jobs: PoolJob[]): Promise<ExecOutcome[]> {
    const parts = this.runParts(jobs);
    return (await Promise.all(parts.map((p) => p.outcomes))).flat();
  }

  /**
   * Runs jobs as one slice per worker and answers per slice, so a caller
   * can report the fast slices without waiting for the slowest one.
   */
  runParts(jobs: PoolJob[]): PoolPart[] {
    if (jobs.length === 0) return [];
    if (this.closed) throw new Error('the worker pool is closed');
    const targets = jobs.length < this.size ? [this.leastLoaded()] : this.workers;
    const per = Math.ceil(jobs.length / targets.length);
    const parts: PoolPart[] = [];
    for (let i = 0, t = 0; i < jobs.length; i += per, t++) {
      const slice = jobs.slice(i, i + per);
      parts.push({ offset: i, count: slice.length, outcomes: this.post(targets[t]!, slice) });
    }
    return parts;
  }

  terminate(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.workers) w.worker.terminate();
    for (const waiter of this.waiters.values()) waiter.reject(new Error('the worker pool was closed'));
    this.waiters.clear();
  }

  private post(target: PoolWorker, jobs: PoolJob[]): Promise<ExecOutcome[]> {
    const id = this.nextId++;
    target.load += jobs.length;
    const msg: ToBrowserWorker = { type: 'run', id, programs: jobs.map((j) => j.program), deadlines: jobs.map((j) => j.deadline) };
    return new Promise((resolve, reject) => {
      this.waiters.set(id, { worker: target, size: jobs.length, resolve, reject });
      target.worker.postMessage(msg);
    });
  }

  private onMessage(msg: FromBrowserWorker): void {
    if (msg.type !== 'done') return;
    const waiter = this.waiters.get(msg.id);
    if (waiter === undefined) return;
    this.waiters.delete(msg.id);
    waiter.worker.load -= waiter.size;
    waiter.resolve(msg.outcomes);
  }

  /** A worker that throws at top level has lost its batches: fail them rather than hang. */
  private onWorkerError(worker: PoolWorker, message: string): void {
    for (const [id, waiter] of this.waiters) {
      if (waiter.worker !== worker) continue;
      this.waiters.delete(id);
      worker.load -= waiter.size;
      waiter.reject(new Error(`a Web Worker failed: ${message}`));
    }
  }

  private leastLoaded(): PoolWorker {
    let best = this.workers[0]!;
    for (const w of this.workers) if (w.load < best.load) best = w;
    return best;
  }
}

function startWorker(workerUrl: string, origin: string, gpu: boolean): PoolWorker {
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
  const init: ToBrowserWorker = { type: 'init', origin, gpu };
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
