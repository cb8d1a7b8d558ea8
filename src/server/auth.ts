import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PacketFSError } from '../errors.js';
import { sendError } from './error-handler.js';

/**
 * Bearer-token guard for the /v1 routes (registered inside their scope, so the
 * probes /healthz, /readyz, /metrics and /openapi.json stay open).
 * Both sides are hashed before comparing: timingSafeEqual needs equal
 * lengths, and comparing digests does not leak the token's length either.
 */
export function installBearerAuth(scope: FastifyInstance, token: string, opts: { allow?: (request: FastifyRequest) => boolean } = {}): void {
  const expected = digest(token);
  scope.addHook('onRequest', async (request, reply) => {
    // e.g. a node reading a blob through a signed URL (blob-url-signing.ts) instead of the token
    if (opts.allow?.(request)) return;
    const presented = bearerToken(request.headers.authorization);
    if (presented !== null && timingSafeEqual(digest(presented), expected)) return;
    void reply.header('www-authenticate', 'Bearer realm="packetfs"');
    const message = presented === null ? 'missing bearer token (Authorization: Bearer <token>)' : 'invalid bearer token';
    return sendError(new PacketFSError('UNAUTHORIZED', message), reply);
  });
}

function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match ? match[1]! : null;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
