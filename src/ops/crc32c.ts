import { wasmFor } from './wasm/active-kernels.js';
import { LITTLE_ENDIAN, wordView } from './word-view.js';

/** CRC-32C of a window given the CRC of the data before it (0 for none). */
export type Crc32cFunction = (bytes: Uint8Array, prev: number) => number;

/** Reflected Castagnoli polynomial. */
export const CRC32C_POLY = 0x82f63b78;

/**
 * Slicing-by-16 tables: TABLES[t·256 + b] is the CRC register contribution of
 * byte b followed by t zero bytes, so 16 bytes fold into the register with 16
 * independent lookups instead of a 16-step dependency chain.
 */
const TABLES = buildTables();

function buildTables(): Int32Array {
  const tables = new Int32Array(16 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CRC32C_POLY : c >>> 1;
    tables[b] = c;
  }
  for (let b = 0; b < 256; b++) {
    let c = tables[b]!;
    for (let t = 1; t < 16; t++) {
      c = tables[c & 0xff]! ^ (c >>> 8);
      tables[t * 256 + b] = c;
    }
  }
  return tables;
}

/**
 * Pure TypeScript CRC-32C (contracts §3), usable in every runtime. `prev` is the
 * CRC of the data before `bytes`, so crc32cPure(B, crc32cPure(A)) = CRC(A‖B).
 */
export function crc32cPure(bytes: Uint8Array, prev = 0): number {
  const T = TABLES;
  let c = ~prev;
  let from = 0;
  const view = LITTLE_ENDIAN ? wordView(bytes) : null;
  if (view !== null) {
    for (; from < view.head; from++) c = T[(c ^ bytes[from]!) & 0xff]! ^ (c >>> 8);
    const words = view.words;
    const n16 = words.length - (words.length & 3);
    for (let i = 0; i < n16; i += 4) {
      const a = words[i]! ^ c;
      const b = words[i + 1]!;
      const d = words[i + 2]!;
      const e = words[i + 3]!;
      c = T[3840 + (a & 0xff)]! ^ T[3584 + ((a >>> 8) & 0xff)]! ^ T[3328 + ((a >>> 16) & 0xff)]! ^ T[3072 + (a >>> 24)]!
        ^ T[2816 + (b & 0xff)]! ^ T[2560 + ((b >>> 8) & 0xff)]! ^ T[2304 + ((b >>> 16) & 0xff)]! ^ T[2048 + (b >>> 24)]!
        ^ T[1792 + (d & 0xff)]! ^ T[1536 + ((d >>> 8) & 0xff)]! ^ T[1280 + ((d >>> 16) & 0xff)]! ^ T[1024 + (d >>> 24)]!
        ^ T[768 + (e & 0xff)]! ^ T[512 + ((e >>> 8) & 0xff)]! ^ T[256 + ((e >>> 16) & 0xff)]! ^ T[e >>> 24]!;
    }
    from = view.head + n16 * 4;
  }
  for (let i = from; i < bytes.length; i++) c = T[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The default: the WebAssembly kernel where it runs and pays off, else the pure one. */
function crc32cDefault(bytes: Uint8Array, prev: number): number {
  const wasm = wasmFor(bytes);
  return wasm === null ? crc32cPure(bytes, prev) : wasm.crc32c(bytes, prev);
}

let implementation: Crc32cFunction = crc32cDefault;

/**
 * Lets a runtime plug in a faster CRC-32C (e.g. a native SSE4.2/ARMv8 one in
 * Node); `null` restores the default (WebAssembly where it runs, else pure
 * TypeScript). Per module instance, so every worker thread installs its own.
 */
export function setCrc32cImplementation(fn: Crc32cFunction | null): void {
  implementation = fn ?? crc32cDefault;
}

/** CRC-32C with the installed implementation; see crc32cPure for `prev`. */
export function crc32c(bytes: Uint8Array, prev = 0): number {
  return implementation(bytes, prev) >>> 0;
}
