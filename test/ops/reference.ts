/**
 * Obviously-correct byte-by-byte versions of the five ops, straight from the
 * definitions in contracts §3, for property tests of the fast kernels.
 */
export function refCounteq(bytes: Uint8Array, imm: number): number {
  let n = 0;
  for (const b of bytes) if (b === imm) n++;
  return n;
}

export function refXor(bytes: Uint8Array, imm: number): number {
  let x = 0;
  for (const b of bytes) x ^= b ^ imm;
  return x;
}

export function refAdd(bytes: Uint8Array, imm: number): number {
  let s = 0;
  for (const b of bytes) s += (b + imm) % 256;
  return s;
}

/** Bit at a time, no tables. */
export function refCrc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

export function refFnv64(bytes: Uint8Array, state = 0xcbf29ce484222325n): string {
  let h = state;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

/** Deterministic PRNG (mulberry32) so a failing case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(rand: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (rand() * 256) | 0;
  return out;
}
