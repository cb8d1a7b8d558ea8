import { PacketFSError } from '../../errors.js';

/**
 * Bearer-token check with Web Crypto only (workerd and Edge have no
 * node:crypto). Both sides are hashed before comparing, so the comparison
 * runs over equal lengths in constant time and leaks neither the token nor
 * its length.
 */
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

export async function assertBearerToken(header: string | null, token: string): Promise<void> {
  const presented = header === null ? null : BEARER.exec(header)?.[1] ?? null;
  if (presented !== null && equalBytes(await sha256(presented), await sha256(token))) return;
  throw new PacketFSError('UNAUTHORIZED',
    presented === null ? 'missing bearer token (Authorization: Bearer <token>)' : 'invalid bearer token');
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
