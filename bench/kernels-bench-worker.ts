import { parentPort, workerData } from 'node:worker_threads';
import { loadNativeCrc32c } from '../src/ops/node/crc32c-native.js';
import { nativeAddon } from '../src/ops/node/native-addon.js';
import { installNativeKernels } from '../src/ops/node/native-kernels.js';
import { measureKernels, type ExtraKernel, type KernelRow } from './kernels-measure.js';

/**
 * The Node side of the kernels bench, on the main thread (imported) and in a
 * worker thread (kernels-bench.ts starts this file with workerData). The
 * native kernels are extra rows; the "ops export" rows then use them where
 * they load, as `packetfs-compute/ops` does under Node.
 */
export function measureNodeKernels(sizeMiB: number): KernelRow[] {
  const extra: ExtraKernel[] = [];
  const addon = nativeAddon();
  if (addon !== null) {
    extra.push(
      { op: 'counteq', impl: 'native (avx2)', run: (d) => addon.counteq(d, 42) },
      { op: 'xor', impl: 'native (avx2)', run: (d) => addon.xorBytes(d) },
      { op: 'add', impl: 'native (avx2)', run: (d) => addon.addSum(d, 42) },
    );
  }
  for (const kind of ['sse42-3stream', 'node-rs'] as const) {
    const fn = loadNativeCrc32c(kind);
    if (fn !== null) extra.push({ op: 'crc32c', impl: `native (${kind})`, run: (d) => fn(d, 0) });
  }
  installNativeKernels();
  return measureKernels({ sizeMiB, extra });
}

if (parentPort !== null && (workerData as { kernelsBench?: number } | null)?.kernelsBench !== undefined) {
  parentPort.postMessage(measureNodeKernels((workerData as { kernelsBench: number }).kernelsBench));
}
