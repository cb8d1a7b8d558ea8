import { parentPort, workerData } from 'node:worker_threads';
import { installNativeCrc32c, loadNativeCrc32c } from '../src/runtimes/node/crc32c-native.js';
import { measureKernels, type Crc32cImpl, type KernelRow } from './kernels-measure.js';

/**
 * The Node side of the kernels bench, on the main thread (imported) and in a
 * worker thread (kernels-bench.ts starts this file with workerData). Each
 * native CRC-32C is an extra row; the "ops export" rows use the fastest
 * native one, as `packetfs-compute/ops` does under Node.
 */
export function measureNodeKernels(sizeMiB: number): KernelRow[] {
  const extraCrc: Record<string, Crc32cImpl> = {};
  for (const kind of ['node-rs', 'sse42-3stream'] as const) {
    const fn = loadNativeCrc32c(kind);
    if (fn !== null) extraCrc[`native (${kind})`] = fn;
  }
  installNativeCrc32c();
  return measureKernels({ sizeMiB, extraCrc });
}

if (parentPort !== null && (workerData as { kernelsBench?: number } | null)?.kernelsBench !== undefined) {
  parentPort.postMessage(measureNodeKernels((workerData as { kernelsBench: number }).kernelsBench));
}
