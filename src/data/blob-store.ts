import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PacketFSError } from '../errors.js';
import { crc32c } from '../ops/index.js';
import { blobFilePath, openBlobFile, readBlobRange } from './blob-file-reader.js';
import { sendFileRange, type ChunkSink } from './file-range-sender.js';
import { assertBlobId, BLOB_ID_PATTERN } from './own-blob-url.js';
import { installNativeCrc32c } from '../ops/node/crc32c-native.js';
import { createUploadWriter } from './upload-writer.js';

export { createFileBlobReader } from './blob-file-reader.js';
export { ownBlobMatcher, isBlobId, BLOB_ID_PATTERN } from './own-blob-url.js';

export interface BlobInfo {
  blob_id: string;
  size: number;
  crc32c: number;
}

/** An opened blob range; see BlobStore.openRange. */
export interface BlobRange {
  /** copies the range to `out`, then closes the file; rejects when a write fails */
  writeTo(out: ChunkSink): Promise<void>;
  /** closes the file without sending */
  close(): Promise<void>;
}

export interface BlobStoreOptions {
  /** largest single blob; default 1 GiB */
  maxBlobBytes?: number;
  /** all blobs together; default 20 GiB */
  maxTotalBytes?: number;
  /**
   * What a finished put() promises (the same choice as the SQLite store's):
   * 'normal' (default) — the bytes are in the OS, so the blob survives a
   * crash of the process; they are flushed to disk right after, and a blob a
   * power loss caught before its flush is checked against its name at the
   * next open and dropped if torn. 'always' — flushed before put() returns:
   * the blob survives a power loss.
   */
  fsync?: 'normal' | 'always';
  /** 'normal' mode: acknowledged bytes still waiting for the disk, at most; a put() past it waits for its own flush. Default 1 GiB */
  maxUnflushedBytes?: number;
  /** a background flush failed; the blob was dropped (its bytes on disk can't be trusted) */
  onFlushError?: (err: unknown, blobId: string) => void;
}

const GiB = 1024 ** 3;
const UPLOAD_PREFIX = '.upload-';
const META_PREFIX = '.meta-';
/** An upload's chunks go to the writer in batches of at least this many bytes (fewer pool jobs per byte)... */
const BATCH_MIN_BYTES = 1024 * 1024;
/** ...and at most this many wait while a batch is written: past it, reading the body pauses. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/** An upload's written bytes are flushed to disk in the background every this many bytes. */
const SYNC_BYTES = 32 * 1024 * 1024;
/** Read size of openReadStream's streams. */
const READ_BYTES = 1024 * 1024;
const MAX_CACHED_INFOS = 10_000;
/** Temp files older than this are leftovers of a crash (no upload takes this long to stall). */
const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * Content-addressed blob store on disk: the dispatcher keeps uploaded data
 * here and jobs read windows of it (`blob`, or `data_url: /v1/blobs/<id>`).
 *
 * Layout of the data directory:
 *   <id>            the content; id = first 32 hex digits of its SHA-256, so a re-upload dedupes
 *   <id>.json       sidecar {size, crc32c}, written only once the blob's bytes are on disk
 *   .upload-*       an upload in progress (hashed while streamed, then renamed atomically)
 *   .meta-*         a sidecar being written
 * A blob file exists only once complete, so readers never see partial data.
 * A sidecar is the mark of a flushed blob: a blob without one may have been
 * caught by a power loss between its rename and its flush (fsync 'normal'),
 * so open() re-hashes it and drops it unless its content still matches its
 * name; stat() does the same for a sidecar lost or damaged later.
 *
 * State: `sizes` holds every committed blob (found at open, kept up to date by
 * put/delete, and by stat() when another process added one); `pending` counts
 * bytes of uploads in flight, so concurrent uploads cannot overshoot
 * maxTotalBytes together. In 'normal' mode each committed blob then goes
 * through `flushing` (and `flushes` by id), one at a time: fdatasync, sidecar, directory fsync;
 * `unflushed` counts the bytes acknowledged but not yet through it, and
 * close() waits for it to drain.
 */
export class BlobStore {
  private readonly sizes: Map<string, number>;
  private totalBytes: number;
  private pending = 0;
  /** size and CRC of blobs seen lately (immutable, so never stale except by deletion); oldest dropped first */
  private readonly infos = new Map<string, BlobInfo>();

