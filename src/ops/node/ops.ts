/**
 * `packetfs-compute/ops` under Node (package.json's "node" export condition):
 * the runtime-neutral ops, plus the native kernels (AVX2 counteq/xor/add,
 * three-stream CRC-32C) installed on import where they load (native-kernels.ts). Other runtimes get src/ops/index.ts as is.
 */
import { installNativeKernels } from './native-kernels.js';

export * from '../index.js';

installNativeKernels();
