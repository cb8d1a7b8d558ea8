import kernels from './kernels.wasm';

/**
 * The Cloudflare bundle's stand-in for src/ops/wasm/kernels-module.ts
 * (swapped in by scripts/build-runtimes.mjs): workerd compiles no wasm bytes
 * at run time, but hands a `.wasm` module import over already compiled. The
 * build copies dist/wasm/kernels.wasm beside worker.js; wrangler.toml's
 * CompiledWasm rule uploads it, and Miniflare needs the same rule.
 */
export function compileKernelsModule(): WebAssembly.Module | null {
  return kernels;
}
