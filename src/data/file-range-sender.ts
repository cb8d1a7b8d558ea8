import type { FileHandle } from 'node:fs/promises';
import { PacketFSError } from '../errors.js';

/**
 * Something that takes chunks and calls back once each has been handed to
 * the OS (http.ServerResponse, net.Socket): only then may its buffer be
 * reused.
 */
export interface ChunkSink {
  write(chunk: Uint8Array, cb: (err?: Error | null) => void): boolean;
}

/** Size of each of the two buffers a range is copied through. */
const CHUNK_BYTES = 1024 * 1024;
/** Buffers kept for the next ranges: enough for this many concurrent replies' pairs. */
const POOLED_BUFFERS = 16;
/**
 * Free CHUNK_BYTES buffers. A fresh buffer costs a page fault per 4 KiB on
 * first touch — 512 for a reply's pair, a sizeable share of an 8 MiB window's
 * time — so buffers go back here when a reply ends and the next reply reuses
 * them. Bounded: past POOLED_BUFFERS they are left to the GC.
 */
const pool: Buffer[] = [];

/** How many buffers wait in the pool (for tests and diagnostics). */
export function pooledRangeBuffers(): number {
  return pool.length;
}

function takeBuffer(bytes: number): Buffer {
  return bytes === CHUNK_BYTES ? pool.pop() ?? Buffer.allocUnsafeSlow(bytes) : Buffer.allocUnsafeSlow(bytes);
}

function giveBack(buffers: Buffer[]): void {
  for (const b of buffers) if (b.length === CHUNK_BYTES && pool.length < POOLED_BUFFERS) pool.push(b);
}

/**
 * Copies bytes [start, endInclusive] of an open file to `out` through two
 * reused buffers: while one buffer's bytes are being written to the socket,
 * the next part of the file is read into the other. Compared with an fs
 * ReadStream piped into the reply this allocates nothing per chunk (fresh
 * 1 MiB buffers cost a page fault per 4 KiB on first touch) and keeps one
 * read and one write in flight all the time, so a range flows at the speed
 * of the slower of page-cache reads and socket writes. Node has no
 * sendfile(2); this is the closest copy-wise (one copy in, one copy out).
 * Rejects when a write fails (client gone) or the file ends early.
 */
export async function sendFileRange(handle: FileHandle, start: number, endInclusive: number, out: ChunkSink,
  chunkBytes = CHUNK_BYTES): Promise<void> {
  const total = endInclusive - start + 1;
  if (total <= 0) return;
  const size = Math.min(chunkBytes, total);
  // a range that fits one chunk needs one buffer
  const buffers = total > size ? [takeBuffer(chunkBytes), takeBuffer(chunkBytes)] : [takeBuffer(chunkBytes)];
  let writing: Promise<void> = Promise.resolve();
  let position = start;
  for (let turn = 0; position <= endInclusive; turn++) {
    const buffer = buffers[turn % buffers.length]!;
    // this buffer's previous write was awaited one turn ago, before the other buffer's write began
    const want = Math.min(size, endInclusive - position + 1);
    const read = await readFully(handle, buffer, want, position);
    if (read < want) throw new PacketFSError('INTERNAL', `the blob file ended early at byte ${position + read}: it was truncated`);
    await writing;
    writing = writeChunk(out, buffer.subarray(0, read));
    // a failed write surfaces at the next await of `writing`, or at the end
    writing.catch(() => undefined);
    position += read;
  }
  await writing;
  // only after every write is done: on a failure a write may still hold a buffer, so none goes back
  giveBack(buffers);
}

async function readFully(handle: FileHandle, buffer: Buffer, want: number, position: number): Promise<number> {
  let done = 0;
  while (done < want) {
    const { bytesRead } = await handle.read(buffer, done, want - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

function writeChunk(out: ChunkSink, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}
