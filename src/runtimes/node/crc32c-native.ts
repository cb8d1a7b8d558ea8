import { createRequire } from 'node:module';
import { setCrc32cImplementation } from '../../ops/index.js';

/**
 * Installs @node-rs/crc32's CRC-32C (SSE4.2 / ARMv8 CRC instructions) as the
 * ops' CRC implementation in this thread. Its `initialState` argument is the
 * CRC of the preceding data, the same chaining contract as `prev`
 * (crc32c(B, crc32c(A)) = crc32c(A‖B), checked by the ops vector tests).
 *
 * Loaded with require inside a try so a missing or unbuildable prebuilt
 * binary (unusual platform, bundled deploy) leaves the pure-TS CRC in place
 * instead of failing the import. Returns whether the native one is active.
 */
export function installNativeCrc32c(): boolean {
  let native: (input: Uint8Array, initialState?: number) => number;
  try {
    native = (createRequire(import.meta.url)('@node-rs/crc32') as typeof import('@node-rs/crc32')).crc32c;
  } catch {
    return false;
  }
  setCrc32cImplementation((bytes, prev) =>
    // The binding wants a Buffer; this one is a view of the same memory, not a copy.
    native(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), prev));
  return true;
}
