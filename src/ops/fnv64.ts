import { PacketFSError } from '../errors.js';
import { wasmFor } from './wasm/active-kernels.js';
import { LITTLE_ENDIAN, wordView } from './word-view.js';

/** FNV-1a 64 offset basis, the state before any byte. */
export const FNV64_OFFSET_BASIS = 'cbf29ce484222325';

const STATE_PATTERN = /^[0-9a-f]{16}$/i;
const TWO_POW_MINUS_32 = 2 ** -32;

/**
 * FNV-1a 64 (contracts §3, op `fnv64`) as 16 lowercase hex digits, on the
 * fastest kernel this runtime has. `stateHex` is the hash of the preceding
 * data (a previous result, the program's `fnv_state`), so
 * fnv64(B, fnv64(A)) = fnv64(A‖B).
 */
export function fnv64(bytes: Uint8Array, stateHex: string = FNV64_OFFSET_BASIS): string {
  assertFnvState(stateHex);
  const wasm = wasmFor(bytes);
  if (wasm === null) return fnv64Pure(bytes, stateHex);
  return wasm.fnv64(bytes, BigInt('0x' + stateHex)).toString(16).padStart(16, '0');
}

function assertFnvState(stateHex: unknown): asserts stateHex is string {
  if (typeof stateHex !== 'string' || !STATE_PATTERN.test(stateHex)) {
    throw new PacketFSError('INVALID_JOB', `fnv_state must be 16 hex digits, got ${JSON.stringify(stateHex)}`, { path: 'program.fnv_state' });
  }
}

/**
 * The pure TypeScript FNV-1a 64, the fallback everywhere; the state is checked.
 *
 * The state lives in two uint32 halves to keep BigInt out of the loop. With
 * prime = 2^40 + 0x1b3 and x = lo XOR byte:
 *   lo' = x·0x1b3 mod 2^32
 *   hi' = hi·0x1b3 + (x << 8) + ⌊x·0x1b3 / 2^32⌋  mod 2^32
 * x·0x1b3 < 2^41 is exact in a double, so the carry is a double multiply by
 * 2^-32 and a truncation. The loop is bound by the xor→imul chain on `lo`
 * (each byte needs the previous state), which no word trick can shorten;
 * reading four bytes per load only trims the load overhead.
 */
export function fnv64Pure(bytes: Uint8Array, stateHex: string = FNV64_OFFSET_BASIS): string {
  assertFnvState(stateHex);
  let hi = parseInt(stateHex.slice(0, 8), 16) | 0;
  let lo = parseInt(stateHex.slice(8), 16) | 0;
  let from = 0;
  const view = LITTLE_ENDIAN ? wordView(bytes) : null;
  if (view !== null) {
    for (; from < view.head; from++) {
      const x = lo ^ bytes[from]!;
      lo = Math.imul(x, 0x1b3);
      hi = (Math.imul(hi, 0x1b3) + (((x >>> 0) * 0x1b3 * TWO_POW_MINUS_32) | 0) + (x << 8)) | 0;
    }
    const words = view.words;
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      let x = lo ^ (w & 0xff);
      lo = Math.imul(x, 0x1b3);
      hi = (Math.imul(hi, 0x1b3) + (((x >>> 0) * 0x1b3 * TWO_POW_MINUS_32) | 0) + (x << 8)) | 0;
      x = lo ^ ((w >>> 8) & 0xff);
      lo = Math.imul(x, 0x1b3);
      hi = (Math.imul(hi, 0x1b3) + (((x >>> 0) * 0x1b3 * TWO_POW_MINUS_32) | 0) + (x << 8)) | 0;
      x = lo ^ ((w >>> 16) & 0xff);
      lo = Math.imul(x, 0x1b3);
      hi = (Math.imul(hi, 0x1b3) + (((x >>> 0) * 0x1b3 * TWO_POW_MINUS_32) | 0) + (x << 8)) | 0;
      x = lo ^ (w >>> 24);
      lo = Math.imul(x, 0x1b3);
      hi = (Math.imul(hi, 0x1b3) + (((x >>> 0) * 0x1b3 * TWO_POW_MINUS_32) | 0) + (x << 8)) | 0;
    }
    from = view.tail;
  }
  for (let i = from; i < bytes.length; i++) {
    const x = lo ^ bytes[i]!;
    lo = Math.imul(x, 0x1b3);
    hi = (Math.imul(hi, 0x1b3) + (((x >>> 0) * 0x1b3 * TWO_POW_MINUS_32) | 0) + (x << 8)) | 0;
  }
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}
