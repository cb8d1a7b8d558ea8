import { createNodeFetchRange, createNodeStreamRange } from '../../data/node-fetch-range.js';
import { createAddressPolicy } from '../../data/ssrf-guard.js';
import { DEFAULT_MAX_WINDOW_BYTES, type WindowContext } from '../../data/window.js';

const BLOB_PATH = /^\/v1\/blobs\/[0-9a-f]{32}$/;

/**
 * Where a volunteer may read windows from. A volunteer runs jobs it did not
 * write, on someone's own machine and network, so by default it fetches only
 * public addresses (SSRF guard) plus exactly one private exception: the
 * coordinator's own /v1/blobs/<id> URLs (the dispatcher sends blob windows
 * that way, signed). Any other path or port on the coordinator's host is
 * treated like any other address.
 */
export function createVolunteerWindowContext(opts: { coordinatorOrigin: string; allowPrivate?: boolean; maxWindowBytes?: number }): WindowContext {
  const maxBytes = opts.maxWindowBytes ?? DEFAULT_MAX_WINDOW_BYTES;
  const guarded = createNodeFetchRange({ policy: createAddressPolicy({ allowPrivate: opts.allowPrivate ?? false }), maxBytes });
  const coordinator = createNodeFetchRange({ policy: createAddressPolicy({ allowPrivate: true }), maxBytes });
  const guardedStream = createNodeStreamRange({ policy: createAddressPolicy({ allowPrivate: opts.allowPrivate ?? false }) });
  const coordinatorStream = createNodeStreamRange({ policy: createAddressPolicy({ allowPrivate: true }) });
  const isCoordinatorBlob = (url: string): boolean => {
    try {
      const parsed = new URL(url);
      return parsed.origin === opts.coordinatorOrigin && BLOB_PATH.test(parsed.pathname);
    } catch {
      return false;
    }
  };
  return {
    decodeBase64: (s) => Buffer.from(s, 'base64'),
    fetchRange: (url, offset, length, signal) => (isCoordinatorBlob(url) ? coordinator : guarded)(url, offset, length, signal),
    // windows stream through the ops chunk by chunk: a volunteer holds O(chunk) per job
    streamRange: (url, offset, length, signal, sink) => (isCoordinatorBlob(url) ? coordinatorStream : guardedStream)(url, offset, length, signal, sink),
    maxWindowBytes: maxBytes,
  };
}
