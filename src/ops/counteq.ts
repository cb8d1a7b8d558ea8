import { assertImm } from './imm.js';
import { fastKernelsFor } from './wasm/active-kernels.js';
import { wordView } from './word-view.js';

/** Number of bytes equal to `imm` (contracts §3, op `counteq`), on the fastest kernel this runtime has. */
export function counteq(bytes: Uint8Array, imm: number): number {
  assertImm(imm, 'imm');
  const fast = fastKernelsFor(bytes);
  return fast === null ? counteqPure(bytes, imm) : fast.counteq(bytes, imm);
}

/** The pure TypeScript counteq (SWAR words), the fallback everywhere. */
export function counteqPure(bytes: Uint8Array, imm: number): number {
  assertImm(imm, 'imm');
  const view = wordView(bytes);
  if (view === null) return countBytes(bytes, imm, 0, bytes.length);
  return countBytes(bytes, imm, 0, view.head) + countWords(view.words, imm) + countBytes(bytes, imm, view.tail, bytes.length);
}

function countBytes(bytes: Uint8Array, imm: number, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) if (bytes[i] === imm) count++;
  return count;
}

/**
 * SWAR count: x = word XOR imm×0x01010101 has a zero byte exactly where a byte
 * matched. ((x & 0x7F7F7F7F) + 0x7F7F7F7F) | x sets each byte's top bit iff that
 * byte is non-zero, with no carry between bytes (the masked sum is at most
 * 0xFE per byte), so the test is exact, not the usual "has a zero somewhere".
 * Each word adds 0 or 1 to four byte-lane counters; a counter is flushed before
 * it can pass 127, which keeps the accumulator a small positive int32.
 */
function countWords(words: Uint32Array, imm: number): number {
  const pattern = Math.imul(imm, 0x01010101);
  const n = words.length;
  const n4 = n - (n & 3);
  let total = 0;
  let i = 0;
  while (i < n4) {
    // Two accumulators, each fed two words per step: 248 words = 124 per accumulator.
    const end = Math.min(n4, i + 248);
    let a = 0;
    let b = 0;
    for (; i < end; i += 4) {
      let x = words[i]! ^ pattern;
      a += (~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x) & 0x80808080) >>> 7;
      x = words[i + 1]! ^ pattern;
      b += (~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x) & 0x80808080) >>> 7;
      x = words[i + 2]! ^ pattern;
      a += (~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x) & 0x80808080) >>> 7;
      x = words[i + 3]! ^ pattern;
      b += (~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x) & 0x80808080) >>> 7;
    }
    total += sumByteLanes(a) + sumByteLanes(b);
  }
  let rest = 0;
  for (; i < n; i++) {
    const x = words[i]! ^ pattern;
    rest += (~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x) & 0x80808080) >>> 7;
  }
  return total + sumByteLanes(rest);
}

/** Sum of the four byte lanes of a non-negative int32 whose lanes are each at most 255. */
function sumByteLanes(acc: number): number {
  const pairs = (acc & 0x00ff00ff) + ((acc >>> 8) & 0x00ff00ff);
  return (pairs & 0xffff) + (pairs >>> 16);
}
