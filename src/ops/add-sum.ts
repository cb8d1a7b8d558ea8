import { assertImm } from './imm.js';
import { fastKernelsFor } from './wasm/active-kernels.js';
import { wordView } from './word-view.js';

/**
 * Sum of all (byte + imm) mod 256 (contracts §3, op `add`), as a plain integer.
 * The largest sum, 255 × 2^44, is below 2^53, so windows up to 16 TiB are exact.
 */
export function addSum(bytes: Uint8Array, imm: number): number {
  assertImm(imm, 'imm');
  const fast = fastKernelsFor(bytes);
  return fast === null ? addSumPure(bytes, imm) : fast.addSum(bytes, imm);
}

/** The pure TypeScript add (SWAR words), the fallback everywhere. */
export function addSumPure(bytes: Uint8Array, imm: number): number {
  assertImm(imm, 'imm');
  const view = wordView(bytes);
  if (view === null) return sumBytes(bytes, imm, 0, bytes.length);
  return sumBytes(bytes, imm, 0, view.head) + sumWords(view.words, imm) + sumBytes(bytes, imm, view.tail, bytes.length);
}

function sumBytes(bytes: Uint8Array, imm: number, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += (bytes[i]! + imm) & 0xff;
  return sum;
}

/**
 * SWAR: adds imm to all four bytes of a word at once without carries between
 * bytes — the low seven bits of each byte add (at most 0xFE, so no carry out)
 * and the top bit is the XOR of both top bits and the carry into it; the carry
 * out of each byte is the "mod 256". The transformed bytes are then summed
 * in two 16-bit lanes (even and odd bytes add at most 510 per word). Each lane
 * is flushed after 64 words (≤ 32640), so accumulators stay positive int32s.
 */
function sumWords(words: Uint32Array, imm: number): number {
  const pattern = Math.imul(imm, 0x01010101);
  const low7 = pattern & 0x7f7f7f7f;
  const top = pattern & 0x80808080;
  const n = words.length;
  const n4 = n - (n & 3);
  let total = 0;
  let i = 0;
  while (i < n4) {
    // Two accumulators, each fed two words per step: 128 words = 64 per accumulator.
    const end = Math.min(n4, i + 128);
    let a = 0;
    let b = 0;
    for (; i < end; i += 4) {
      let x = words[i]!;
      let t = ((x & 0x7f7f7f7f) + low7) ^ ((x & 0x80808080) ^ top);
      a += (t & 0x00ff00ff) + ((t >>> 8) & 0x00ff00ff);
      x = words[i + 1]!;
      t = ((x & 0x7f7f7f7f) + low7) ^ ((x & 0x80808080) ^ top);
      b += (t & 0x00ff00ff) + ((t >>> 8) & 0x00ff00ff);
      x = words[i + 2]!;
      t = ((x & 0x7f7f7f7f) + low7) ^ ((x & 0x80808080) ^ top);
      a += (t & 0x00ff00ff) + ((t >>> 8) & 0x00ff00ff);
      x = words[i + 3]!;
      t = ((x & 0x7f7f7f7f) + low7) ^ ((x & 0x80808080) ^ top);
      b += (t & 0x00ff00ff) + ((t >>> 8) & 0x00ff00ff);
    }
    total += (a & 0xffff) + (a >>> 16) + (b & 0xffff) + (b >>> 16);
  }
  let rest = 0;
  for (; i < n; i++) {
    const x = words[i]!;
    const t = ((x & 0x7f7f7f7f) + low7) ^ ((x & 0x80808080) ^ top);
    rest += (t & 0x00ff00ff) + ((t >>> 8) & 0x00ff00ff);
  }
  return total + (rest & 0xffff) + (rest >>> 16);
}
