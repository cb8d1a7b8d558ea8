import type { FastifyRequest } from 'fastify';
import { PacketFSError } from '../errors.js';

/**
 * The one JSON parse of a request body. Plain JSON.parse: the dispatcher
 * validates jobs field by field and rejects unknown keys, so a `__proto__`
 * key is reported as an unknown field rather than merged anywhere.
 */
export function parseJsonBody(_request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') {
    done(new PacketFSError('INVALID_JSON', 'request body is empty; expected JSON', { path: 'body' }));
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    done(new PacketFSError('INVALID_JSON', `request body is not valid JSON: ${(err as Error).message}`, { path: 'body' }));
    return;
  }
  done(null, parsed);
}