  private flushing: Promise<void> = Promise.resolve();
  /** the pending flush of each blob in `flushing` */
  private readonly flushes = new Map<string, Promise<void>>();
  private unflushed = 0;
  private readonly maxBlobBytes: number;
  private readonly maxTotalBytes: number;
  /** what a finished put() promises (BlobStoreOptions.fsync) */
  readonly fsync: 'normal' | 'always';
  private readonly maxUnflushedBytes: number;
  private readonly onFlushError: (err: unknown, blobId: string) => void;

  private constructor(readonly dir: string, opts: BlobStoreOptions, sizes: Map<string, number>) {
    this.maxBlobBytes = opts.maxBlobBytes ?? GiB;
    this.maxTotalBytes = opts.maxTotalBytes ?? 20 * GiB;
    this.fsync = opts.fsync ?? 'normal';
    this.maxUnflushedBytes = opts.maxUnflushedBytes ?? GiB;
    this.onFlushError = opts.onFlushError ?? (() => undefined);
    this.sizes = sizes;
    this.totalBytes = [...sizes.values()].reduce((sum, size) => sum + size, 0);
  }

  static async open(dir: string, opts: BlobStoreOptions = {}): Promise<BlobStore> {
    // CRCs computed on this thread (uploads without the upload writer addon, sidecars rebuilt from a
    // file) use the hardware CRC
    installNativeCrc32c();
    await mkdir(dir, { recursive: true });
    const sizes = new Map<string, number>();
    const names = await readdir(dir);
    const present = new Set(names);
    for (const name of names) {
      const path = join(dir, name);
      if (BLOB_ID_PATTERN.test(name)) {
        const info = await statIfPresent(path);
        if (info === null) continue;
        // no sidecar: committed but perhaps never flushed (see the class comment)
        if (!present.has(`${name}.json`) && await sealOrDrop(dir, name) === null) continue;
        sizes.set(name, info.size);
      } else if (name.startsWith(UPLOAD_PREFIX) || name.startsWith(META_PREFIX)) {
        // Another process sharing the directory may be mid-upload, so only old leftovers go.
        const info = await statIfPresent(path);
        if (info !== null && Date.now() - info.mtimeMs > STALE_TEMP_MS) await rm(path, { force: true });
      } else if (/^[0-9a-f]{32}\.json$/.test(name) && !present.has(name.slice(0, 32))) {
        // A crash between writing the sidecar and renaming the blob.
        await rm(path, { force: true });
      }
    }
    return new BlobStore(dir, opts, sizes);
  }

