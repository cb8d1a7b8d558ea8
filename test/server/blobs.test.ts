import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { call, NINE_DIGITS_CRC32C, serveDispatcher, type Served } from './harness.js';

describe('/v1/blobs', () => {
  let served: Served;
  let blobId: string;
  before(async () => {
    served = await serveDispatcher({ server: { blobLimitBytes: 4096 } });
    const reply = await call(`${served.url}/v1/blobs`, { method: 'PUT', body: '123456789', headers: { 'content-type': 'text/plain' } });
    assert.equal(reply.status, 201);
    blobId = reply.body.blob_id;
  });
  after(async () => { await served.close(); });

  const blob = (id = blobId) => `${served.url}/v1/blobs/${id}`;

  test('upload answers 201 with id, size, crc32c and a Location', async () => {
    const reply = await call(`${served.url}/v1/blobs`, { method: 'PUT', body: '123456789' });
    assert.equal(reply.status, 201);
    assert.deepEqual(reply.body, { blob_id: blobId, size: 9, crc32c: NINE_DIGITS_CRC32C });
    assert.equal(reply.headers.get('location'), `/v1/blobs/${blobId}`);
  });

  test('a streamed (chunked) upload of any content type', async () => {
    const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])];
    const body = new ReadableStream<Uint8Array>({
      start(controller) { for (const c of chunks) controller.enqueue(c); controller.close(); },
    });
    const reply = await call(`${served.url}/v1/blobs`, { method: 'PUT', body, duplex: 'half', headers: { 'content-type': 'image/png' } } as RequestInit);
    assert.equal(reply.status, 201);
    assert.equal(reply.body.size, 5);
    const back = await fetch(blob(reply.body.blob_id));
    assert.deepEqual(new Uint8Array(await back.arrayBuffer()), new Uint8Array([1, 2, 3, 4, 5]));
  });

  test('GET without Range: 200, the whole blob, ETag and Accept-Ranges', async () => {
    const reply = await call(blob());
    assert.equal(reply.status, 200);
    assert.equal(reply.body, '123456789');
    assert.equal(reply.headers.get('accept-ranges'), 'bytes');
    assert.equal(reply.headers.get('etag'), `"${blobId}"`);
    assert.equal(reply.headers.get('content-length'), '9');
  });

  test('single ranges are 206 with Content-Range', async () => {
    const cases: Array<[string, string, string]> = [
      ['bytes=2-4', '345', 'bytes 2-4/9'],
      ['bytes=5-', '6789', 'bytes 5-8/9'],
      ['bytes=-3', '789', 'bytes 6-8/9'],
      ['bytes=0-100', '123456789', 'bytes 0-8/9'],
      ['bytes=-100', '123456789', 'bytes 0-8/9'],
      ['bytes=8-8', '9', 'bytes 8-8/9'],
    ];
    for (const [range, body, contentRange] of cases) {
      const reply = await call(blob(), { headers: { range } });
      assert.equal(reply.status, 206, range);
      assert.equal(reply.body, body, range);
      assert.equal(reply.headers.get('content-range'), contentRange, range);
      assert.equal(reply.headers.get('content-length'), String(body.length), range);
    }
  });

  test('reads are open to pages on other origins, which may see Content-Range', async () => {
    const reply = await call(blob(), { headers: { range: 'bytes=2-4', origin: 'https://some-site.example' } });
    assert.equal(reply.status, 206);
    assert.equal(reply.headers.get('access-control-allow-origin'), '*');
    const exposed = (reply.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);
    assert.ok(exposed.includes('content-range'), `exposed: ${exposed.join(', ')}`);
  });

  test('unsatisfiable ranges are 416 with bytes */size', async () => {
    for (const range of ['bytes=9-', 'bytes=20-30', 'bytes=-0']) {
      const reply = await call(blob(), { headers: { range } });
      assert.equal(reply.status, 416, range);
      assert.equal(reply.headers.get('content-range'), 'bytes */9', range);
      assert.equal(reply.body.error.code, 'WINDOW_OUT_OF_RANGE');
    }
  });

  test('ranges we do not serve fall back to the whole blob', async () => {
    for (const range of ['bytes=1-2,4-5', 'items=1-2', 'bytes=5-2']) {
      const reply = await call(blob(), { headers: { range } });
      assert.equal(reply.status, 200, range);
      assert.equal(reply.body, '123456789', range);
    }
    const staleIfRange = await call(blob(), { headers: { range: 'bytes=0-1', 'if-range': '"other"' } });
    assert.equal(staleIfRange.status, 200);
  });

  test('HEAD: headers only; If-None-Match: 304', async () => {
    const head = await fetch(blob(), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '9');
    assert.equal(head.headers.get('etag'), `"${blobId}"`);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const ranged = await fetch(blob(), { method: 'HEAD', headers: { range: 'bytes=1-2' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-length'), '2');
    const cached = await fetch(blob(), { headers: { 'if-none-match': `"${blobId}"` } });
    assert.equal(cached.status, 304);
  });

  test('unknown and malformed ids are 4xx', async () => {
    const unknown = await call(blob('0123456789abcdef0123456789abcdef'));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'BLOB_NOT_FOUND');
    for (const id of ['..%2F..%2Fetc%2Fpasswd', 'not-a-blob-id', 'ABC']) {
      const reply = await call(blob(id));
      assert.ok(reply.status === 400 || reply.status === 404, `${id} → ${reply.status}`);
      assert.equal(typeof reply.body.error.code, 'string');
    }
  });

  test('an upload over blobLimitBytes is 413 (declared or streamed)', async () => {
    const declared = await call(`${served.url}/v1/blobs`, { method: 'PUT', body: new Uint8Array(5000) });
    assert.equal(declared.status, 413);
    assert.equal(declared.body.error.code, 'PAYLOAD_TOO_LARGE');

    const body = new ReadableStream<Uint8Array>({
      start(controller) { for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(1000)); controller.close(); },
    });
    const streamed = await call(`${served.url}/v1/blobs`, { method: 'PUT', body, duplex: 'half' } as RequestInit);
    assert.equal(streamed.status, 413);
    assert.equal(streamed.body.error.code, 'PAYLOAD_TOO_LARGE');
  });

  test('jobs read blob windows, by blob id and by /v1/blobs data_url', async () => {
    for (const source of [{ blob: blobId }, { data_url: `/v1/blobs/${blobId}` }]) {
      const submitted = await call(`${served.url}/v1/jobs`, {
        json: { program: { ops: ['crc32c', { op: 'counteq', imm: 0x34 }], offset: 2, length: 3, ...source } },
      });
      assert.equal(submitted.status, 202, JSON.stringify(source));
      const result = await call(`${served.url}/v1/jobs/${submitted.body.job_id}/result?wait=30`);
      assert.equal(result.status, 200);
      assert.equal(result.body.status, 'succeeded', JSON.stringify(result.body.error));
      const crc345 = (await call(`${served.url}/v1/blobs`, { method: 'PUT', body: '345' })).body.crc32c;
      assert.deepEqual(result.body.result, [{ crc32c: crc345, bytes: 3 }, { count: 1, bytes: 3 }]);
    }
  });
});

describe('/v1/blobs with fsync always', () => {
  test('the dispatcher passes --fsync to the blob store: a 201 comes with the blob flushed and sealed', async () => {
    const served = await serveDispatcher({ dispatcher: { fsync: 'always', local: false } });
    try {
      assert.equal(served.dispatcher.blobs.fsync, 'always');
      const reply = await call(`${served.url}/v1/blobs`, { method: 'PUT', body: '123456789' });
      assert.equal(reply.status, 201);
      // the sidecar is written only once the bytes are on disk
      assert.ok((await readdir(join(served.dataDir, 'blobs'))).includes(`${reply.body.blob_id}.json`));
    } finally {
      await served.close();
    }
  });
});
