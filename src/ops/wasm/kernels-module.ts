import { KERNELS_WASM } from './kernels-bytes.js';

/**
 * The compiled kernels module from the bytes inlined at build time. Null where
 * WebAssembly, its SIMD instructions or run-time compilation is missing:
 * workerd refuses to compile bytes ("Wasm code generation disallowed by
 * embedder"), so the Cloudflare bundle swaps this file for
 * src/runtimes/cloudflare/kernels-module.ts, which imports the .wasm file as a
 * module instead (scripts/build-runtimes.mjs).
 */
export function compileKernelsModule(): WebAssembly.Module | null {
  try {
    return new WebAssembly.Module(KERNELS_WASM);
  } catch {
    return null;
  }
}
