import { useHostKernels } from '../wasm/active-kernels.js';
import { installNativeCrc32c } from './crc32c-native.js';
import { nativeAddon } from './native-addon.js';

/**
 * Puts the fastest native kernels of this thread behind the ops: the addon's
 * AVX2 counteq/xor/add, which read any Uint8Array where it lies (WebAssembly
 * must copy it into its memory first), and the fastest native CRC-32C.
 * FNV-1a stays on WebAssembly, as fast as C for a serial chain. Returns what
 * was installed; without the addon the WebAssembly kernels stay.
 */
export function installNativeKernels(): { kernels: boolean; crc32c: boolean } {
  const addon = nativeAddon();
  const kernels = addon?.avx2 === true;
  if (kernels && addon !== null) useHostKernels({ counteq: addon.counteq, xorBytes: addon.xorBytes, addSum: addon.addSum });
  return { kernels, crc32c: installNativeCrc32c() };
}
