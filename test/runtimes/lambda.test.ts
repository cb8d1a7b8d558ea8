import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { JobResponse } from '../../src/runtimes/worker-core/index.js';
import { loadBlob } from '../ops/vectors.js';
import { startBlobServer, type BlobServer } from './blob-server.js';
import { assertOriginalReply, assertVectorResults, bundlePath, ensureBundles, inlineVectorJobs, originalBodies, REPO_ROOT, windowVectorJobs } from './runtime-fixtures.js';

/**
 * The built Lambda bundle, invoked the way Lambda does: direct events (the
 * dispatcher's adapter) and Function URL / API Gateway events; then the
 * deployable zip, listed by Python's zipfile as an independent reader.
 */
type Handler = (event: unknown) => Promise<any>;

describe('lambda bundle', () => {
  let handler: Handler;
  let server: BlobServer;

  before(async () => {
    await ensureBundles();
    process.env.PACKETFS_TOKEN = 'lambda-token';
    process.env.PACKETFS_ALLOW_PRIVATE_DATA_URLS = 'true';
    ({ handler } = await import(pathToFileURL(bundlePath('lambda/handler.js')).href) as { handler: Handler });
    server = await startBlobServer(loadBlob());
  });
  after(async () => {
    delete process.env.PACKETFS_TOKEN;
    delete process.env.PACKETFS_ALLOW_PRIVATE_DATA_URLS;
    await server?.close();
  });

  it('runs a direct batch event: every vector and the Range windows', async () => {
    const cases = [...inlineVectorJobs(), ...windowVectorJobs(server.url)];
    const reply = await handler({ jobs: cases.map((c) => c.job) });
    assertVectorResults(cases, reply.results);
  });

  it('runs a direct single-job event and a health event', async () => {
    const reply = await handler({ job_id: 'one', program: { op: 'counteq', imm: 49, data: 'MTIzNDU2Nzg5' }, timeout_s: 5 });
    assert.deepEqual(reply, {
      job_id: 'one', success: true, result: { count: 1, bytes: 9 }, results: { count: 1, bytes: 9 }, exec_time_ms: reply.exec_time_ms, bytes_processed: 9,
    });
    const health = await handler({ health: true });
    assert.deepEqual([health.status, health.runtime, health.kernels], ['ok', 'lambda', 'wasm-simd']);
  });

  it("runs the original prototype's events: its handler's {jobId, program, timeout} and its dispatcher's {job_id, program, timeout_s}", async () => {
    const { camel, snake, count } = originalBodies(server.url);
    for (const body of [camel, snake]) assertOriginalReply(await handler(body), body, count);
    const health = await handler({ rawPath: '/compute/health', requestContext: { http: { method: 'GET', path: '/compute/health' } } });
    assert.equal(health.statusCode, 200);
  });

  it('answers bad direct events with the error shape instead of throwing', async () => {
    assert.equal((await handler('not json')).error.code, 'INVALID_JSON');
    assert.equal((await handler(null)).error.code, 'INVALID_REQUEST');
    const reply = await handler({ job_id: 'x', program: { op: 'add', data: '' }, extra: 1 });
    assert.deepEqual([reply.error.code, reply.error.path], ['INVALID_JOB', 'extra']);
    const failed: JobResponse = await handler({ job_id: 'x', program: { op: 'add', data: '!!' } });
    assert.ok(!failed.success && failed.error.path === 'program.data' && !failed.retryable);
  });

  it('serves Function URL events through the HTTP API, token included', async () => {
    const event = (headers: Record<string, string>, body: string, isBase64Encoded = false) => ({
      rawPath: '/compute', headers, body, isBase64Encoded,
      requestContext: { http: { method: 'POST', path: '/compute' } },
    });
    const job = JSON.stringify({ job_id: 'url', program: { op: 'xor', imm: 1, data: 'AAEC' } });
    const ok = await handler(event({ authorization: 'Bearer lambda-token' }, Buffer.from(job).toString('base64'), true));
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(JSON.parse(ok.body).result, { xor: 2, bytes: 3 });
    const denied = await handler(event({}, job));
    assert.equal(denied.statusCode, 401);
    assert.equal(JSON.parse(denied.body).error.code, 'UNAUTHORIZED');
    const health = await handler({ rawPath: '/health', headers: {}, requestContext: { http: { method: 'GET', path: '/health' } } });
    assert.equal(JSON.parse(health.body).runtime, 'lambda');
  });
});

describe('package:lambda', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(path.join(tmpdir(), 'packetfs-zip-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('writes a zip that python lists and verifies, holding handler.js', async () => {
    await ensureBundles();
    const script = await import(pathToFileURL(path.join(REPO_ROOT, 'scripts/package-lambda.mjs')).href) as {
      packageLambda(opts: { zipPath: string }): Promise<string>;
    };
    const zipPath = await script.packageLambda({ zipPath: path.join(dir, 'lambda.zip') });
    const run = promisify(execFile);
    const listing = (await run('python3', ['-m', 'zipfile', '-l', zipPath])).stdout;
    assert.match(listing, /^handler\.js\s/m);
    assert.match(listing, /^package\.json\s/m);
    const tested = (await run('python3', ['-m', 'zipfile', '-t', zipPath])).stdout;
    assert.match(tested, /Done testing/);
    // Lambda must be able to read the files: a Unix regular file, rw-r--r--, deflated
    const modes = (await run('python3', ['-c', 'import sys, zipfile; print(" ".join(f"{i.filename}:{i.external_attr >> 16:o}:{i.compress_type}" for i in zipfile.ZipFile(sys.argv[1]).infolist()))', zipPath])).stdout.trim();
    assert.equal(modes, 'handler.js:100644:8 package.json:100644:8');
    const extracted = path.join(dir, 'out');
    await run('python3', ['-m', 'zipfile', '-e', zipPath, extracted]);
    const { handler } = await import(pathToFileURL(path.join(extracted, 'handler.js')).href) as { handler: Handler };
    assert.equal((await handler({ health: true })).runtime, 'lambda');
  });
});
