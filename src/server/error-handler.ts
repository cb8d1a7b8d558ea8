import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PacketFSError } from '../errors.js';

/**
 * Every 4xx/5xx reply has one shape: {"error":{"code","message","path"?}}.
 * PacketFSErrors keep their status; Fastify's own errors (body limit, media
 * type, bad URL) are mapped to stable codes; anything else is a 500 INTERNAL
 * whose details go to the log, never to the client.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => sendError(toPacketFSError(err, request), reply));
  app.setNotFoundHandler((request, reply) => {
    sendError(new PacketFSError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`), reply);
  });
}

export function sendError(err: PacketFSError, reply: FastifyReply): FastifyReply {
  // a 503 is temporary by definition: tell well-behaved clients when to come back
  if (err.status === 503) void reply.header('retry-after', '1');
  return reply.code(err.status).type('application/json; charset=utf-8').send({ error: err.toJSON() });
}

/** Used as Fastify's `frameworkErrors` (errors raised before routing, e.g. a malformed URL). */
export function frameworkErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  sendError(toPacketFSError(err, request), reply);
}

export function toPacketFSError(err: unknown, request: FastifyRequest): PacketFSError {
  if (err instanceof PacketFSError) {
    if (err.status >= 500) request.log.error({ err }, 'request failed');
    return err;
  }
  const fastifyError = err as Partial<FastifyError>;
  const status = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500;
  const message = typeof fastifyError.message === 'string' ? fastifyError.message : 'request failed';
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PacketFSError('PAYLOAD_TOO_LARGE', 'request body is larger than the server accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new PacketFSError('UNSUPPORTED_MEDIA_TYPE',
        `unsupported content type ${JSON.stringify(request.headers['content-type'] ?? '')}: send application/json`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new PacketFSError('INVALID_JSON', 'request body is empty; expected JSON');
  }
  if (status === 404) return new PacketFSError('NOT_FOUND', message);
  if (status === 413) return new PacketFSError('PAYLOAD_TOO_LARGE', message);
  if (status === 415) return new PacketFSError('UNSUPPORTED_MEDIA_TYPE', message);
  if (status >= 400 && status < 500) return new PacketFSError('INVALID_REQUEST', message, { status });
  request.log.error({ err }, 'unexpected error');
  return new PacketFSError('INTERNAL', 'internal server error');
}
