/**
 * The five PacketFS ops and their combine functions (contracts §3). Runtime-
 * neutral: no Node APIs, so the same code runs in Node workers, browsers,
 * Cloudflare Workers and Lambda. Each op runs on the fastest kernel the
 * runtime has — WebAssembly SIMD (src/ops/wasm), set up synchronously on
 * import, or the pure TypeScript kernels (`*Pure`) where WebAssembly is
 * unavailable; both pass the same vectors. No async setup is needed.
 */
export { OP_NAMES, type OpName, type OpResult, type OpSpec } from './types.js';
export { counteq, counteqPure } from './counteq.js';
export { crc32c, crc32cPure, setCrc32cImplementation, type Crc32cFunction } from './crc32c.js';
export { crc32cCombine } from './crc32c-combine.js';
export { fnv64, fnv64Pure, FNV64_OFFSET_BASIS } from './fnv64.js';
export { xorFold, xorBytesPure } from './xor-fold.js';
export { addSum, addSumPure } from './add-sum.js';
export { runOp, runOps } from './run-op.js';
export { combineResults } from './combine-results.js';
export { createOpStream, ProgramStream, type OpStream } from './op-stream.js';
export { kernelImplementation, useHostKernels, useWasmKernels, type HostKernels } from './wasm/active-kernels.js';
export { compileKernelsModule } from './wasm/kernels-module.js';
