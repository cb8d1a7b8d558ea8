import { parentPort, workerData } from 'node:worker_threads';
import { addSum, counteq, crc32c, crc32cPure, fnv64, xorFold } from '../src/ops/index.js';
import { installNativeCrc32c } from '../src/runtimes/node/crc32c-native.js';
import type { OpsBenchRow } from './ops-bench.js';

/**
 * Runs inside a worker thread, as the local substrate's kernels do: fills
 * `sizeMiB` of random bytes, warms every kernel up, then times each over the
 * whole buffer and posts the best of five runs.
 */
const RUNS = 5;
const sizeMiB = (workerData as { sizeMiB: number }).sizeMiB;
const data = new Uint8Array(sizeMiB * 1024 * 1024);
// getRandomValues fills at most 64 KiB per call.
for (let i = 0; i < data.length; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));

const kernels: Array<{ op: string; impl: string; run: () => unknown }> = [
  { op: 'counteq', impl: 'ts', run: () => counteq(data, 42) },
  { op: 'crc32c', impl: 'ts', run: () => crc32cPure(data) },
  { op: 'fnv64', impl: 'ts', run: () => fnv64(data) },
  { op: 'xor', impl: 'ts', run: () => xorFold(data, 42) },
  { op: 'add', impl: 'ts', run: () => addSum(data, 42) },
];
if (installNativeCrc32c()) kernels.splice(1, 0, { op: 'crc32c', impl: 'native', run: () => crc32c(data) });

// Storing every result is a side effect the optimiser must keep, so no run can be dropped.
const sink: unknown[] = [];
const rows: OpsBenchRow[] = [];
for (const kernel of kernels) {
  sink.push(kernel.run());
  let best = Infinity;
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    sink.push(kernel.run());
    best = Math.min(best, performance.now() - start);
  }
  rows.push({ op: kernel.op, impl: kernel.impl, gbPerSec: Math.round((data.length / (best / 1000) / 1e9) * 100) / 100 });
}
parentPort!.postMessage(rows);