  /**
   * Streams a body to disk, hashing as it goes; refuses with PAYLOAD_TOO_LARGE
   * past either limit. Incoming chunks (64 KiB from a socket) are handed to
   * the upload writer in batches: while one batch is written and digested
   * (SHA-256 + CRC-32C) on pool threads, the main thread reads the chunks of
   * the next, which goes out the moment the previous is done. So a batch is
   * whatever arrived meanwhile (at least BATCH_MIN_BYTES): the pool threads
   * never wait for a fixed run to fill, and a chunk is held only until its
   * batch is through (it is often still in the CPU's caches when copied into
   * the page cache). Past MAX_QUEUED_BYTES waiting, reading stops until the
   * batch in flight is done (backpressure on the socket). Measured against
   * the old fixed 4 MiB runs: BENCHMARKS.md, "Blob PUT".
   *
   * Durability (what a 201 promises) follows the store's fsync mode:
   *   'always'  the blob is on stable storage — its bytes fsync'd before the
   *             rename that commits it, the directory fsync'd after — so an id
   *             once returned survives a power loss with exactly the bytes it
   *             names. To keep that from costing a whole extra pass at the
   *             end, the bytes already written are flushed every SYNC_BYTES
   *             while the rest still arrives (fdatasync of a file being
   *             appended to is safe), so the final fsync has the tail left.
   *   'normal'  the blob is committed (renamed) with its bytes in the OS: it
   *             survives a crash of the process; the flush follows in the
   *             background (flushInBackground). A power loss before it loses
   *             the blob, never its integrity: an id never names other bytes.
   */
  async put(body: AsyncIterable<Uint8Array> | Uint8Array): Promise<BlobInfo> {
    const temp = join(this.dir, `${UPLOAD_PREFIX}${randomBytes(8).toString('hex')}`);
    const handle = await open(temp, 'wx');
    const writer = createUploadWriter(handle);
    let size = 0;
    let reserved = 0;
    // Released the moment the upload commits or fails, so a failed upload
    // stops counting against maxTotalBytes before its clean-up finishes.
    const release = (): void => {
      this.pending -= reserved;
      reserved = 0;
    };
    let closed = false;
    // the chunks read since the last batch went out
    let queued: Uint8Array[] = [];
    let queuedBytes = 0;
    // the batch being written and digested: `appending` settles when it is
    // done; `idle` says so without awaiting; `failure` is its error, if any
    let appending: Promise<void> = Promise.resolve();
    let idle = true;
    // (a cast, not an annotation: it is set in a callback, so the checker must not narrow it to null)
    let failure = null as { err: unknown } | null;
    let writtenBytes = 0;
    let syncing: Promise<void> = Promise.resolve();
    let syncedUpTo = 0;
    const sendBatch = (): void => {
      const parts = queued;
      const bytes = queuedBytes;
      const position = writtenBytes;
      queued = [];
      queuedBytes = 0;
      idle = false;
      appending = writer.append(parts, position).then(() => {
        writtenBytes += bytes;
        idle = true;
        if (this.fsync === 'normal' || writtenBytes - syncedUpTo < SYNC_BYTES) return;
        syncedUpTo = writtenBytes;
        // one background flush at a time: the next waits for this one
        syncing = syncing.then(() => handle.datasync());
        syncing.catch(() => undefined);
      }, (err: unknown) => {
        failure = { err };
      });
    };
    /** waits for the batch in flight; throws its error */
    const settle = async (): Promise<void> => {
      await appending;
      if (failure !== null) throw failure.err;
    };
    try {
      for await (const chunk of body instanceof Uint8Array ? [body] : body) {
        if (failure !== null) throw failure.err;
        size += chunk.length;
        if (size > this.maxBlobBytes) {
          throw new PacketFSError('PAYLOAD_TOO_LARGE', `blob exceeds the limit of ${this.maxBlobBytes} bytes`);
        }
        this.pending += chunk.length;
        reserved += chunk.length;
        if (this.totalBytes + this.pending > this.maxTotalBytes) {
          throw new PacketFSError('PAYLOAD_TOO_LARGE', `blob store is full (limit ${this.maxTotalBytes} bytes)`);
        }
        queued.push(chunk);
        queuedBytes += chunk.length;
        if (queuedBytes >= MAX_QUEUED_BYTES) await settle();
        if (idle && queuedBytes >= BATCH_MIN_BYTES) sendBatch();
      }
      await settle();
      if (queuedBytes > 0) {
        sendBatch();
        await settle();
      }
      await syncing;

      const { sha256Hex, crc32c: crc } = writer.finish();
      const info: BlobInfo = { blob_id: sha256Hex.slice(0, 32), size, crc32c: crc };
      const path = this.pathOf(info.blob_id);
      if (await statIfPresent(path) !== null) {
        // the same content is already committed (and was synced then): nothing to make durable
        await handle.close();
        closed = true;
        await unlink(temp);
        release();
        this.remember(info.blob_id, size);
        return info;
      }
      if (this.fsync === 'normal') {
        await handle.close();
        closed = true;
        await rename(temp, path);
        release();
        this.remember(info.blob_id, size);
        this.cacheInfo(info);
        const flushed = this.flushInBackground(info);
        // bounded: past maxUnflushedBytes an upload waits for its own bytes to reach the disk
        if (this.unflushed > this.maxUnflushedBytes) await flushed;
        return info;
      }
      // The rename below is the commit point, so the bytes must be durable before it.
      await handle.sync();
      await handle.close();
      closed = true;
      await this.writeSidecar(info);
      await rename(temp, path);
      await syncDirectory(this.dir);
      release();
      this.remember(info.blob_id, size);
      this.cacheInfo(info);
      return info;
    } catch (err) {
      release();
      // nothing may still write into the file (or read the chunks) once it is closed and removed
      await appending;
      await syncing.catch(() => undefined);
      if (!closed) await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw err;
    }
  }

