import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { crc32c } from '../ops/index.js';
import { loadAddon } from '../ops/node/native-addon.js';

/**
 * Writes an upload into its file and computes its SHA-256 (a blob's name)
 * and CRC-32C, fed batch by batch in order. Two ways, same results
 * (test/data/upload-writer.test.ts):
 *   'pool-thread'  native/upload-writer.c: a batch's pwrite(2)s and its digest
 *                  (the system libcrypto) run at the same time on two libuv
 *                  pool threads, so the main thread does nothing but read the
 *                  request meanwhile
 *   'main-thread'  fs writev on a pool thread while node:crypto and the ops'
 *                  CRC digest the batch on the main thread, where the addon
 *                  was not built (no libssl-dev headers) or does not load
 * One append at a time: the caller awaits each before the next (the addon
 * refuses overlapping ones) and must not change the parts' bytes until then.
 */
export interface UploadWriter {
  readonly kind: 'pool-thread' | 'main-thread';
  /** writes `parts` one after another from `position` of the file, and digests them after the bytes before */
  append(parts: Uint8Array[], position: number): Promise<void>;
  finish(): { sha256Hex: string; crc32c: number };
}

interface UploadAddon {
  create(): object;
  update(handle: object, parts: Uint8Array[]): Promise<void>;
  finish(handle: object): { sha256: Buffer; crc32c: number };
  write(fd: number, position: number, parts: Uint8Array[]): Promise<void>;
}

let addon: UploadAddon | null | undefined;

function uploadAddon(): UploadAddon | null {
  if (addon === undefined) addon = loadAddon<UploadAddon>(new URL('../../native/upload-writer.node', import.meta.url));
  return addon;
}

/** Whether uploads are written and digested off the main thread here. */
export function poolThreadWriterAvailable(): boolean {
  return uploadAddon() !== null;
}

export function createUploadWriter(file: FileHandle, only?: UploadWriter['kind']): UploadWriter {
  const native = only === 'main-thread' ? null : uploadAddon();
  if (native === null) {
    if (only === 'pool-thread') throw new Error('the upload writer addon is not built here (scripts/build-native.mjs)');
    return mainThreadWriter(file);
  }
  const handle = native.create();
  return {
    kind: 'pool-thread',
    append: async (parts, position) => {
      // update first: it refuses an overlapping append before anything is written
      const digested = native.update(handle, parts);
      let written: Promise<void>;
      try {
        written = native.write(file.fd, position, parts);
      } catch (err) {
        await digested.catch(() => undefined);
        throw err;
      }
      // both settle before this does, so nothing still reads the parts (or the file) after a failure
      const [write, digest] = await Promise.allSettled([written, digested]);
      if (write.status === 'rejected') throw write.reason;
      if (digest.status === 'rejected') throw digest.reason;
    },
    finish: () => {
      const { sha256, crc32c: crc } = native.finish(handle);
      return { sha256Hex: sha256.toString('hex'), crc32c: crc };
    },
  };
}

function mainThreadWriter(file: FileHandle): UploadWriter {
  const sha = createHash('sha256');
  let crc = 0;
  return {
    kind: 'main-thread',
    append: async (parts, position) => {
      const written = writevAll(file, parts, position);
      // digested while the pool thread writes
      for (const part of parts) {
        sha.update(part);
        crc = crc32c(part, crc);
      }
      await written;
    },
    finish: () => ({ sha256Hex: sha.digest('hex'), crc32c: crc }),
  };
}

/** Writes every part from `position` with writev; a short write (rare) continues where it stopped. */
async function writevAll(file: FileHandle, parts: Uint8Array[], position: number): Promise<void> {
  let bytes = parts.reduce((sum, part) => sum + part.length, 0);
  if (bytes === 0) return;
  let { bytesWritten } = await file.writev(parts, position);
  while (bytesWritten < bytes) {
    let skip = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const part of parts) {
      if (skip >= part.length) { skip -= part.length; continue; }
      rest.push(skip > 0 ? part.subarray(skip) : part);
      skip = 0;
    }
    parts = rest;
    position += bytesWritten;
    bytes -= bytesWritten;
    ({ bytesWritten } = await file.writev(parts, position));
  }
}
