import { PacketFSError } from '../errors.js';

/**
 * Blob ids and URLs of the dispatcher's own blob store. Runtime-neutral, so
 * every runtime recognises `/v1/blobs/<id>` the same way.
 *
 * A blob id is the first 32 hex digits of the SHA-256 of the content; ids are
 * checked against this pattern before any file system access, which is also
 * what keeps `../` out of blob paths.
 */
export const BLOB_ID_PATTERN = /^[0-9a-f]{32}$/;

const BLOB_PATH = /^\/v1\/blobs\/([0-9a-f]{32})$/;

export function isBlobId(value: unknown): value is string {
  return typeof value === 'string' && BLOB_ID_PATTERN.test(value);
}

export function assertBlobId(id: string, path = 'blob_id'): void {
  if (!isBlobId(id)) {
    throw new PacketFSError('INVALID_REQUEST', 'a blob id is 32 lowercase hex digits', { path });
  }
}

/**
 * Recognises the dispatcher's own blobs: the relative `/v1/blobs/<id>`, or an
 * absolute URL on one of `origins` (e.g. `http://127.0.0.1:8080`). Such URLs
 * are read straight from the store, never over HTTP, so the SSRF guard never
 * has to allow the dispatcher's own (usually loopback) address.
 */
export function ownBlobMatcher(origins: string[]): (url: string) => string | null {
  const own = new Set(origins.map((origin) => {
    try {
      return new URL(origin).origin;
    } catch {
      throw new PacketFSError('INVALID_REQUEST', `"${origin}" is not an origin such as http://127.0.0.1:8080`, { path: 'ownOrigins' });
    }
  }));
  return (url) => {
    // "//host/..." is protocol-relative, i.e. someone else's host.
    if (url.startsWith('/') && !url.startsWith('//')) return BLOB_PATH.exec(url)?.[1] ?? null;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return null;
    }
    if (!own.has(parsed.origin) || parsed.search !== '' || parsed.hash !== '') return null;
    return BLOB_PATH.exec(parsed.pathname)?.[1] ?? null;
  };
}
