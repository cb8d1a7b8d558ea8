import assert from 'node:assert/strict';
import { compileKernelsModule, setCrc32cImplementation, useHostKernels, useWasmKernels } from '../../src/ops/index.js';
import { installNativeCrc32c } from '../../src/ops/node/crc32c-native.js';
import { installNativeKernels } from '../../src/ops/node/native-kernels.js';

/**
 * Every kernel implementation the vectors must pass under: pure TypeScript
 * only, the WebAssembly kernels (the default wherever they load), the native
 * addon (AVX2 counteq/xor/add, three-stream SSE4.2 CRC) and @node-rs/crc32.
 */
export const CRC_IMPLS: Array<{ name: string; install: () => void }> = [
  { name: 'pure-ts', install: () => { restoreDefaultKernels(); useWasmKernels(null); } },
  { name: 'wasm-simd', install: () => { restoreDefaultKernels(); assert.equal(kernelsLoaded(), true); } },
  { name: 'native addon (AVX2 kernels, three-stream CRC)', install: () => {
    restoreDefaultKernels();
    assert.deepEqual(installNativeKernels(), { kernels: true, crc32c: true }, 'npm run build should have built dist/native/kernels.node with cc');
  } },
  { name: 'native CRC @node-rs/crc32', install: () => {
    restoreDefaultKernels();
    assert.equal(installNativeCrc32c('node-rs'), true, '@node-rs/crc32 should load in the test environment');
  } },
];

function kernelsLoaded(): boolean {
  return useWasmKernels(compileKernelsModule());
}

/** Back to what an import of the neutral ops gives: WebAssembly kernels, no host kernels, default CRC. */
export function restoreDefaultKernels(): void {
  useWasmKernels(compileKernelsModule());
  useHostKernels(null);
  setCrc32cImplementation(null);
}
