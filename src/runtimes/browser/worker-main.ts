import type { WindowContext } from '../../data/window.js';
import type { ProgramSpec } from '../../job/types.js';
import type { ExecOutcome } from '../../substrates/substrate.js';
import { executeInline, executeProgram } from '../node-worker/execute-program.js';
import { NO_GPU, setupGpuOffload, type GpuOffload } from './gpu-offload.js';
import { createBrowserWindowContext } from './window-context.js';
import type { FromBrowserWorker, ToBrowserWorker } from './worker-messages.js';

/**
 * Entry of a browser Web Worker (bundled as /packetfs-worker.js). The page
 * never runs ops itself: its WorkerPool posts batches here.
 *
 * Inline-data jobs run in one synchronous loop as soon as a batch arrives;
 * jobs that fetch a window share a small number of concurrent reads per
 * worker, so a big batch of 1 MiB windows neither floods the dispatcher nor
 * holds every window in memory at once.
 */

/** Concurrent window fetches per worker: enough to hide a round trip behind another job's CRC. */
const FETCH_CONCURRENCY = 4;

interface WorkerScope {
  postMessage(msg: FromBrowserWorker): void;
  onmessage: ((event: MessageEvent<ToBrowserWorker>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

let ctx: WindowContext | null = null;
let gpu: GpuOffload = NO_GPU;
const pending: (() => Promise<void>)[] = [];
let active = 0;

scope.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'init') {
    const context = createBrowserWindowContext(msg.origin);
    if (msg.gpu !== true) {
      ctx = context;
      scope.postMessage({ type: 'ready' });
      return;
    }
    void setupGpuOffload().then((offload) => {
      gpu = offload;
      ctx = context;
      scope.postMessage({ type: 'ready', gpu: offload.report });
    });
  } else if (ctx !== null) {
    runBatch(ctx, msg.id, msg.programs, msg.deadlines);
  }
};

function runBatch(context: WindowContext, id: number, programs: ProgramSpec[], deadlines: number[]): void {
  const outcomes = new Array<ExecOutcome>(programs.length);
  let left = 0;
  const finish = (): void => { if (--left === 0) scope.postMessage({ type: 'done', id, outcomes }); };
  for (let i = 0; i < programs.length; i++) {
    const program = programs[i]!;
    if (program.data !== undefined) {
      outcomes[i] = executeInline(program, deadlines[i]!, context);
      continue;
    }
    left++;
    pending.push(async () => {
      outcomes[i] = await executeProgram({ program, deadline: deadlines[i]! }, context, gpu);
      finish();
    });
  }
  if (left === 0) scope.postMessage({ type: 'done', id, outcomes });
  else pump();
}

function pump(): void {
  while (active < FETCH_CONCURRENCY && pending.length > 0) {
    const task = pending.shift()!;
    active++;
    // executeProgram never rejects: failures are ok:false outcomes
    void task().then(() => { active--; pump(); });
  }
}
