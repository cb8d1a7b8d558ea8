import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Miniflare } from 'miniflare';
import { fnv64 } from '../../src/ops/fnv64.js';
import type { JobResponse } from '../../src/runtimes/worker-core/index.js';
import { loadBlob, loadOpsVectors } from '../ops/vectors.js';
import { startBlobServer, type BlobServer } from './blob-server.js';
import { WORKERD_MODULE_RULES, assertOriginalReply, assertVectorResults, bundlePath, ensureBundles, inlineVectorJobs, originalBodies, windowVectorJobs } from './runtime-fixtures.js';

/**
 * The Cloudflare bundle in the real workerd runtime (Miniflare 4): the shared
 * vectors, Range windows from a loopback server, auth, bad input, and the
 * Durable Object's fnv64 chain surviving a restart with persisted storage.
 */
const TOKEN = 'cf-test-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

function startWorker(bindings: Record<string, string>, persistDir?: string): Miniflare {
  return new Miniflare({
    modules: true,
    scriptPath: bundlePath('cloudflare/worker.js'),
    // kernels.wasm beside the bundle is imported as a compiled module (as wrangler.toml's rule says).
    modulesRules: WORKERD_MODULE_RULES,
    compatibilityDate: '2025-01-01',
    durableObjects: { PACKETFS_STATE: 'PacketFSStateObject' },
    ...(persistDir === undefined ? {} : { durableObjectsPersist: persistDir }),
    bindings,
  });
}

