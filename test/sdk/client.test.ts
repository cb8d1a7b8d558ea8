import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PacketFSError } from '../../src/errors.js';
import { Client } from '../../src/sdk/client.js';
import { NINE_DIGITS_B64, NINE_DIGITS_CRC32C, serveDispatcher, type Served } from '../server/harness.js';

const crcJob = (extra: Record<string, unknown> = {}) => ({ program: { op: 'crc32c', data: NINE_DIGITS_B64 }, ...extra });

describe('Client against a served dispatcher', () => {
  let served: Served;
  let client: Client;
  let hanging: Server;
  let hangingUrl: string;

  before(async () => {
    served = await serveDispatcher({ dispatcher: { allowPrivateDataUrls: true } });
    client = new Client({ baseUrl: served.url + '/' });
    hanging = createServer(() => {});
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/never`;
  });
  after(async () => {
    await client.close();
    hanging.closeAllConnections();
    await new Promise((resolve) => hanging.close(resolve));
    await served.close();
  });

  test('submitJob, getResult with wait, getJob', async () => {
    const outcome = await client.submitJob(crcJob());
    assert.equal(outcome.created, true);
    assert.equal(outcome.status, 'queued');
    const record = await client.getResult(outcome.job_id, { wait: 30 });
    assert.ok(record);
    assert.deepEqual(record.result, { crc32c: NINE_DIGITS_CRC32C, bytes: 9 });
    const view = await client.getJob(outcome.job_id);
    assert.equal(view?.status, 'succeeded');
  });

  test('submitJobs keeps order and reports known ids as not created', async () => {
    const jobs = ['sdk-a', 'sdk-b', 'sdk-c'].map((job_id) => crcJob({ job_id }));
    const first = await client.submitJobs(jobs);
    assert.deepEqual(first.map((o) => [o.job_id, o.created]), [['sdk-a', true], ['sdk-b', true], ['sdk-c', true]]);
    const again = await client.submitJobs(jobs.slice(1));
    assert.deepEqual(again.map((o) => [o.job_id, o.created]), [['sdk-b', false], ['sdk-c', false]]);
    for (const o of again) assert.equal(typeof o.status, 'string');
    const record = await client.waitForResult('sdk-c');
    assert.equal(record.status, 'succeeded');
  });

  test('unknown jobs: null, unknown, not_found, NOT_FOUND', async () => {
    assert.equal(await client.getJob('nope'), null);
    assert.equal(await client.getResult('nope'), null);
    assert.deepEqual(await client.pollResult('nope', 0), { state: 'unknown' });
    assert.equal(await client.cancel('nope'), 'not_found');
    await assert.rejects(client.waitForResult('nope'), { code: 'NOT_FOUND' });
  });

  test('cancel, and waitForResult with a limit', async () => {
    const { job_id } = await client.submitJob({ program: { op: 'crc32c', data_url: hangingUrl }, timeout_s: 300 });
    assert.equal(await client.getResult(job_id), null);
    await assert.rejects(client.waitForResult(job_id, { timeoutS: 0.2 }), (err: unknown) => {
      assert.ok(err instanceof PacketFSError);
      assert.equal(err.code, 'TIMEOUT');
      return true;
    });
    assert.equal(await client.cancel(job_id), 'cancelled');
    assert.equal(await client.cancel(job_id), 'finished');
    assert.equal((await client.waitForResult(job_id)).status, 'cancelled');
  });

  test('server errors become PacketFSError with code, path and status', async () => {
    await assert.rejects(client.submitJob({ program: { op: 'counteq', imm: 256, data: NINE_DIGITS_B64 } }), (err: unknown) => {
      assert.ok(err instanceof PacketFSError);
      assert.equal(err.code, 'INVALID_JOB');
      assert.equal(err.path, 'program.imm');
      assert.equal(err.status, 400);
      return true;
    });
    await assert.rejects(client.submitJobs([crcJob(), { program: {} }]), { code: 'INVALID_JOB', path: 'jobs[1].program' });
  });

  test('uploadBlob from bytes, an async iterable and a ReadableStream; jobs read the blob', async () => {
    const bytes = new TextEncoder().encode('123456789');
    async function* pieces() { yield bytes.subarray(0, 4); yield bytes.subarray(4); }
    const stream = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(bytes.subarray(0, 2)); c.enqueue(bytes.subarray(2)); c.close(); } });
    const infos = [await client.uploadBlob(bytes), await client.uploadBlob(pieces()), await client.uploadBlob(stream)];
    for (const info of infos) assert.deepEqual(info, { blob_id: infos[0]!.blob_id, size: 9, crc32c: NINE_DIGITS_CRC32C });

    const { job_id } = await client.submitJob({ program: { op: 'counteq', imm: 0x35, blob: infos[0]!.blob_id, offset: 1 } });
    const record = await client.waitForResult(job_id, { timeoutS: 30 });
    assert.deepEqual(record.result, { count: 1, bytes: 8 });
  });

  test('listJobs, getMetrics, listSubstrates', async () => {
    const page = await client.listJobs({ status: 'succeeded', limit: 2 });
    assert.equal(page.jobs.length, 2);
    assert.ok(page.jobs.every((j) => j.status === 'succeeded'));
    const report = await client.getMetrics(5);
    assert.ok(report.metrics.length >= 1 && report.metrics.length <= 5);
    const substrates = await client.listSubstrates();
    assert.ok(substrates.some((s) => s.name === 'local'));
  });
});

describe('Client transport', () => {
  test('a token is sent; a missing one is UNAUTHORIZED', async () => {
    const served = await serveDispatcher({ server: { token: 'tok' } });
    try {
      await assert.rejects(new Client({ baseUrl: served.url }).listSubstrates(), { code: 'UNAUTHORIZED', status: 401 });
      const substrates = await new Client({ baseUrl: served.url, token: 'tok' }).listSubstrates();
      assert.ok(substrates.length >= 1);
    } finally {
      await served.close();
    }
  });

  test('an unreachable server is a clear error', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await assert.rejects(new Client({ baseUrl: `http://127.0.0.1:${port}` }).getJob('x'), (err: unknown) => {
      assert.ok(err instanceof PacketFSError);
      assert.match(err.message, /cannot reach the PacketFS server at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
      return true;
    });
  });

  test('waits longer than the server allows are split into 60 s long-polls', async () => {
    const asked: string[] = [];
    const replies = [
      { status: 202, body: { job_id: 'j', status: 'queued' } },
      { status: 202, body: { job_id: 'j', status: 'running' } },
      { status: 200, body: { job_id: 'j', status: 'succeeded' } },
    ];
    const fakeFetch = (async (url: string | URL | Request) => {
      asked.push(String(url));
      const next = replies.shift()!;
      return new Response(JSON.stringify(next.body), { status: next.status, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const record = await new Client({ baseUrl: 'http://127.0.0.1:1', fetch: fakeFetch }).getResult('j', { wait: 150 });
    assert.equal(record?.status, 'succeeded');
    assert.equal(asked.length, 3);
    for (const url of asked) {
      const wait = Number(new URL(url).searchParams.get('wait'));
      assert.ok(wait > 0 && wait <= 60, url);
    }
  });

  test('a reply that is not the error shape still becomes a PacketFSError', async () => {
    const fakeFetch = (async () => new Response('<html>bad gateway</html>', { status: 502 })) as typeof fetch;
    await assert.rejects(new Client({ baseUrl: 'http://127.0.0.1:1', fetch: fakeFetch }).listSubstrates(),
      (err: unknown) => err instanceof PacketFSError && err.status === 502 && /HTTP 502/.test(err.message));
  });
});
