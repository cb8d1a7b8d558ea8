import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { buildServer } from '../../src/server/server.js';
import { openApiDocument } from '../../src/server/openapi-document.js';
import { call, serveDispatcher, type Served } from './harness.js';

/** Every route the server registers (HEAD /v1/blobs/:id included). */
const ROUTES: Array<[HTTPMethods, string]> = [
  ['POST', '/v1/jobs'], ['GET', '/v1/jobs'], ['GET', '/v1/jobs/{id}'], ['DELETE', '/v1/jobs/{id}'],
  ['GET', '/v1/jobs/{id}/result'], ['GET', '/v1/jobs/{id}/events'], ['PUT', '/v1/blobs'], ['GET', '/v1/blobs/{id}'], ['HEAD', '/v1/blobs/{id}'],
  ['GET', '/v1/substrates'], ['GET', '/v1/metrics'], ['GET', '/v1/costs'], ['GET', '/metrics'], ['GET', '/healthz'], ['GET', '/readyz'],
  ['GET', '/openapi.json'], ['GET', '/v1/dashboard'], ['GET', '/v1/dashboard/stream'],
  ['GET', '/v1/nodes'], ['DELETE', '/v1/nodes/{id}'], ['GET', '/v1/nodes/bans'],
  ['POST', '/v1/nodes/tokens'], ['GET', '/v1/nodes/tokens'], ['DELETE', '/v1/nodes/tokens/{id}'],
  ['OPTIONS', '/v1/blobs/{id}'], ['GET', '/volunteer'], ['GET', '/browser-runtime.js'], ['GET', '/v1/nodes/ws'],
];

describe('/openapi.json', () => {
  let served: Served;
  let app: FastifyInstance;
  before(async () => {
    served = await serveDispatcher();
    app = await buildServer(served.dispatcher);
  });
  after(async () => {
    await app.close();
    await served.close();
  });

  const fastifyPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

  test('is served as OpenAPI 3.1 and lists exactly the registered routes', async () => {
    const reply = await call(`${served.url}/openapi.json`);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.openapi, '3.1.0');
    const documented = Object.entries(reply.body.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    assert.deepEqual(documented, ROUTES.map(([m, p]) => `${m} ${p}`).sort());
    for (const [method, path] of ROUTES) {
      assert.ok(app.hasRoute({ method, url: fastifyPath(path) }), `${method} ${path} is registered`);
    }
  });

  test('every $ref resolves and every error reply uses the Error schema', () => {
    const text = JSON.stringify(openApiDocument);
    for (const [, pointer] of text.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      let node: any = openApiDocument;
      for (const part of pointer!.split('/')) node = node?.[part];
      assert.ok(node !== undefined, `#/${pointer} resolves`);
    }
    for (const [path, ops] of Object.entries(openApiDocument.paths)) {
      for (const [method, op] of Object.entries(ops as Record<string, { responses: Record<string, any> }>)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (!(Number(status) >= 400) || path === '/readyz') continue;
          assert.equal(response.content['application/json'].schema.$ref, '#/components/schemas/Error', `${method} ${path} ${status}`);
        }
      }
    }
  });
});
