import { createFileBlobReader } from './blob-file-reader.js';
import { scanBlobRange } from './blob-scan.js';
import { createNodeFetchRange, createNodeStreamRange } from './node-fetch-range.js';
import { ownBlobMatcher } from './own-blob-url.js';
import { createAddressPolicy } from './ssrf-guard.js';
import { DEFAULT_MAX_WINDOW_BYTES, type WindowContext } from './window.js';

export interface NodeWindowContextOptions {
  /** the blob store's data directory; without it blob jobs fail with BLOB_NOT_FOUND */
  blobDir?: string | undefined;
  /** let data_url reach private, loopback and link-local addresses (SSRF guard off) */
  allowPrivate?: boolean | undefined;
  /** host names or CIDRs allowed although private */
  allowHosts?: string[] | undefined;
  /** origins the dispatcher is reached at, so absolute /v1/blobs/<id> URLs on them are read from disk */
  ownOrigins?: string[] | undefined;
  maxWindowBytes?: number | undefined;
  /** the job's deadline; a timeout reason turns into TIMEOUT */
  signal?: AbortSignal;
}

/** The WindowContext for Node: the dispatcher and its worker threads. */
export function createNodeWindowContext(opts: NodeWindowContextOptions = {}): WindowContext {
  const maxWindowBytes = opts.maxWindowBytes ?? DEFAULT_MAX_WINDOW_BYTES;
  const policy = createAddressPolicy({ allowPrivate: opts.allowPrivate, allowHosts: opts.allowHosts });
  const ctx: WindowContext = {
    // Buffer is a Uint8Array, so the window can be a view of it with no copy.
    decodeBase64: (s) => Buffer.from(s, 'base64'),
    fetchRange: createNodeFetchRange({ policy, maxBytes: maxWindowBytes }),
    streamRange: createNodeStreamRange({ policy }),
    ownBlobId: ownBlobMatcher(opts.ownOrigins ?? []),
    maxWindowBytes,
  };
  if (opts.blobDir !== undefined) {
    const dir = opts.blobDir;
    ctx.readBlob = createFileBlobReader(dir, { maxBytes: maxWindowBytes });
    ctx.scanBlob = (id, offset, length, visit, signal) =>
      scanBlobRange(dir, id, offset, length, signal === undefined ? { maxBytes: maxWindowBytes } : { maxBytes: maxWindowBytes, signal }, visit);
  }
  if (opts.signal !== undefined) ctx.signal = opts.signal;
  return ctx;
}
