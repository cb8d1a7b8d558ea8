import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Join tokens: per-node credentials the operator mints and revokes
 * (`packetfs nodes token create`). A token is self-contained and signed:
 *
 *   pfj1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(key, "pfj1." + claims))>
 *
 * so any dispatcher holding the key checks it without a lookup; revocation
 * is the one shared fact, kept in the node ledger (a file, or Redis when
 * dispatchers share one). The key is derived from a secret the dispatchers
 * of one deployment share (PACKETFS_JOIN_SECRET, else the API token, else a
 * key file in the data dir), never used as is.
 */
export interface JoinClaims {
  /** token id: names the node (jt-<id>) and is what revocation lists */
  id: string;
  /** browser or node; absent: either */
  kind?: 'browser' | 'node';
  label?: string;
  /** epoch seconds after which the token is refused; absent: no expiry */
  exp?: number;
  /** epoch seconds when it was minted */
  iat: number;
}

const PREFIX = 'pfj1.';
const MAX_TOKEN_LENGTH = 1024;

export function deriveJoinKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('packetfs node join tokens v1').digest();
}

export function newTokenId(): string {
  return randomBytes(8).toString('hex');
}

export function mintJoinToken(key: Buffer, claims: JoinClaims): string {
  const body = PREFIX + Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${sign(key, body)}`;
}

export function looksLikeJoinToken(token: string): boolean {
  return token.startsWith(PREFIX);
}

/** The token's claims if its signature is good and it has not expired; otherwise why not. */
export function verifyJoinToken(key: Buffer, token: string, nowS: number): { claims: JoinClaims } | { error: string } {
  if (token.length > MAX_TOKEN_LENGTH || !looksLikeJoinToken(token)) return { error: 'not a join token' };
  const dot = token.lastIndexOf('.');
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = Buffer.from(sign(key, body), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { error: 'invalid join token' };
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(body.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return { error: 'invalid join token' };
  }
  if (!isClaims(claims)) return { error: 'invalid join token' };
  if (claims.exp !== undefined && claims.exp <= nowS) return { error: 'join token expired' };
  return { claims };
}

function sign(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}

function isClaims(v: unknown): v is JoinClaims {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return typeof c.id === 'string' && /^[0-9a-f]{16}$/.test(c.id) && Number.isSafeInteger(c.iat)
    && (c.kind === undefined || c.kind === 'browser' || c.kind === 'node')
    && (c.label === undefined || typeof c.label === 'string')
    && (c.exp === undefined || Number.isSafeInteger(c.exp));
}
