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
 * Inline-data jobs run in one synchronous loop as soon as a batch arrives
 * and are answered in one message. Jobs that read a window queue here and
 * run `fetch_concurrency` at a time (the pool's share of the tab's
 * connections to the dispatcher), so reads overlap other windows' ops; each
 * is answered as soon as it is done (outcomes finished in the same turn go
 * in one message), so the dispatcher can refill its slot while the rest of
 * the batch still runs.
 */

interface WorkerScope {
  postMessage(msg: FromBrowserWorker): void;
  onmessage: ((event: MessageEvent<ToBrowserWorker>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

let ctx: WindowContext | null = null;
let gpu: GpuOffload = NO_GPU;
let fetchConcurrency = 2;
const pending: (() => Promise<void>)[] = [];
let active = 0;
/** outcomes finished this turn, per run id, posted together at the end of the turn */
const finished = new Map<number, { indices: number[]; outcomes: ExecOutcome[] }>();
let flushQueued = false;

scope.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'init') {
    fetchConcurrency = Math.max(1, Math.floor(msg.fetch_concurrency));
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
  const inlineIdx: number[] = [];
  const inlineOut: ExecOutcome[] = [];
  for (let i = 0; i < programs.length; i++) {
    const program = programs[i]!;
    const deadline = deadlines[i]!;
    if (program.data !== undefined) {
      inlineIdx.push(i);
      inlineOut.push(executeInline(program, deadline, context));
      continue;
    }
    pending.push(async () => {
      // executeProgram never rejects: failures are ok:false outcomes
      answer(id, i, await executeProgram({ program, deadline }, context, gpu));
    });
  }
  if (inlineIdx.length > 0) scope.postMessage({ type: 'outcomes', id, indices: inlineIdx, outcomes: inlineOut });
  pump();
}

function answer(id: number, index: number, outcome: ExecOutcome): void {
  let run = finished.get(id);
  if (run === undefined) {
    run = { indices: [], outcomes: [] };
    finished.set(id, run);
  }
  run.indices.push(index);
  run.outcomes.push(outcome);
  if (flushQueued) return;
  flushQueued = true;
  setTimeout(flush, 0);
}

function flush(): void {
  flushQueued = false;
  for (const [id, run] of finished) scope.postMessage({ type: 'outcomes', id, indices: run.indices, outcomes: run.outcomes });
  finished.clear();
}

function pump(): void {
  while (active < fetchConcurrency && pending.length > 0) {
    const task = pending.shift()!;
    active++;
    void task().then(() => { active--; pump(); });
  }
}
