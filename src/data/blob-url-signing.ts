import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { BLOB_ID_PATTERN } from './own-blob-url.js';

/**
 * Signed blob URLs for untrusted nodes: `/v1/blobs/<id>?exp=<epoch s>&sig=<mac>`
 * where mac = base64url(HMAC-SHA256(key, "<id>.<exp>")). The key is random
 * per signer (one per server process), so URLs die with the process and no
 * secret is configured or shared. A valid signature stands in for the API
 * token on GET/HEAD of that one blob, until `exp`; nodes never see the token.
 */
export interface BlobUrlSigner {
  /** absolute URL of blob `id` under `origin`, valid until `expiresAtMs` (capped to maxTtlMs from now) */
  sign(id: string, origin: string, expiresAtMs: number): string;
  /** whether a request for `/v1/blobs/<id>?exp&sig` carries a valid, unexpired signature */
  verify(id: string, exp: unknown, sig: unknown): boolean;
}

const BLOB_URL_PATH = /^\/v1\/blobs\/([0-9a-f]+)\?/;
/** at least this long, so a job that starts late can still read its window */
const MIN_TTL_MS = 60_000;
const MAX_TTL_MS = 3_600_000;

export function createBlobUrlSigner(opts: { now?: () => number } = {}): BlobUrlSigner {
  const key = randomBytes(32);
  const now = opts.now ?? Date.now;
  const mac = (id: string, exp: string): Buffer => createHmac('sha256', key).update(`${id}.${exp}`).digest();
  return {
    sign(id, origin, expiresAtMs) {
      const t = now();
      // Whole minutes: every job of a batch on one blob shares the URL (and an HTTP cache entry).
      const until = Math.min(Math.max(expiresAtMs, t + MIN_TTL_MS), t + MAX_TTL_MS);
      const exp = String(Math.ceil(until / 60_000) * 60);
      return `${origin}/v1/blobs/${id}?exp=${exp}&sig=${mac(id, exp).toString('base64url')}`;
    },
    verify(id, exp, sig) {
      if (typeof exp !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(exp) || !BLOB_ID_PATTERN.test(id)) return false;
      if (Number(exp) * 1000 < now()) return false;
      const given = Buffer.from(sig, 'base64url');
      const expected = mac(id, exp);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/** For the bearer-auth bypass: a GET/HEAD of one blob carrying a valid signature. */
export function hasValidBlobSignature(signer: BlobUrlSigner, method: string, url: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const match = BLOB_URL_PATH.exec(url);
  if (match === null) return false;
  const query = new URLSearchParams(url.slice(url.indexOf('?') + 1));
  return signer.verify(match[1]!, query.get('exp') ?? undefined, query.get('sig') ?? undefined);
}

let processSigner: BlobUrlSigner | null = null;

/**
 * The signer this process's server verifies with. Everything that hands blob
 * URLs to code outside the process (volunteer nodes, cloud runtimes) signs
 * with it, so a signed URL is valid exactly where the blob is served.
 */
export function processBlobUrlSigner(): BlobUrlSigner {
  processSigner ??= createBlobUrlSigner();
  return processSigner;
}
