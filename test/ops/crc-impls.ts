import assert from 'node:assert/strict';
import { compileKernelsModule, setCrc32cImplementation, useWasmKernels } from '../../src/ops/index.js';
import { installNativeCrc32c } from '../../src/runtimes/node/crc32c-native.js';

/**
 * Every kernel implementation the vectors must pass under: pure TypeScript
 * only, the WebAssembly kernels (the default wherever they load), and the
 * WebAssembly kernels with @node-rs/crc32's native CRC-32C.
 */
export const CRC_IMPLS: Array<{ name: string; install: () => void }> = [
  { name: 'pure-ts', install: () => { useWasmKernels(null); setCrc32cImplementation(null); } },
  { name: 'wasm-simd', install: () => { assert.equal(useWasmKernels(compileKernelsModule()), true); setCrc32cImplementation(null); } },
  { name: 'native', install: () => {
    useWasmKernels(compileKernelsModule());
    assert.equal(installNativeCrc32c(), true, '@node-rs/crc32 should load in the test environment');
  } },
];

/** Back to what an import gives: WebAssembly kernels, default CRC. */
export function restoreDefaultKernels(): void {
  useWasmKernels(compileKernelsModule());
  setCrc32cImplementation(null);
}
