import { parentPort, workerData } from 'node:worker_threads';
import { createNodeWindowContext } from '../../data/node-window-context.js';
import type { ProgramSpec } from '../../job/types.js';
import type { ExecOutcome } from '../../substrates/substrate.js';
import { installNativeKernels } from '../../ops/node/native-kernels.js';
import { executeInline, executeProgram } from './execute-program.js';
import type { FromWorker, PoolWorkerData, ToWorker } from './messages.js';
import { unpackPrograms } from '../../substrates/local/program-columns.js';

/**
 * Entry of a local-pool worker thread. Each 'batch' message carries many
 * jobs and gets exactly one 'done' reply with the outcomes in order.
 *
 * Inline-data jobs are pure CPU once decoded, so they run in one synchronous
 * loop as soon as the batch arrives. Jobs that read a blob or a data_url wait
 * on I/O; they go through one queue per thread with a small concurrency cap,
 * so a burst of them neither floods a server nor holds a window per job in memory.
 */

/** Concurrent blob/data_url reads per thread. */
const IO_CONCURRENCY = 8;

if (parentPort === null) throw new Error('worker-main is a worker thread entry; the local substrate starts it');
const port = parentPort;

const { data, running } = workerData as PoolWorkerData;
installNativeKernels();
const ctx = createNodeWindowContext(data);

interface IoBatch {
  id: number;
  outcomes: ExecOutcome[];
  left: number;
}

/** One queued I/O job; it is also the ProgramRequest handed to executeProgram. */
interface IoTask {
  batch: IoBatch;
  index: number;
  program: ProgramSpec;
  deadline: number;
}

const ioQueue: (IoTask | undefined)[] = [];
let ioHead = 0;
let ioActive = 0;

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'ping') post({ type: 'pong', id: msg.id });
  else runBatch(msg.id, unpackPrograms(msg.programs), msg.deadlines);
});
post({ type: 'ready' });

function runBatch(id: number, programs: ProgramSpec[], deadlines: Float64Array): void {
  const outcomes = new Array<ExecOutcome>(programs.length);
  let ioIndexes: number[] | null = null;
  Atomics.store(running, 0, id);
  for (let i = 0; i < programs.length; i++) {
    const program = programs[i]!;
    if (program.data !== undefined) outcomes[i] = executeInline(program, deadlines[i]!, ctx);
    else {
      ioIndexes ??= [];
      ioIndexes.push(i);
    }
  }
  Atomics.store(running, 0, 0);
  if (ioIndexes === null) {
    post({ type: 'done', id, outcomes: JSON.stringify(outcomes) });
    return;
  }
  const batch: IoBatch = { id, outcomes, left: ioIndexes.length };
  for (const index of ioIndexes) ioQueue.push({ batch, index, program: programs[index]!, deadline: deadlines[index]! });
  pumpIo();
}

function pumpIo(): void {
  while (ioActive < IO_CONCURRENCY && ioHead < ioQueue.length) {
    const task = ioQueue[ioHead]!;
    ioQueue[ioHead++] = undefined; // let the task be collected while the queue drains
    if (ioHead === ioQueue.length) {
      ioQueue.length = 0;
      ioHead = 0;
    }
    ioActive++;
    void executeProgram(task, ctx).then((outcome) => finishIo(task, outcome));
  }
}

function finishIo(task: IoTask, outcome: ExecOutcome): void {
  ioActive--;
  const { batch } = task;
  batch.outcomes[task.index] = outcome;
  if (--batch.left === 0) post({ type: 'done', id: batch.id, outcomes: JSON.stringify(batch.outcomes) });
  pumpIo();
}

function post(msg: FromWorker): void {
  port.postMessage(msg);
}
