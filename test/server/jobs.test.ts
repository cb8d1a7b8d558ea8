import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { call, NINE_DIGITS_B64, NINE_DIGITS_CRC32C, serveDispatcher, type Served } from './harness.js';

describe('/v1/jobs', () => {
  let served: Served;
  // a data_url server that never answers: its jobs stay running until cancelled
  let hanging: Server;
  let hangingUrl: string;

  before(async () => {
    served = await serveDispatcher({ dispatcher: { allowPrivateDataUrls: true } });
    hanging = createServer(() => {});
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/data.bin`;
  });
  after(async () => {
    hanging.closeAllConnections();
    await new Promise((resolve) => hanging.close(resolve));
    await served.close();
  });

  const jobs = () => `${served.url}/v1/jobs`;

  test('one job: 202, then its result by long-poll and in the job view', async () => {
    const submitted = await call(jobs(), { json: { program: { op: 'crc32c', data: NINE_DIGITS_B64 } } });
    assert.equal(submitted.status, 202);
    assert.equal(typeof submitted.body.job_id, 'string');
    assert.equal(submitted.body.created, true);
    assert.equal(submitted.body.status, 'queued');

    const result = await call(`${jobs()}/${submitted.body.job_id}/result?wait=30`);
    assert.equal(result.status, 200);
    assert.equal(result.body.status, 'succeeded');
    assert.equal(result.body.success, true);
    assert.equal(result.body.substrate, 'local');
    assert.deepEqual(result.body.result, { crc32c: NINE_DIGITS_CRC32C, bytes: 9 });

    const view = await call(`${jobs()}/${submitted.body.job_id}`);
    assert.equal(view.status, 200);
    assert.equal(view.body.status, 'succeeded');
    assert.equal(view.body.attempts, 1);
    assert.deepEqual(view.body.result.result, { crc32c: NINE_DIGITS_CRC32C, bytes: 9 });
  });

  test('a known job_id is not run twice', async () => {
    const job = { job_id: 'idempotent-1', program: { op: 'counteq', imm: 49, data: NINE_DIGITS_B64 } };
    const first = await call(jobs(), { json: job });
    const second = await call(jobs(), { json: job });
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.equal(first.body.created, true);
    assert.equal(second.body.created, false);
    assert.equal(second.body.job_id, 'idempotent-1');
  });

  test('a batch: ids, created flags and statuses in order, every result right', async () => {
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) % 256));
    const batch = Array.from({ length: 200 }, (_, i) => ({ program: { ops: [{ op: 'counteq', imm: i % 256 }, 'xor'], data: data.toString('base64') } }));
    const submitted = await call(jobs(), { json: { jobs: batch } });
    assert.equal(submitted.status, 202);
    assert.equal(submitted.body.job_ids.length, 200);
    assert.deepEqual(submitted.body.created, batch.map(() => true));
    assert.equal(submitted.body.statuses.length, 200);

    const xorAll = data.reduce((x, b) => x ^ b, 0);
    for (const [i, id] of (submitted.body.job_ids as string[]).entries()) {
      const result = await call(`${jobs()}/${id}/result?wait=30`);
      assert.equal(result.status, 200, `job ${i}`);
      const expectedCount = data.filter((b) => b === i % 256).length;
      assert.deepEqual(result.body.result, [{ count: expectedCount, bytes: 300 }, { xor: xorAll, bytes: 300 }]);
    }
  });

  test('an invalid batch item is reported with its path and nothing is stored', async () => {
    const batch = [0, 1, 2, 3].map((i) => ({ job_id: `batch-bad-${i}`, program: { op: 'counteq', imm: i === 3 ? 300 : 1, data: NINE_DIGITS_B64 } }));
    const reply = await call(jobs(), { json: { jobs: batch } });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error.code, 'INVALID_JOB');
    assert.equal(reply.body.error.path, 'jobs[3].program.imm');
    assert.equal((await call(`${jobs()}/batch-bad-0`)).status, 404);
  });

  test('more than 10,000 jobs in a batch is 413', async () => {
    const batch = Array.from({ length: 10_001 }, () => ({ program: { op: 'crc32c', data: 'AA==' } }));
    const reply = await call(jobs(), { json: { jobs: batch } });
    assert.equal(reply.status, 413);
    assert.equal(reply.body.error.code, 'PAYLOAD_TOO_LARGE');
  });

  test('validation errors name the field', async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ program: { op: 'crc32c', data: NINE_DIGITS_B64 }, priorty: 1 }, 'INVALID_JOB', 'priorty'],
      [{ program: { op: 'nope', data: NINE_DIGITS_B64 } }, 'INVALID_JOB', 'program.op'],
      [{ program: { op: 'counteq', imm: 1.5, data: NINE_DIGITS_B64 } }, 'INVALID_JOB', 'program.imm'],
      [{ program: { op: 'crc32c', data: NINE_DIGITS_B64, length: 10 } }, 'WINDOW_OUT_OF_RANGE', 'program.length'],
      [{ jobs: 'x' }, 'INVALID_JOB', 'jobs'],
      [{ jobs: [], extra: 1 }, 'INVALID_JOB', 'extra'],
    ];
    for (const [body, code, path] of cases) {
      const reply = await call(jobs(), { json: body });
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.equal(reply.body.error.code, code, JSON.stringify(body));
      assert.equal(reply.body.error.path, path, JSON.stringify(body));
    }
  });

  test('bad bodies are 4xx with the error shape, never 500', async () => {
    for (const body of ['[]', 'null', '"text"', '123', '{"jobs":[1]}', '{"program":null}', '{"__proto__":{"x":1}}']) {
      const reply = await call(jobs(), { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      assert.ok(reply.status >= 400 && reply.status < 500, `${body} → ${reply.status}`);
      assert.equal(typeof reply.body.error.code, 'string', body);
      assert.equal(typeof reply.body.error.message, 'string', body);
    }
  });

  test('malformed JSON is 400 INVALID_JSON; an empty JSON body too', async () => {
    for (const body of ['{"program":', '']) {
      const reply = await call(jobs(), { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      assert.equal(reply.status, 400);
      assert.equal(reply.body.error.code, 'INVALID_JSON');
    }
  });

  test('a body that is not application/json is 415', async () => {
    const asText = await call(jobs(), { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } });
    assert.equal(asText.status, 415);
    assert.equal(asText.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    const noType = await call(jobs(), { method: 'POST', body: new Blob(['{}']) });
    assert.equal(noType.status, 415);
    assert.equal(noType.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('unknown jobs are 404 everywhere', async () => {
    for (const [method, path] of [['GET', '/nope'], ['GET', '/nope/result'], ['GET', '/nope/result?wait=5'], ['DELETE', '/nope']] as const) {
      const reply = await call(`${jobs()}${path}`, { method });
      assert.equal(reply.status, 404, `${method} ${path}`);
      assert.equal(reply.body.error.code, 'NOT_FOUND');
    }
  });

  test('malformed and oversized ids are 4xx, not 500', async () => {
    for (const path of ['/%E0%A4%A', `/${'x'.repeat(300)}`]) {
      const reply = await call(`${jobs()}${path}`);
      assert.ok(reply.status >= 400 && reply.status < 500, `${path.slice(0, 20)} → ${reply.status}`);
      assert.equal(typeof reply.body.error.code, 'string');
    }
  });

  test('wait must be 0..60 seconds', async () => {
    const { body } = await call(jobs(), { json: { program: { op: 'crc32c', data: NINE_DIGITS_B64 } } });
    for (const wait of ['61', '-1', 'abc', '', '1e9']) {
      const reply = await call(`${jobs()}/${body.job_id}/result?wait=${wait}`);
      assert.equal(reply.status, 400, `wait=${wait}`);
      assert.equal(reply.body.error.code, 'INVALID_REQUEST');
      assert.equal(reply.body.error.path, 'wait');
    }
  });

  test('a running job: 202 while it runs, cancel, then 409 on a second cancel', async () => {
    const submitted = await call(jobs(), { json: { program: { op: 'crc32c', data_url: hangingUrl }, timeout_s: 300 } });
    assert.equal(submitted.status, 202);
    const id = submitted.body.job_id as string;

    const pending = await call(`${jobs()}/${id}/result?wait=0.2`);
    assert.equal(pending.status, 202);
    assert.equal(pending.body.job_id, id);
    assert.ok(['queued', 'running'].includes(pending.body.status));
    const immediate = await call(`${jobs()}/${id}/result`);
    assert.equal(immediate.status, 202);

    const cancelled = await call(`${jobs()}/${id}`, { method: 'DELETE' });
    assert.equal(cancelled.status, 200);
    assert.deepEqual(cancelled.body, { job_id: id, status: 'cancelled' });

    const again = await call(`${jobs()}/${id}`, { method: 'DELETE' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'CONFLICT');

    const record = await call(`${jobs()}/${id}/result`);
    assert.equal(record.status, 200);
    assert.equal(record.body.status, 'cancelled');
  });

  test('failed jobs are listed, newest first, page by page', async () => {
    const blob = await call(`${served.url}/v1/blobs`, { method: 'PUT', body: '123456789' });
    assert.equal(blob.status, 201);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      // the window runs past the end of the 9-byte blob: the job fails when it runs
      const { body } = await call(jobs(), { json: { program: { op: 'crc32c', blob: blob.body.blob_id, length: 100 } } });
      ids.push(body.job_id);
      const result = await call(`${jobs()}/${body.job_id}/result?wait=30`);
      assert.equal(result.body.status, 'failed');
      assert.equal(result.body.success, false);
      assert.equal(result.body.error.code, 'WINDOW_OUT_OF_RANGE');
    }

    const first = await call(`${jobs()}?status=failed&limit=2`);
    assert.equal(first.status, 200);
    assert.equal(first.body.jobs.length, 2);
    assert.equal(typeof first.body.next_cursor, 'string');
    const second = await call(`${jobs()}?status=failed&limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    assert.equal(second.status, 200);
    const listed = [...first.body.jobs, ...second.body.jobs].map((j: { job_id: string }) => j.job_id);
    for (const id of ids) assert.ok(listed.includes(id), `${id} listed`);
    assert.ok(first.body.jobs.every((j: { status: string }) => j.status === 'failed'));

    const succeeded = await call(`${jobs()}?status=succeeded`);
    assert.equal(succeeded.status, 200);
    assert.ok(Array.isArray(succeeded.body.jobs));
  });

  test('list query errors', async () => {
    for (const [query, path] of [['', 'status'], ['?status=bogus', 'status'], ['?status=failed&limit=0', 'limit'],
      ['?status=failed&limit=1001', 'limit'], ['?status=failed&limit=x', 'limit'], ['?status=failed&status=queued', 'status']] as const) {
      const reply = await call(`${jobs()}${query}`);
      assert.equal(reply.status, 400, query);
      assert.equal(reply.body.error.code, 'INVALID_REQUEST', query);
      assert.equal(reply.body.error.path, path, query);
    }
  });
});

describe('request size limits', () => {
  let served: Served;
  before(async () => { served = await serveDispatcher({ server: { bodyLimitBytes: 1024 } }); });
  after(async () => { await served.close(); });

  test('a body over bodyLimitBytes is 413', async () => {
    const big = { program: { op: 'crc32c', data: Buffer.alloc(2048).toString('base64') } };
    const reply = await call(`${served.url}/v1/jobs`, { json: big });
    assert.equal(reply.status, 413);
    assert.equal(reply.body.error.code, 'PAYLOAD_TOO_LARGE');
  });
});
