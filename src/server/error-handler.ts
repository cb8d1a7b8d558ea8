import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PacketFSError } from '../errors.js';
import { allowedMethods } from './method-routing.js';

/**
 * Every 4xx/5xx reply has one shape: {"error":{"code","message","path"?}}.
 * PacketFSErrors keep their status; Fastify's own errors (body limit, media
 * type, bad URL, over-long path segment) are mapped to stable codes, and so
 * are the ones Node's HTTP parser raises before Fastify sees a request (bad
 * Content-Length, control characters: `clientErrorHandler`); a route that
 * exists with other methods answers 405 with Allow; anything else is a 500
 * INTERNAL whose details go to the log, never to the client.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => sendError(toPacketFSError(err, request), reply));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allow = allowedMethods(app, path);
    if (allow.length > 0) {
      void reply.header('allow', allow.join(', '));
      sendError(new PacketFSError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; allowed: ${allow.join(', ')}`, { path: 'method' }), reply);
      return;
    }
    sendError(new PacketFSError('NOT_FOUND', `no route ${request.method} ${path}`), reply);
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

/**
 * Fastify's `clientErrorHandler`: the request never became one (Node's parser
 * refused it), so the answer is written on the socket, in our shape, and the
 * connection closed — what follows on it cannot be trusted.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const error = clientError(err.code);
  if (socket.writable) {
    const body = JSON.stringify({ error: error.toJSON() });
    socket.write(`HTTP/1.1 ${error.status} ${STATUS_TEXT[error.status] ?? 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

function clientError(code: string | undefined): PacketFSError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new PacketFSError('TIMEOUT', 'the request was not received in time', { status: 408 });
    case 'HPE_HEADER_OVERFLOW':
      return new PacketFSError('PAYLOAD_TOO_LARGE', 'the request headers are larger than the server accepts', { status: 431, path: 'headers' });
    case 'HPE_UNEXPECTED_CONTENT_LENGTH': case 'HPE_INVALID_CONTENT_LENGTH':
      return new PacketFSError('INVALID_REQUEST', 'Content-Length is malformed, repeated, or given with Transfer-Encoding', { path: 'headers.content-length' });
    case 'HPE_INVALID_URL':
      return new PacketFSError('INVALID_REQUEST', 'the request target has characters a URL cannot hold (control characters, spaces)', { path: 'url' });
    case 'HPE_INVALID_HEADER_TOKEN': case 'HPE_INVALID_HEADER_VALUE': case 'HPE_LF_EXPECTED': case 'HPE_CR_EXPECTED':
      return new PacketFSError('INVALID_REQUEST', 'a request header is malformed (control characters or bad line endings)', { path: 'headers' });
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return new PacketFSError('INVALID_REQUEST', 'Transfer-Encoding is malformed, or chunked is not its last coding', { path: 'headers.transfer-encoding' });
    case 'HPE_INVALID_EOF_STATE':
      return new PacketFSError('INVALID_REQUEST', 'the connection ended before the request did (a body shorter than its Content-Length)', { path: 'body' });
    case 'HPE_INVALID_METHOD':
      return new PacketFSError('INVALID_REQUEST', 'the request method is not a valid HTTP method', { path: 'method' });
    default:
      return new PacketFSError('INVALID_REQUEST', `the request is not valid HTTP/1.1 (${code ?? 'parse error'})`);
  }
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
      return new PacketFSError('PAYLOAD_TOO_LARGE', 'request body is larger than the server accepts', { path: 'body' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new PacketFSError('UNSUPPORTED_MEDIA_TYPE',
        `unsupported content type ${JSON.stringify(request.headers['content-type'] ?? '')}: send application/json`, { path: 'headers.content-type' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new PacketFSError('INVALID_JSON', 'request body is empty; expected JSON', { path: 'body' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new PacketFSError('INVALID_REQUEST', 'Content-Length does not match the body', { path: 'headers.content-length' });
    case 'FST_ERR_BAD_URL':
      return new PacketFSError('INVALID_REQUEST', 'the URL has a malformed percent-encoding', { path: 'url' });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new PacketFSError('URI_TOO_LONG', 'a path segment (an id) is longer than 256 characters', { path: 'url' });
  }
  if (status === 404) return new PacketFSError('NOT_FOUND', message);
  if (status === 413) return new PacketFSError('PAYLOAD_TOO_LARGE', message);
  if (status === 415) return new PacketFSError('UNSUPPORTED_MEDIA_TYPE', message);
  if (status >= 400 && status < 500) return new PacketFSError('INVALID_REQUEST', message, { status });
  request.log.error({ err }, 'unexpected error');
  return new PacketFSError('INTERNAL', 'internal server error');
}
