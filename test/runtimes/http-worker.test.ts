import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startHttpWorker, type HttpWorker } from '../../src/runtimes/http-server/index.js';
import type { JobResponse } from '../../src/runtimes/worker-core/index.js';
import { loadBlob } from '../ops/vectors.js';
import { startBlobServer, type BlobServer } from './blob-server.js';
import { assertOriginalReply, assertVectorResults, inlineVectorJobs, originalBodies, windowVectorJobs } from './runtime-fixtures.js';

/** The HTTP worker server (Fly.io, Cloud Run) on a real loopback port. */
const TOKEN = 'http-token';

async function post(worker: HttpWorker, body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  const response = await fetch(`${worker.url}/compute`, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, body: await response.json() as any };
}

describe('http worker server', () => {
  let worker: HttpWorker;
  let open: HttpWorker;
  let server: BlobServer;

  before(async () => {
    server = await startBlobServer(loadBlob());
    worker = await startHttpWorker({ port: 0, host: '127.0.0.1', token: TOKEN, allowPrivate: true, maxBodyBytes: 4 * 1024 * 1024, handleSignals: false });
    open = await startHttpWorker({ port: 0, host: '127.0.0.1', handleSignals: false });
  });
  after(async () => {
    await worker?.close();
    await open?.close();
    await server?.close();
  });

  it('refuses a non-loopback host without a token, like serve, unless allowInsecureListen', async () => {
    await assert.rejects(startHttpWorker({ port: 0, host: '0.0.0.0', handleSignals: false }), (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'INVALID_REQUEST');
      assert.match((err as Error).message, /refusing to listen on non-loopback host 0\.0\.0\.0 without a token/);
      return true;
    });
    const insecure = await startHttpWorker({ port: 0, host: '0.0.0.0', allowInsecureListen: true, handleSignals: false });
    await insecure.close();
    const guarded = await startHttpWorker({ port: 0, host: '0.0.0.0', token: TOKEN, handleSignals: false });
    await guarded.close();
  });

  it('serves GET /health without a token', async () => {
    const response = await fetch(`${worker.url}/health`);
    assert.equal(response.status, 200);
    const body = await response.json() as Record<string, unknown>;
    assert.deepEqual([body.status, body.runtime], ['ok', 'http']);
    assert.equal((await fetch(`${worker.url}/compute/health`)).status, 200);
  });

  it("answers the original prototype's bodies with `results`", async () => {
    const { camel, snake, count } = originalBodies(server.url);
    for (const body of [camel, snake]) {
      const { status, body: reply } = await post(worker, JSON.stringify(body));
      assert.equal(status, 200);
      assertOriginalReply(reply, body, count);
    }
  });

  it('passes every vector and the Range windows in one batch', async () => {
    const cases = [...inlineVectorJobs(), ...windowVectorJobs(server.url)];
    const { status, body } = await post(worker, JSON.stringify({ jobs: cases.map((c) => c.job) }));
    assert.equal(status, 200);
    assertVectorResults(cases, body.results);
  });

  it('needs the token when configured, and not otherwise', async () => {
    const job = JSON.stringify({ job_id: 't', program: { op: 'add', imm: 1, data: 'AAEC' } });
    const denied = await post(worker, job, {});
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('www-authenticate'), 'Bearer realm="packetfs"');
    assert.equal((await post(worker, job, { authorization: 'Bearer wrong' })).status, 401);
    const anonymous = await post(open, job, {});
    assert.equal(anonymous.status, 200);
    assert.deepEqual(anonymous.body.result, { sum: 6, bytes: 3 });
  });

  it('bounds the body, declared or chunked', async () => {
    const big = JSON.stringify({ job_id: 'big', program: { op: 'add', data: 'A'.repeat(5 * 1024 * 1024) } });
    const declared = await post(worker, big);
    assert.equal(declared.status, 413);
    assert.equal(declared.body.error.code, 'PAYLOAD_TOO_LARGE');
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${worker.url}/compute`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 6; i++) req.write(Buffer.alloc(1024 * 1024, 0x20));
      req.end();
    });
    assert.equal(chunked, 413);
  });

  it('answers bad input with stable 4xx errors', async () => {
    assert.equal((await post(worker, '{')).body.error.code, 'INVALID_JSON');
    const notObject = await post(worker, '[1]');
    assert.deepEqual([notObject.status, notObject.body.error.code], [400, 'INVALID_REQUEST']);
    const timeout = await post(worker, JSON.stringify({ job_id: 'x', program: {}, timeout_s: -1 }));
    assert.deepEqual([timeout.status, timeout.body.error.path], [400, 'timeout_s']);
    const batchPath = await post(worker, JSON.stringify({ jobs: [{ job_id: 'a', program: {} }, { job_id: 7, program: {} }] }));
    assert.equal(batchPath.body.error.path, 'jobs[1].job_id');
    assert.equal((await fetch(`${worker.url}/other`)).status, 404);
    const wrongMethod = await fetch(`${worker.url}/health`, { method: 'DELETE' });
    assert.deepEqual([wrongMethod.status, wrongMethod.headers.get('allow')], [405, 'GET']);
  });

  it('refuses a stateful job: only the Cloudflare runtime keeps state', async () => {
    const { body } = await post(worker, JSON.stringify({ job_id: 's', state_key: 'k', program: { op: 'fnv64', data: '' } }));
    const result = body as JobResponse;
    assert.ok(!result.success && result.error.code === 'INVALID_JOB' && !result.retryable);
  });

  it('keeps the SSRF guard on without allowPrivate', async () => {
    const { body } = await post(open, JSON.stringify({ job_id: 'g', program: { op: 'crc32c', data_url: server.url } }), {});
    assert.equal(body.error.code, 'DATA_URL_FORBIDDEN');
  });

  it('times a window out at timeout_s with a retryable TIMEOUT', async () => {
    // accepts connections and never answers
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/blob`;
      const { body } = await post(worker, JSON.stringify({ job_id: 'slow', timeout_s: 0.2, program: { op: 'crc32c', data_url: url } }));
      assert.ok(!body.success);
      assert.equal(body.error.code, 'TIMEOUT');
      assert.equal(body.retryable, true);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('on SIGTERM stops accepting and finishes the request in flight', async () => {
    let release: () => void = () => undefined;
    let arrived: () => void = () => undefined;
    const held = new Promise<void>((resolve) => { arrived = resolve; });
    const gate = createServer((_req, res) => {
      arrived();
      release = () => res.end('123456789');
    });
    await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
    const draining = await startHttpWorker({ port: 0, host: '127.0.0.1', allowPrivate: true });
    try {
      const url = `http://127.0.0.1:${(gate.address() as AddressInfo).port}/nine`;
      const inFlight = post(draining, JSON.stringify({ job_id: 'drain', program: { op: 'crc32c', data_url: url } }), {});
      await held;
      process.kill(process.pid, 'SIGTERM');
      const closed = draining.close();
      await assert.rejects(fetch(`${draining.url}/health`));
      release();
      const { status, body } = await inFlight;
      assert.equal(status, 200);
      assert.deepEqual(body.result, { crc32c: 3808858755, bytes: 9 });
      await closed;
      assert.equal(process.listenerCount('SIGTERM'), 0);
    } finally {
      await draining.close();
      gate.closeAllConnections();
      await new Promise((resolve) => gate.close(resolve));
    }
  });
});
