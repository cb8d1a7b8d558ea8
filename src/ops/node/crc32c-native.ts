import { createRequire } from 'node:module';
import { setCrc32cImplementation, type Crc32cFunction } from '../index.js';
import { nativeAddon } from './native-addon.js';

/**
 * Native CRC-32C for Node threads, fastest first:
 *   'sse42-3stream'  this repo's addon (native/addon.c, native-addon.ts):
 *                    three interleaved SSE4.2 streams, at the C limit
 *   'node-rs'        @node-rs/crc32's prebuilt binary from the npm registry
 *                    (measured well below the three-stream limit, BENCHMARKS.md)
 * Both chain like `prev`: crc32c(B, crc32c(A)) = crc32c(A‖B), checked by the
 * ops vector tests. Each is loaded with require inside a try, so a missing or
 * unloadable binary (no compiler at build time, a bundled deploy, another
 * CPU) leaves the next one — or the WebAssembly kernel — in place.
 */
export type NativeCrc32c = 'sse42-3stream' | 'node-rs';

const require = createRequire(import.meta.url);

/** The native CRC-32C of that kind, or null where it does not load here. */
export function loadNativeCrc32c(kind: NativeCrc32c): Crc32cFunction | null {
  try {
    if (kind === 'sse42-3stream') {
      const addon = nativeAddon();
      return addon?.sse42 === true ? addon.crc32c : null;
    }
    const native = (require('@node-rs/crc32') as typeof import('@node-rs/crc32')).crc32c;
    // The binding wants a Buffer; this one is a view of the same memory, not a copy.
    return (bytes, prev) => native(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), prev);
  } catch {
    return null;
  }
}

let installed: NativeCrc32c | null = null;

/**
 * Installs the fastest native CRC-32C that loads (or exactly `only`) as the
 * ops' CRC in this thread; returns whether one did.
 */
export function installNativeCrc32c(only?: NativeCrc32c): boolean {
  for (const kind of only === undefined ? (['sse42-3stream', 'node-rs'] as const) : [only]) {
    const fn = loadNativeCrc32c(kind);
    if (fn !== null) {
      setCrc32cImplementation(fn);
      installed = kind;
      return true;
    }
  }
  return false;
}

/** Which native CRC-32C installNativeCrc32c put in place last in this thread, if any. */
export function installedNativeCrc32c(): NativeCrc32c | null {
  return installed;
}
