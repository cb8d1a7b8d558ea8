import assert from 'node:assert/strict';
import { compileKernelsModule, setCrc32cImplementation, useWasmKernels } from '../../src/ops/index.js';
import { installNativeCrc32c } from '../../src/runtimes/node/crc32c-native.js';

/**
 * Every kernel implementation the vectors must pass under: pure TypeScript
 * only, the WebAssembly kernels (the default wherever they load), and the
 * WebAssembly kernels with each native CRC-32C (@node-rs/crc32, this repo's
 * three-stream SSE4.2 addon).
 */
export const CRC_IMPLS: Array<{ name: string; install: () => void }> = [
  { name: 'pure-ts', install: () => { useWasmKernels(null); setCrc32cImplementation(null); } },
  { name: 'wasm-simd', install: () => { assert.equal(useWasmKernels(compileKernelsModule()), true); setCrc32cImplementation(null); } },
  { name: 'native (@node-rs/crc32)', install: () => {
    useWasmKernels(compileKernelsModule());
    assert.equal(installNativeCrc32c('node-rs'), true, '@node-rs/crc32 should load in the test environment');
  } },
  { name: 'native (three-stream addon)', install: () => {
    useWasmKernels(compileKernelsModule());
    assert.equal(installNativeCrc32c('sse42-3stream'), true, 'npm run build should have built dist/native/crc32c.node with cc');
  } },
];

/** Back to what an import gives: WebAssembly kernels, default CRC. */
export function restoreDefaultKernels(): void {
  useWasmKernels(compileKernelsModule());
  setCrc32cImplementation(null);
}