async function compute(mf: Miniflare, body: unknown, headers: Record<string, string> = AUTH): Promise<{ status: number; body: any }> {
  const response = await mf.dispatchFetch('http://worker/compute', { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

describe('cloudflare worker bundle under workerd', () => {
  let blob: Uint8Array;
  let server: BlobServer;
  let persistDir: string;
  let mf: Miniflare;

  before(async () => {
    await ensureBundles();
    blob = loadBlob();
    server = await startBlobServer(blob);
    persistDir = await mkdtemp(path.join(tmpdir(), 'packetfs-cf-'));
    mf = startWorker({ TOKEN, ALLOW_PRIVATE_DATA_URLS: 'true' }, persistDir);
  });
  after(async () => {
    await mf?.dispose();
    await server?.close();
    if (persistDir) await rm(persistDir, { recursive: true, force: true });
  });

  it('answers /health with its runtime and ops, without a token', async () => {
    const response = await mf.dispatchFetch('http://worker/health');
    assert.equal(response.status, 200);
    const body = await response.json() as Record<string, unknown>;
    assert.equal(body.status, 'ok');
    assert.equal(body.runtime, 'cloudflare');
    assert.deepEqual(body.ops, ['counteq', 'crc32c', 'fnv64', 'xor', 'add']);
    assert.equal(body.kernels, 'wasm-simd', 'the kernels.wasm module import should load in workerd');
  });

  it("answers the original prototype's clients: {jobId, program, timeout} and {job_id, program, timeout_s}, /compute/health", async () => {
    const { camel, snake, count } = originalBodies(server.url);
    for (const body of [camel, snake]) {
      const { status, body: reply } = await compute(mf, body);
      assert.equal(status, 200);
      assertOriginalReply(reply, body, count);
    }
    // the original dispatcher probes `<worker_url>/health` with worker_url ending in /compute
    for (const path of ['/health', '/compute/health']) {
      const response = await mf.dispatchFetch(`http://worker${path}`);
      assert.equal(response.status, 200, path);
      assert.equal(((await response.json()) as { status: string }).status, 'ok');
    }
  });

  it('passes every vector of ops.json (one batch)', async () => {
    const cases = inlineVectorJobs();
    const { status, body } = await compute(mf, { jobs: cases.map((c) => c.job) });
    assert.equal(status, 200);
    assertVectorResults(cases, body.results);
  });

  it('passes the blob windows, fetched by Range from a loopback server', async () => {
    const cases = windowVectorJobs(server.url);
    const before = server.requests();
    const { status, body } = await compute(mf, { jobs: cases.map((c) => c.job) });
    assert.equal(status, 200);
    assertVectorResults(cases, body.results);
    assert.equal(server.requests() - before, cases.length);
  });

  it('answers the single-job form with one response', async () => {
    const { status, body } = await compute(mf, { job_id: 'one', program: { op: 'crc32c', data: 'MTIzNDU2Nzg5' }, timeout_s: 5 });
    assert.equal(status, 200);
    assert.deepEqual(body.result, { crc32c: 3808858755, bytes: 9 });
    assert.equal(body.bytes_processed, 9);
  });

  it('needs the bearer token when one is configured', async () => {
    const job = { job_id: 'auth', program: { op: 'add', data: 'AAEC' } };
    const missing = await compute(mf, job, {});
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error.code, 'UNAUTHORIZED');
    const wrong = await compute(mf, job, { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
  });

  it('answers bad requests with a stable 4xx error', async () => {
    const notJson = await mf.dispatchFetch('http://worker/compute', { method: 'POST', headers: AUTH, body: '{"jobs": [' });
    assert.equal(notJson.status, 400);
    assert.equal(((await notJson.json()) as any).error.code, 'INVALID_JSON');
    const badId = await compute(mf, { job_id: 'has space', program: { op: 'add', data: '' } });
    assert.equal(badId.status, 400);
    assert.deepEqual([badId.body.error.code, badId.body.error.path], ['INVALID_JOB', 'job_id']);
    const tooMany = await compute(mf, { jobs: Array.from({ length: 1001 }, (_, i) => ({ job_id: `j${i}`, program: {} })) });
    assert.equal(tooMany.status, 413);
    const route = await mf.dispatchFetch('http://worker/nope');
    assert.equal(route.status, 404);
    const method = await mf.dispatchFetch('http://worker/compute', { headers: AUTH });
    assert.equal(method.status, 405);
    assert.equal(method.headers.get('allow'), 'POST');
  });

  it('fails a bad program as its own job, not the batch', async () => {
    const { status, body } = await compute(mf, { jobs: [
      { job_id: 'ok', program: { op: 'xor', imm: 7, data: 'AAEC' } },
      { job_id: 'bad-imm', program: { op: 'xor', imm: 300, data: 'AAEC' } },
      { job_id: 'relative', program: { op: 'xor', data_url: '/v1/blobs/abc' } },
    ] });
    assert.equal(status, 200);
    const [ok, badImm, relative] = body.results as JobResponse[];
    assert.ok(ok?.success);
    assert.ok(badImm !== undefined && !badImm.success && !badImm.retryable);
    assert.deepEqual([badImm.error.code, badImm.error.path], ['INVALID_JOB', 'program.imm']);
    assert.ok(relative !== undefined && !relative.success);
    assert.deepEqual([relative.error.code, relative.error.path], ['INVALID_JOB', 'program.data_url']);
  });

  it('refuses private data_url hosts unless ALLOW_PRIVATE_DATA_URLS is set', async () => {
    const guarded = startWorker({});
    try {
      const urls = [server.url, 'http://localhost:1/x', 'http://[::1]:1/x', 'http://169.254.169.254/latest', 'http://metadata.google.internal/x', 'http://intranet/x'];
      const before = server.requests();
      const { body } = await compute(guarded, { jobs: urls.map((url, i) => ({ job_id: `u${i}`, program: { op: 'crc32c', data_url: url } })) }, {});
      for (const result of body.results as JobResponse[]) {
        assert.ok(!result.success, result.job_id);
        assert.equal(result.error.code, 'DATA_URL_FORBIDDEN');
        assert.equal(result.retryable, false);
      }
      assert.equal(server.requests(), before, 'nothing was fetched');
    } finally {
      await guarded.dispose();
    }
  });

  it('chains fnv64 through the Durable Object across requests and a restart', async () => {
    const windows = [[0, 700_000], [700_000, 1_000_000], [1_700_000, blob.length - 1_700_000]] as const;
    const job = (i: number) => ({
      job_id: `fnv-${i}`, state_key: 'blob-1',
      program: { op: 'fnv64', data_url: server.url, offset: windows[i]![0], length: windows[i]![1] },
    });
    // a different key must not disturb blob-1's chain
    const first = await compute(mf, { jobs: [job(0), { ...job(0), job_id: 'other', state_key: 'blob-2' }] });
    assert.equal(first.body.results[0].result.fnv64, first.body.results[1].result.fnv64);
    const second = await compute(mf, job(1));
    assert.equal(second.body.result.fnv64, fnv64(blob.subarray(0, 1_700_000)));

    await mf.dispose();
    mf = startWorker({ TOKEN, ALLOW_PRIVATE_DATA_URLS: 'true' }, persistDir);
    const third = await compute(mf, job(2));
    assert.ok(third.body.success, JSON.stringify(third.body));
    assert.equal(third.body.result.fnv64, fnv64(blob));
    assert.equal(third.body.result.fnv64, loadOpsVectors().whole_blob_imm42.fnv64!.fnv64, 'the independent whole-blob vector');
  });

  it('lets an explicit fnv_state restart a chain', async () => {
    const { body } = await compute(mf, { job_id: 'reset', state_key: 'blob-1', program: { op: 'fnv64', data: 'YQ==', fnv_state: 'cbf29ce484222325' } });
    assert.equal(body.result.fnv64, 'af63dc4c8601ec8c');
    const next = await compute(mf, { job_id: 'after-reset', state_key: 'blob-1', program: { op: 'fnv64', data: '' } });
    assert.equal(next.body.result.fnv64, 'af63dc4c8601ec8c');
  });
});
