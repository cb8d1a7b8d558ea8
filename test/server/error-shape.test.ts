import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ERROR_CODES } from '../../src/errors.js';
import { call, serveDispatcher, type Served } from './harness.js';

/**
 * Every 4xx the dispatcher's server sends has the one error shape
 * {"error": {"code", "message", "path"?}} with a code from the closed union
 * in src/errors.ts, including the ones Fastify and Node's HTTP parser raise
 * before a route runs, and a method a path does not take is 405 with Allow.
 */
const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

function assertErrorShape(status: number, body: unknown, expected: { status: number; code: string; path?: string }, label: string): void {
  assert.equal(status, expected.status, `${label}: status (${JSON.stringify(body)})`);
  const error = (body as { error?: Record<string, unknown> }).error;
  assert.ok(error !== undefined && typeof error.message === 'string' && error.message !== '', `${label}: the error shape (${JSON.stringify(body)})`);
  assert.ok(CODES.has(String(error.code)), `${label}: ${String(error.code)} is one of the error codes`);
  assert.equal(error.code, expected.code, label);
  if (expected.path !== undefined) assert.equal(error.path, expected.path, `${label}: path`);
  assert.deepEqual(Object.keys(error).filter((k) => !['code', 'message', 'path'].includes(k)), [], `${label}: no other keys`);
}

/** One raw request on its own connection: for what fetch refuses to send. Resolves with the status and the parsed body. */
function raw(url: string, request: string): Promise<{ status: number; body: unknown }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      const bodyAt = text.indexOf('\r\n\r\n');
      try {
        resolve({ status, body: JSON.parse(text.slice(bodyAt + 4)) });
      } catch {
        reject(new Error(`not a JSON reply: ${text.slice(0, 300)}`));
      }
    });
  });
}

describe('the error shape of every 4xx', () => {
  let served: Served;
  before(async () => {
    served = await serveDispatcher();
  });
  after(async () => {
    await served.close();
  });

  test('a method a path does not take is 405 METHOD_NOT_ALLOWED with Allow; an unknown path stays 404', async () => {
    for (const [method, path, allow] of [['PATCH', '/v1/jobs', 'GET, POST'], ['PUT', '/v1/metrics', 'GET'], ['DELETE', '/healthz', 'GET'], ['POST', '/v1/jobs/x/result', 'GET']] as const) {
      const reply = await call(`${served.url}${path}`, { method });
      assertErrorShape(reply.status, reply.body, { status: 405, code: 'METHOD_NOT_ALLOWED' }, `${method} ${path}`);
      const allowed = (reply.headers.get('allow') ?? '').split(/,\s*/);
      for (const m of allow.split(', ')) assert.ok(allowed.includes(m), `${method} ${path}: Allow ${reply.headers.get('allow')} has ${m}`);
    }
    const unknown = await call(`${served.url}/v1/nothing-here`, { method: 'PATCH' });
    assertErrorShape(unknown.status, unknown.body, { status: 404, code: 'NOT_FOUND' }, 'PATCH on an unknown path');
  });

  test('Fastify\'s own refusals: malformed percent-encoding, an over-long id, a wrong media type, an empty body, a body shorter than its Content-Length', async () => {
    const cases: Array<[string, RequestInit, { status: number; code: string; path?: string }]> = [
      ['/v1/jobs/%E0%A4%A', {}, { status: 400, code: 'INVALID_REQUEST', path: 'url' }],
      [`/v1/jobs/${'x'.repeat(300)}`, {}, { status: 414, code: 'URI_TOO_LONG', path: 'url' }],
      ['/v1/jobs', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } }, { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', path: 'headers.content-type' }],
      ['/v1/jobs', { method: 'POST', body: '', headers: { 'content-type': 'application/json' } }, { status: 400, code: 'INVALID_JSON', path: 'body' }],
    ];
    for (const [path, init, expected] of cases) {
      const reply = await call(`${served.url}${path}`, init);
      assertErrorShape(reply.status, reply.body, expected, `${init.method ?? 'GET'} ${path.slice(0, 40)}`);
    }
    const mismatch = await raw(served.url, 'POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{}');
    // the body ends (the client closes its side) before its stated length: Node's parser refuses the request
    assertErrorShape(mismatch.status, mismatch.body, { status: 400, code: 'INVALID_REQUEST', path: 'body' }, 'Content-Length longer than the body');
  });

  test('Node\'s parser refusals are answered in the same shape: bad Content-Length, control characters, huge headers', async () => {
    const cases: Array<[string, string, { status: number; code: string; path?: string }]> = [
      ['Content-Length not a number', 'POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', { status: 400, code: 'INVALID_REQUEST', path: 'headers.content-length' }],
      ['Content-Length with Transfer-Encoding', 'POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', { status: 400, code: 'INVALID_REQUEST', path: 'headers.transfer-encoding' }],
      ['a Transfer-Encoding that does not end in chunked', 'POST /v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', { status: 400, code: 'INVALID_REQUEST', path: 'headers.transfer-encoding' }],
      ['a control character in the target', 'GET /v1/jobs/a\u0001b HTTP/1.1\r\nHost: x\r\n\r\n', { status: 400, code: 'INVALID_REQUEST', path: 'url' }],
      ['a control character in a header', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n', { status: 400, code: 'INVALID_REQUEST', path: 'headers' }],
      ['headers over the limit', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, { status: 431, code: 'PAYLOAD_TOO_LARGE', path: 'headers' }],
    ];
    for (const [label, request, expected] of cases) {
      const reply = await raw(served.url, request);
      assertErrorShape(reply.status, reply.body, expected, label);
    }
  });
});
