import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { PacketFSError } from '../errors.js';
import { assertBlobId } from './own-blob-url.js';
import { resolveWindow, windowTooLarge } from './window-bounds.js';

/**
 * Reading blob files by path, shared by BlobStore and by worker threads that
 * read blobs directly from the data directory without the store instance.
 * Blobs are immutable once renamed into place, so positioned reads of an open
 * handle need no locking.
 */

export function blobFilePath(dir: string, id: string): string {
  assertBlobId(id);
  return join(dir, id);
}

/** Opens a blob file; a missing file is BLOB_NOT_FOUND. */
export async function openBlobFile(dir: string, id: string): Promise<FileHandle> {
  const path = blobFilePath(dir, id);
  try {
    return await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PacketFSError('BLOB_NOT_FOUND', `no blob ${id} in the blob store`, { path: 'blob_id' });
    }
    throw err;
  }
}

/** Reads [offset, offset+length) of a blob (null length: to the end) with positioned reads. */
export async function readBlobRange(dir: string, id: string, offset: number, length: number | null,
  maxBytes = Number.MAX_SAFE_INTEGER): Promise<Uint8Array> {
  const handle = await openBlobFile(dir, id);
  try {
    const { size } = await handle.stat();
    const { start, end } = resolveWindow(size, offset, length);
    if (end - start > maxBytes) throw windowTooLarge(end - start, maxBytes);
    const out = new Uint8Array(end - start);
    let done = 0;
    while (done < out.length) {
      const { bytesRead } = await handle.read(out, done, out.length - done, start + done);
      if (bytesRead === 0) throw new PacketFSError('INTERNAL', `blob ${id} ended early: the file was truncated`);
      done += bytesRead;
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** A `readBlob` for WindowContext that needs only the data directory. */
export function createFileBlobReader(dir: string, opts: { maxBytes?: number } = {}):
  (id: string, offset: number, length: number | null) => Promise<Uint8Array> {
  return (id, offset, length) => readBlobRange(dir, id, offset, length, opts.maxBytes);
}
