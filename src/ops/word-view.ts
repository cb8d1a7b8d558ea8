/**
 * Word-at-a-time access to a byte window. Kernels read the aligned middle of a
 * window as 32-bit words (one load per four bytes) and the unaligned edges
 * byte by byte, so views into bigger buffers at any byteOffset work.
 */

/**
 * True when byte 0 of a 32-bit word sits in its low 8 bits. Order-free kernels
 * (counts, sums, xor folds) do not care; order-dependent ones (CRC, FNV) only
 * take the word path on little-endian hosts, which is every current browser,
 * Node and edge runtime; elsewhere they fall back to their byte loop.
 */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Below this size creating a typed-array view costs more than it saves. */
const MIN_WORD_BYTES = 32;

export interface WordView {
  /** bytes [0, head) lie before the first 4-byte-aligned address */
  head: number;
  /** the aligned 32-bit words covering bytes [head, tail) */
  words: Uint32Array;
  /** bytes [tail, length) lie after the last whole word */
  tail: number;
}

/** The aligned word view of `bytes`, or null when the window is too small to be worth it. */
export function wordView(bytes: Uint8Array): WordView | null {
  if (bytes.length < MIN_WORD_BYTES) return null;
  const head = (4 - (bytes.byteOffset & 3)) & 3;
  // Math.floor, not >>> 2: a 4 GiB window would wrap to 0 words.
  const count = Math.floor((bytes.length - head) / 4);
  return { head, words: new Uint32Array(bytes.buffer, bytes.byteOffset + head, count), tail: head + count * 4 };
}
