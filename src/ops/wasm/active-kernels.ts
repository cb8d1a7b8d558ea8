import { compileKernelsModule } from './kernels-module.js';
import { instantiateKernels, type WasmKernels } from './wasm-kernels.js';

/**
 * Which kernels the exported ops use in this thread. State: `active` holds
 * the WebAssembly kernels, instantiated synchronously when this module is
 * first imported, or null where the runtime cannot run them (then every op
 * uses its pure TypeScript kernel); `host` holds kernels a host runtime
 * plugs in (Node's native addon: src/ops/node/native-kernels.ts), which
 * go first for counteq/xor/add. useWasmKernels and useHostKernels swap them,
 * also for tests and benches that compare implementations.
 */
let active: WasmKernels | null = load(compileKernelsModule());
let host: HostKernels | null = null;

/** counteq/xor/add over any Uint8Array, provided by the host runtime; callers have checked imm. */
export interface HostKernels {
  counteq(bytes: Uint8Array, imm: number): number;
  /** XOR of the bytes, imm not applied */
  xorBytes(bytes: Uint8Array): number;
  addSum(bytes: Uint8Array, imm: number): number;
}

/**
 * Below this many bytes the pure kernels win: a WebAssembly call and a copy
 * into its memory cost more than the few word steps they replace.
 */
export const WASM_MIN_BYTES = 256;

function load(module: WebAssembly.Module | null): WasmKernels | null {
  if (module === null) return null;
  try {
    return instantiateKernels(module);
  } catch {
    return null;
  }
}

/** Installs kernels from `module` (null: pure TypeScript only); returns whether WebAssembly is now active. */
export function useWasmKernels(module: WebAssembly.Module | null): boolean {
  active = load(module);
  return active !== null;
}

/** Installs host kernels for counteq/xor/add (null: none). */
export function useHostKernels(kernels: HostKernels | null): void {
  host = kernels;
}

/** The kernels counteq/xor/add run on for `bytes`: the host's, then WebAssembly, when worth it; null for pure TS. */
export function fastKernelsFor(bytes: Uint8Array): HostKernels | null {
  return host !== null && bytes.length >= WASM_MIN_BYTES ? host : wasmFor(bytes);
}

/** The WebAssembly kernels when they are active and worth it for `bytes`. */
export function wasmFor(bytes: Uint8Array): WasmKernels | null {
  return active !== null && (bytes.length >= WASM_MIN_BYTES || bytes.buffer === active.arena.buffer) ? active : null;
}

let plainArena: Uint8Array | null = null;

/**
 * 1 MiB to read data into and hand to the ops with no further copy: the
 * WebAssembly arena (kernels run on it in place), or plain memory when the
 * pure kernels are active. One per thread, so its user must hold it alone
 * (data/blob-scan.ts serialises its reads); valid until useWasmKernels.
 */
export function kernelArena(): Uint8Array {
  if (active !== null) return active.arena;
  plainArena ??= new Uint8Array(1 << 20);
  return plainArena;
}

/** What counteq/xor/add run on in this thread (fnv64 and crc32c: docs/kernels.md), for health reports. */
export function kernelImplementation(): 'native' | 'wasm-simd' | 'ts' {
  return host !== null ? 'native' : active === null ? 'ts' : 'wasm-simd';
}
