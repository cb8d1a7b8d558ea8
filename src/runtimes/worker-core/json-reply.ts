import { PacketFSError, toErrorBody } from '../../errors.js';

/** JSON responses in the API's shapes; errors are `{"error": {code, message, path?}}`. */
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function jsonReply(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function errorReply(err: unknown, headers: Record<string, string> = {}): Response {
  const status = err instanceof PacketFSError ? err.status : 500;
  const extra = status === 401 ? { ...headers, 'www-authenticate': 'Bearer realm="packetfs"' } : headers;
  return jsonReply({ error: toErrorBody(err) }, status, extra);
}

/** A response's headers as a plain record, for runtimes that answer with objects (node:http, Lambda). */
export function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => { out[name] = value; });
  return out;
}
