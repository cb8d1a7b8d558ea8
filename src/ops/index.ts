/**
 * The five PacketFS ops and their combine functions (contracts §3). Runtime-
 * neutral: plain TypeScript over Uint8Array, no Node APIs, so the same code
 * runs in Node workers, browsers, Cloudflare Workers and Lambda.
 */
export { OP_NAMES, type OpName, type OpResult, type OpSpec } from './types.js';
export { counteq } from './counteq.js';
export { crc32c, crc32cPure, setCrc32cImplementation, type Crc32cFunction } from './crc32c.js';
export { crc32cCombine } from './crc32c-combine.js';
export { fnv64, FNV64_OFFSET_BASIS } from './fnv64.js';
export { xorFold } from './xor-fold.js';
export { addSum } from './add-sum.js';
export { runOp, runOps } from './run-op.js';
export { combineResults } from './combine-results.js';
