import { assertImm } from './imm.js';
import { fastKernelsFor } from './wasm/active-kernels.js';
import { wordView } from './word-view.js';

/**
 * XOR of all (byte XOR imm) (contracts §3, op `xor`). XOR is associative, so the
 * imm applies once when the length is odd and cancels when it is even; the
 * bytes themselves fold a word at a time and the word folds down to a byte.
 */
export function xorFold(bytes: Uint8Array, imm: number): number {
  assertImm(imm, 'imm');
  const fast = fastKernelsFor(bytes);
  return ((fast === null ? xorBytesPure(bytes) : fast.xorBytes(bytes)) ^ (bytes.length % 2 === 1 ? imm : 0)) & 0xff;
}

/** XOR of the bytes themselves (imm not applied), pure TypeScript. */
export function xorBytesPure(bytes: Uint8Array): number {
  const view = wordView(bytes);
  let acc: number;
  if (view === null) {
    acc = foldBytes(bytes, 0, bytes.length);
  } else {
    const w = foldWords(view.words);
    acc = foldBytes(bytes, 0, view.head) ^ foldBytes(bytes, view.tail, bytes.length) ^ w ^ (w >>> 8) ^ (w >>> 16) ^ (w >>> 24);
  }
  return acc & 0xff;
}

function foldBytes(bytes: Uint8Array, from: number, to: number): number {
  let acc = 0;
  for (let i = from; i < to; i++) acc ^= bytes[i]!;
  return acc;
}

/** Four independent accumulators let the CPU overlap loads instead of waiting on one XOR chain. */
function foldWords(words: Uint32Array): number {
  const n = words.length;
  const n8 = n - (n & 7);
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let i = 0;
  for (; i < n8; i += 8) {
    a ^= words[i]! ^ words[i + 4]!;
    b ^= words[i + 1]! ^ words[i + 5]!;
    c ^= words[i + 2]! ^ words[i + 6]!;
    d ^= words[i + 3]! ^ words[i + 7]!;
  }
  for (; i < n; i++) a ^= words[i]!;
  return (a ^ b ^ c ^ d) >>> 0;
}
