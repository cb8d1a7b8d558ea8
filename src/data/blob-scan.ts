import { readSync } from 'node:fs';
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
 * Reads are synchronous positioned reads of CHUNK_BYTES (half the arena, so
 * the chunk is still in L2 when the kernels run). Asynchronous reads through
 * libuv's thread pool overlapped read and kernel but cost a thread hop per
 * chunk that was as long as the read itself: measured half the throughput
 * (BENCHMARKS.md). So that deadlines (an AbortSignal needs its timer to run)
 * and other jobs' I/O keep moving, the scan yields to the event loop every
 * YIELD_BYTES and checks the signal there.
 *
 * State: one arena per thread, so scans in a thread queue behind `lock`.
 */
const CHUNK_BYTES = 512 * 1024;
const YIELD_BYTES = 32 * 1024 * 1024;

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
  try {
    const { size } = await handle.stat();
    const { start, end } = resolveWindow(size, offset, length);
    if (end - start > opts.maxBytes) throw windowTooLarge(end - start, opts.maxBytes);
    const buffer = kernelArena().subarray(0, CHUNK_BYTES);
    let position = start;
    while (position < end) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      const stop = Math.min(end, position + YIELD_BYTES);
      for (; position < stop; position += CHUNK_BYTES) {
        const chunk = readChunk(handle.fd, buffer, position, Math.min(CHUNK_BYTES, stop - position), id);
        visit(chunk);
      }
      if (position < end) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return end - start;
  } finally {
    await handle.close();
  }
}

/** Fills `want` bytes of `buffer` from `position`; a file shorter than its stat is an error. */
function readChunk(fd: number, buffer: Uint8Array, position: number, want: number, id: string): Uint8Array {
  let done = 0;
  while (done < want) {
    const got = readSync(fd, buffer, done, want - done, position + done);
    if (got === 0) throw new PacketFSError('INTERNAL', `blob ${id} ended early: the file was truncated`);
    done += got;
  }
  return buffer.subarray(0, want);
}
