import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * This repo's native kernels addon (native/addon.c), built by `npm run build`
 * into dist/native/kernels.node with the system compiler. Loaded once per
 * thread; null where it was not built (no compiler or Node headers), does not
 * load here (a bundle without it, another platform) or from source under tsx.
 */
export interface NativeAddon {
  crc32c(bytes: Uint8Array, prev: number): number;
  counteq(bytes: Uint8Array, imm: number): number;
  xorBytes(bytes: Uint8Array): number;
  addSum(bytes: Uint8Array, imm: number): number;
  /** whether this CPU runs the SSE4.2 CRC and the AVX2 kernels (plain C loops otherwise) */
  sse42: boolean;
  avx2: boolean;
}

let addon: NativeAddon | null | undefined;

export function nativeAddon(): NativeAddon | null {
  if (addon === undefined) addon = loadAddon<NativeAddon>(new URL('../../../native/kernels.node', import.meta.url));
  return addon;
}

/** A compiled addon of this repo (dist/native/*.node), or null where it was not built or does not load here. */
export function loadAddon<T>(file: URL): T | null {
  try {
    return createRequire(import.meta.url)(fileURLToPath(file)) as T;
  } catch {
    return null;
  }
}
