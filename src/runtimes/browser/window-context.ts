import { DEFAULT_MAX_WINDOW_BYTES, fetchRangeWith, streamRangeWith, type WindowContext } from '../../data/window.js';
import { ownBlobMatcher } from '../../data/own-blob-url.js';
import { decodeBase64 } from '../../util/base64.js';

/**
 * The WindowContext of a browser (page, Web Worker or Service Worker): every
 * window is read over fetch with HTTP Range, blobs included, from the
 * dispatcher at `origin`. Absolute blob URLs that carry a signature query
 * (as the node protocol sends them) are not "own" blobs here: they are
 * fetched as they are, so the signature travels with the request.
 */
export function createBrowserWindowContext(origin: string, maxWindowBytes = DEFAULT_MAX_WINDOW_BYTES): WindowContext {
  // Windows are read once: writing every 1 MiB range into the HTTP disk cache only costs time.
  const fetchImpl: typeof fetch = (input, init) => fetch(input, { ...init, cache: 'no-store' });
  const read = (url: string, offset: number, length: number | null, signal?: AbortSignal): Promise<Uint8Array> =>
    fetchRangeWith(fetchImpl, url, offset, length, { signal, maxBytes: maxWindowBytes });
  return {
    decodeBase64,
    fetchRange: read,
    // data_url windows (blob windows arrive as signed URLs) stream off the response body
    // into the op streams in this worker: no concatenated copy, one chunk held at a time
    streamRange: (url, offset, length, signal, sink) => streamRangeWith(fetchImpl, url, offset, length, { signal }, sink),
    readBlob: (id, offset, length) => read(new URL(`/v1/blobs/${id}`, origin).href, offset, length),
    ownBlobId: ownBlobMatcher([origin]),
    maxWindowBytes,
  };
}