  /** Size and CRC-32C of a blob, or null when there is no such blob. */
  async stat(id: string): Promise<BlobInfo | null> {
    const path = this.pathOf(id);
    // Blobs never change once committed; a cached one is re-checked only for
    // deletion (by another process sharing the directory) when it is opened.
    const known = this.infos.get(id);
    if (known !== undefined) return known;
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.forget(id);
      return null;
    }
    const sidecar = await this.readSidecar(id);
    if (sidecar !== null && sidecar.size === size) {
      this.remember(id, size);
      return this.cacheInfo({ blob_id: id, size, crc32c: sidecar.crc32c });
    }
    // lost or damaged sidecar: the bytes may be a power loss's leftovers too
    const info = await sealOrDrop(this.dir, id);
    if (info === null) {
      this.forget(id);
      return null;
    }
    this.remember(id, info.size);
    return this.cacheInfo(info);
  }

  /**
   * Waits until every blob committed so far is on disk ('normal' mode; in
   * 'always' mode put() already did). Call before the process exits.
   */
  async close(): Promise<void> {
    await this.flushing;
  }

  /**
   * Queues the flush of a blob put() just committed: fdatasync, then its
   * sidecar (the mark of a flushed blob), then the directory (both renames).
   * One at a time, in commit order. A blob deleted meanwhile is skipped; one
   * whose flush fails is dropped, since its bytes on disk can't be trusted.
   */
  private flushInBackground(info: BlobInfo): Promise<void> {
    const id = info.blob_id;
    this.unflushed += info.size;
    const done = this.flushing.then(async () => {
      try {
        if (!await syncFile(this.pathOf(id))) return;
        await this.writeSidecar(info);
        await syncDirectory(this.dir);
      } catch (err) {
        this.onFlushError(err, id);
        this.forget(id);
        this.infos.delete(id);
        await rm(this.pathOf(id), { force: true }).catch(() => undefined);
        await rm(this.sidecarPath(id), { force: true, recursive: true }).catch(() => undefined);
      } finally {
        this.unflushed -= info.size;
        if (this.flushes.get(id) === done) this.flushes.delete(id);
      }
    });
    this.flushing = done;
    this.flushes.set(id, done);
    return done;
  }

  /** Positioned read of [offset, offset+length) (null: to the end); WINDOW_OUT_OF_RANGE past the end. */
  readRange(id: string, offset: number, length: number | null): Promise<Uint8Array> {
    return readBlobRange(this.dir, id, offset, length, this.maxBlobBytes);
  }

  /**
   * Bytes start..endInclusive of a blob, opened and checked now, copied to a
   * socket later by writeTo (file-range-sender.ts): the HTTP route answers
   * BLOB_NOT_FOUND or WINDOW_OUT_OF_RANGE before it sends any header. The
   * caller must call writeTo or close once.
   */
  async openRange(id: string, start: number, endInclusive: number): Promise<BlobRange> {
    const { handle } = await this.openChecked(id, start, endInclusive);
    return {
      writeTo: async (out) => {
        try {
          await sendFileRange(handle, start, endInclusive, out);
        } finally {
          await handle.close();
        }
      },
      close: () => handle.close(),
    };
  }

  /** A stream of bytes start..endInclusive (endInclusive = start - 1 for an empty range). */
  async openReadStream(id: string, start: number, endInclusive: number): Promise<NodeJS.ReadableStream> {
    const { handle } = await this.openChecked(id, start, endInclusive);
    if (endInclusive < start) {
      await handle.close();
      return Readable.from([]);
    }
    // The stream owns the handle from here and closes it at its end (autoClose).
    return handle.createReadStream({ start, end: endInclusive, highWaterMark: READ_BYTES });
  }

  /** Opens a blob for a range read after checking the range against its (cached) size. */
  private async openChecked(id: string, start: number, endInclusive: number): Promise<{ handle: FileHandle }> {
    // the size comes from the (immutable) blob's info, so a request costs an open, the reads and a close
    const info = this.infos.get(id) ?? await this.stat(id);
    let handle: FileHandle;
    try {
      if (info === null) throw new PacketFSError('BLOB_NOT_FOUND', `no blob ${id} in the blob store`, { path: 'blob_id' });
      handle = await openBlobFile(this.dir, id);
    } catch (err) {
      this.infos.delete(id);
      throw err;
    }
    const { size } = info;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(endInclusive) ||
        start < 0 || endInclusive < start - 1 || endInclusive >= size) {
      await handle.close();
      throw new PacketFSError('WINDOW_OUT_OF_RANGE',
        `bytes ${start}-${endInclusive} are outside blob ${id} (${size} bytes)`, { path: 'range' });
    }
    return { handle };
  }

  /** The blob's file path; throws for malformed ids so no path can escape the directory. */
  pathOf(id: string): string {
    return blobFilePath(this.dir, id);
  }

  async delete(id: string): Promise<boolean> {
    const path = this.pathOf(id);
    // a flush still under way would write the sidecar back after the removal
    await this.flushes.get(id);
    let existed = true;
    try {
      await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      existed = false;
    }
    await rm(this.sidecarPath(id), { force: true });
    this.forget(id);
    this.infos.delete(id);
    return existed;
  }

  usage(): { blobs: number; bytes: number } {
    return { blobs: this.sizes.size, bytes: this.totalBytes };
  }

  private cacheInfo(info: BlobInfo): BlobInfo {
    if (this.infos.size >= MAX_CACHED_INFOS) this.infos.delete(this.infos.keys().next().value!);
    this.infos.set(info.blob_id, info);
    return info;
  }

  private remember(id: string, size: number): void {
    const before = this.sizes.get(id);
    if (before === size) return;
    this.totalBytes += size - (before ?? 0);
    this.sizes.set(id, size);
  }

  private forget(id: string): void {
    const before = this.sizes.get(id);
    if (before === undefined) return;
    this.totalBytes -= before;
    this.sizes.delete(id);
  }

  private sidecarPath(id: string): string {
    assertBlobId(id);
    return join(this.dir, `${id}.json`);
  }

  private async readSidecar(id: string): Promise<{ size: number; crc32c: number } | null> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.sidecarPath(id), 'utf8'));
      const { size, crc32c: crc } = parsed as { size?: unknown; crc32c?: unknown };
      if (typeof size === 'number' && typeof crc === 'number') return { size, crc32c: crc };
      return null;
    } catch {
      // Missing or damaged: the caller recomputes it from the content.
      return null;
    }
  }

  private writeSidecar(info: BlobInfo): Promise<void> {
    assertBlobId(info.blob_id);
    return writeSidecarFile(this.dir, info);
  }
}

