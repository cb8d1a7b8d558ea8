import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { loadBlob } from '../ops/vectors.js';
import { startBlobServer, type BlobServer } from './blob-server.js';
import { assertOriginalReply, assertVectorResults, bundlePath, ensureBundles, inlineVectorJobs, originalBodies, windowVectorJobs } from './runtime-fixtures.js';

/** The built Vercel Edge entry, called with WHATWG Requests as the Edge runtime does. */
type EdgeModule = { default: (request: Request) => Promise<Response>; config: { runtime: string } };

describe('vercel edge bundle', () => {
  let edge: EdgeModule;
  let server: BlobServer;

  before(async () => {
    await ensureBundles();
    process.env.PACKETFS_TOKEN = 'edge-token';
    process.env.PACKETFS_ALLOW_PRIVATE_DATA_URLS = '1';
    edge = await import(pathToFileURL(bundlePath('vercel/edge.js')).href) as EdgeModule;
    server = await startBlobServer(loadBlob());
  });
  after(async () => {
    delete process.env.PACKETFS_TOKEN;
    delete process.env.PACKETFS_ALLOW_PRIVATE_DATA_URLS;
    await server?.close();
  });

  const compute = (body: unknown, headers: Record<string, string> = { authorization: 'Bearer edge-token' }) =>
    edge.default(new Request('https://edge.example/compute', { method: 'POST', headers, body: JSON.stringify(body) }));

  it('declares the edge runtime and uses no Node built-ins', async () => {
    assert.deepEqual(edge.config, { runtime: 'edge' });
    const source = await readFile(bundlePath('vercel/edge.js'), 'utf8');
    assert.doesNotMatch(source, /from\s*["']node:|require\(["']node:/);
  });

  it("answers the original prototype's bodies with `results`", async () => {
    const { camel, snake, count } = originalBodies(server.url);
    for (const body of [camel, snake]) assertOriginalReply(await (await compute(body)).json() as Record<string, unknown>, body, count);
  });

  it('passes every vector and the Range windows', async () => {
    const cases = [...inlineVectorJobs(), ...windowVectorJobs(server.url)];
    const response = await compute({ jobs: cases.map((c) => c.job) });
    assert.equal(response.status, 200);
    assertVectorResults(cases, ((await response.json()) as { results: never[] }).results);
  });

  it('serves /health and /compute/health, and refuses a missing token', async () => {
    const health = await edge.default(new Request('https://edge.example/health'));
    const body = (await health.json()) as { runtime: string; kernels: string };
    assert.equal(body.runtime, 'vercel');
    assert.equal(body.kernels, 'wasm-simd', 'the inlined kernels compile where code generation is allowed');
    assert.equal((await edge.default(new Request('https://edge.example/compute/health'))).status, 200);
    const denied = await compute({ job_id: 'x', program: { op: 'add', data: '' } }, {});
    assert.equal(denied.status, 401);
  });
});
