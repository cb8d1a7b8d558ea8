import { PacketFSError } from '../../errors.js';
import { errorDetail } from '../http-compute/http-compute-client.js';
import type { AuthorizationSource } from '../http-compute/http-compute-client.js';

export const DEFAULT_METADATA_URL = 'http://metadata.google.internal';
/** Google ID tokens live an hour; fetch a fresh one this long before the old one expires. */
const REFRESH_BEFORE_MS = 5 * 60_000;
const FALLBACK_LIFETIME_MS = 55 * 60_000;
const MAX_TOKEN_CHARS = 16 * 1024;

export type IdTokenConfig =
  /** a token minted elsewhere (e.g. `gcloud auth print-identity-token`), read from the environment at load time */
  | { token: string }
  /** the metadata server of the GCE/GKE/Cloud Run host this dispatcher runs on */
  | { metadataUrl?: string; audience: string };

/**
 * The Authorization header for a private Cloud Run service: a Google ID
 * token whose audience is the service URL. From the metadata server the
 * token is cached until five minutes before its `exp`, and concurrent
 * callers share one fetch. A failed fetch rejects; the adapter turns that
 * into retryable SUBSTRATE_FAILED outcomes.
 */
export function idTokenSource(config: IdTokenConfig): AuthorizationSource {
  if ('token' in config) {
    const header = `Bearer ${config.token}`;
    return () => Promise.resolve(header);
  }
  const url = `${(config.metadataUrl ?? DEFAULT_METADATA_URL).replace(/\/+$/, '')}/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent(config.audience)}&format=full`;
  let cached: { header: string; refreshAt: number } | null = null;
  let pending: Promise<string> | null = null;
  return async () => {
    if (cached !== null && Date.now() < cached.refreshAt) return cached.header;
    pending ??= fetchIdToken(url).then((token) => {
      cached = { header: `Bearer ${token}`, refreshAt: expiryMs(token) - REFRESH_BEFORE_MS };
      return cached.header;
    }).finally(() => { pending = null; });
    return pending;
  };
}

async function fetchIdToken(url: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { 'Metadata-Flavor': 'Google' }, signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw new PacketFSError('SUBSTRATE_FAILED', `cannot reach the metadata server for a Google ID token: ${errorDetail(err)}`);
  }
  const text = await res.text();
  if (!res.ok) throw new PacketFSError('SUBSTRATE_FAILED', `the metadata server refused an ID token (${res.status})`);
  const token = text.trim();
  if (token === '' || token.length > MAX_TOKEN_CHARS || !/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token)) {
    throw new PacketFSError('SUBSTRATE_FAILED', 'the metadata server answered something that is not a JWT');
  }
  return token;
}

/** The token's `exp` claim in epoch ms; an unreadable one is treated as a fresh one-hour token. */
function expiryMs(token: string): number {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { exp?: unknown };
    if (typeof claims.exp === 'number') return claims.exp * 1000;
  } catch {
    // fall through: caching for less than the real lifetime is safe
  }
  return Date.now() + FALLBACK_LIFETIME_MS;
}
