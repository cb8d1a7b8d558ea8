import kernels from './kernels.wasm?module';

/**
 * The Vercel Edge bundle's stand-in for src/ops/wasm/kernels-module.ts
 * (swapped in by scripts/build-runtimes.mjs). The Edge runtime compiles no
 * wasm bytes at run time ("Wasm code generation disallowed by embedder"),
 * but Vercel's build turns a `.wasm?module` import into a WebAssembly.Module
 * it compiled ahead of time and binds it to the function, which instantiates
 * synchronously. The build copies dist/wasm/kernels.wasm beside edge.js; the
 * deploy keeps the two side by side (docs/deploy.md). Without the binding the
 * ops run on the pure kernels, and /health says `kernels: "ts"`.
 */
export function compileKernelsModule(): WebAssembly.Module | null {
  return (kernels as WebAssembly.Module | undefined) ?? null;
}
