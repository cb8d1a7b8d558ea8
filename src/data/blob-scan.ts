import type { FileHandle } from 'node:fs/promises';
import { PacketFSError } from '../errors.js';
import { kernelArena } from '../ops/wasm/active-kernels.js';
import { openBlobFile } from './blob-file-reader.js';
import { abortError } from './range-reply.js';
import { resolveWindow, windowTooLarge } from './window-bounds.js';

/**
 * Zero-copy blob windows: a window of a blob file is read once, chunk by
 * chunk, straight into the kernels' arena (kernelArena: WebAssembly memory
 * when those kernels are active) and handed to `visit` there, so the bytes
 * go from the page cache to the kernel with the read as the only copy and
 * memory stays O(chunk) whatever the window size.
 *
 * The arena's two halves take turns: while `visit` runs the kernels over one
 * chunk, the read of the next is already in flight (libuv's thread pool), so
 * the read copy and the kernels overlap.
 *
 * State: one arena per thread, so scans in a thread queue behind `lock` and
 * a scan never returns while its read-ahead could still write the arena.
 */
let lock: Promise<unknown> = Promise.resolve();

export interface ScanOptions {
  maxBytes: number;
  signal?: AbortSignal;
}

/** Reads [offset, offset+length) of blob `id` (null length: to the end) through `visit`; resolves with the byte count. */
export function scanBlobRange(dir: string, id: string, offset: number, length: number | null, opts: ScanOptions,
  visit: (chunk: Uint8Array) => void): Promise<number> {
  const run = lock.then(() => scanLocked(dir, id, offset, length, opts, visit));
  lock = run.catch(() => undefined);
  return run;
}

async function scanLocked(dir: string, id: string, offset: number, length: number | null, opts: ScanOptions,
  visit: (chunk: Uint8Array) => void): Promise<number> {
  const handle = await openBlobFile(dir, id);
  let ahead: Promise<unknown> | null = null;
  try {
    const { size } = await handle.stat();
    const { start, end } = resolveWindow(size, offset, length);
    if (end - start > opts.maxBytes) throw windowTooLarge(end - start, opts.maxBytes);
    const arena = kernelArena();
    const half = arena.length >>> 1;
    const halves = [arena.subarray(0, half), arena.subarray(half)];
    let position = start;
    let turn = 0;
    let next: Promise<Uint8Array> | null = position < end ? readChunk(handle, halves[0]!, position, end, id) : null;
    while (next !== null) {
      const chunk = await next;
      ahead = next = null;
      position += chunk.length;
      turn ^= 1;
      if (position < end) ahead = next = readChunk(handle, halves[turn]!, position, end, id);
      if (opts.signal?.aborted) throw abortError(opts.signal);
      visit(chunk);
    }
    return end - start;
  } finally {
    // A failed visit must not leave a read writing into the arena for the next scan.
    await ahead?.catch(() => undefined);
    await handle.close();
  }
}

/** Fills `buffer` (or less, at the window's end) from `position`; a file shorter than its stat is an error. */
async function readChunk(handle: FileHandle, buffer: Uint8Array, position: number, end: number, id: string): Promise<Uint8Array> {
  const want = Math.min(buffer.length, end - position);
  let done = 0;
  while (done < want) {
    const { bytesRead } = await handle.read(buffer, done, want - done, position + done);
    if (bytesRead === 0) throw new PacketFSError('INTERNAL', `blob ${id} ended early: the file was truncated`);
    done += bytesRead;
  }
  return buffer.subarray(0, want);
}
