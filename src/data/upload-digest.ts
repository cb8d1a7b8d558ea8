import { createHash } from 'node:crypto';
import { crc32c } from '../ops/index.js';
import { loadAddon } from '../ops/node/native-addon.js';

/**
 * The SHA-256 (a blob's name) and CRC-32C of an upload, fed run by run in
 * order. Two ways, same results (test/data/upload-digest.test.ts):
 *   'pool-thread'  native/upload-digest.c: the system libcrypto on a libuv pool
 *                  thread, so the main thread reads the next run meanwhile
 *                  (a PUT's largest CPU cost moves off the thread that
 *                  parses the request)
 *   'main-thread'  node:crypto and the ops' CRC, synchronously, where the
 *                  addon was not built (no libssl-dev headers) or does not load
 * One update at a time: the caller awaits each before the next (the addon
 * refuses overlapping ones) and must not change the parts' bytes until then.
 */
export interface UploadDigest {
  readonly kind: 'pool-thread' | 'main-thread';
  update(parts: Uint8Array[]): Promise<void>;
  finish(): { sha256Hex: string; crc32c: number };
}

interface DigestAddon {
  create(): object;
  update(handle: object, parts: Uint8Array[]): Promise<void>;
  finish(handle: object): { sha256: Buffer; crc32c: number };
}

let addon: DigestAddon | null | undefined;

function digestAddon(): DigestAddon | null {
  if (addon === undefined) addon = loadAddon<DigestAddon>(new URL('../../native/upload-digest.node', import.meta.url));
  return addon;
}

/** Whether uploads are digested off the main thread here. */
export function poolThreadDigestAvailable(): boolean {
  return digestAddon() !== null;
}

export function createUploadDigest(only?: UploadDigest['kind']): UploadDigest {
  const native = only === 'main-thread' ? null : digestAddon();
  if (native === null) {
    if (only === 'pool-thread') throw new Error('the upload digest addon is not built here (scripts/build-native.mjs)');
    return mainThreadDigest();
  }
  const handle = native.create();
  return {
    kind: 'pool-thread',
    update: (parts) => native.update(handle, parts),
    finish: () => {
      const { sha256, crc32c: crc } = native.finish(handle);
      return { sha256Hex: sha256.toString('hex'), crc32c: crc };
    },
  };
}

function mainThreadDigest(): UploadDigest {
  const sha = createHash('sha256');
  let crc = 0;
  return {
    kind: 'main-thread',
    update: (parts) => {
      for (const part of parts) {
        sha.update(part);
        crc = crc32c(part, crc);
      }
      return Promise.resolve();
    },
    finish: () => ({ sha256Hex: sha.digest('hex'), crc32c: crc }),
  };
}