/** fsync of a directory: makes the renames in it durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The file opened for reading, or null when it is gone (deleted meanwhile). */
async function openIfPresent(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** stat, or null when the file is gone (deleted or renamed by a concurrent upload). */
async function statIfPresent(path: string): Promise<{ size: number; mtimeMs: number } | null> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * A committed blob with no sidecar: if its bytes still hash to its name,
 * flushes them and writes the sidecar (it is then as good as any flushed
 * blob); otherwise — torn by a power loss before its flush — removes it.
 * Null when the blob is gone.
 */
async function sealOrDrop(dir: string, id: string): Promise<BlobInfo | null> {
  const path = blobFilePath(dir, id);
  const handle = await openIfPresent(path);
  if (handle === null) return null;
  let size = 0;
  let crc = 0;
  let intact: boolean;
  const sha = createHash('sha256');
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: READ_BYTES })) {
      const bytes = chunk as Buffer;
      size += bytes.length;
      crc = crc32c(bytes, crc);
      sha.update(bytes);
    }
    intact = sha.digest('hex').slice(0, 32) === id;
    if (intact) await handle.datasync();
  } finally {
    await handle.close();
  }
  if (!intact) {
    await rm(path, { force: true });
    await rm(join(dir, `${id}.json`), { force: true });
    return null;
  }
  const info: BlobInfo = { blob_id: id, size, crc32c: crc };
  await writeSidecarFile(dir, info);
  return info;
}

/** fdatasync of a file by path; false when it is gone. */
async function syncFile(path: string): Promise<boolean> {
  const handle = await openIfPresent(path);
  if (handle === null) return false;
  try {
    await handle.datasync();
    return true;
  } finally {
    await handle.close();
  }
}

/** Writes a sidecar atomically (temp file + rename). */
async function writeSidecarFile(dir: string, info: BlobInfo): Promise<void> {
  const temp = join(dir, `${META_PREFIX}${randomBytes(8).toString('hex')}`);
  try {
    await writeFile(temp, JSON.stringify({ size: info.size, crc32c: info.crc32c }));
    await rename(temp, join(dir, `${info.blob_id}.json`));
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
