import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketFSError } from '../../src/errors.js';
import { createNodeFetchRange } from '../../src/data/node-fetch-range.js';
import { createAddressPolicy } from '../../src/data/ssrf-guard.js';
import { fetchRangeWith } from '../../src/data/window.js';
import { DATA, startDataServer, type DataServer } from './http-fixtures.js';

type Reader = (url: string, offset: number, length: number | null, signal?: AbortSignal, maxBytes?: number) => Promise<Uint8Array>;

/** The same behaviour is required of the fetch-based reader (browsers, workerd) and the node:http one. */
const readers: Record<string, Reader> = {
  fetchRangeWith: (url, offset, length, signal, maxBytes = 1 << 20) =>
    fetchRangeWith(fetch, url, offset, length, { signal, maxBytes }),
  createNodeFetchRange: (url, offset, length, signal, maxBytes = 1 << 20) =>
    createNodeFetchRange({ policy: createAddressPolicy({ allowPrivate: true }), maxBytes })(url, offset, length, signal),
};

async function rejectsWith(promise: Promise<unknown>, code: string, path?: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof PacketFSError, `expected PacketFSError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (path !== undefined) assert.equal(err.path, path);
    if (message !== undefined) assert.match(err.message, message);
    return true;
  });
}

let server: DataServer;
before(async () => { server = await startDataServer(); });
after(async () => { await server.close(); });

const windows: Array<[string, number, number | null]> = [
  ['start', 0, 10],
  ['middle', 500, 100],
  ['end', 990, 10],
  ['whole file', 0, null],
  ['rest from the middle', 400, null],
  ['empty at the end (null length)', 1000, null],
  ['empty at the end (zero length)', 1000, 0],
  ['empty in the middle', 500, 0],
  ['empty at the start', 0, 0],
];

for (const [name, read] of Object.entries(readers)) {
  describe(name, () => {
    for (const path of ['/range', '/whole', '/whole-chunked']) {
      for (const [label, offset, length] of windows) {
        test(`${path}: ${label} window`, async () => {
          const got = await read(server.origin + path, offset, length);
          const end = length === null ? DATA.length : offset + length;
          assert.deepEqual(Array.from(got), Array.from(DATA.subarray(offset, end)));
        });
      }

      test(`${path}: a window running past the end is WINDOW_OUT_OF_RANGE at program.length`, async () => {
        await rejectsWith(read(server.origin + path, 995, 10), 'WINDOW_OUT_OF_RANGE', 'program.length');
      });

      test(`${path}: an offset past the end is WINDOW_OUT_OF_RANGE at program.offset`, async () => {
        await rejectsWith(read(server.origin + path, 1001, null), 'WINDOW_OUT_OF_RANGE', 'program.offset');
        await rejectsWith(read(server.origin + path, 1001, 0), 'WINDOW_OUT_OF_RANGE', 'program.offset');
      });

      test(`${path}: a window over maxBytes is PAYLOAD_TOO_LARGE`, async () => {
        await rejectsWith(read(server.origin + path, 0, null, undefined, 100), 'PAYLOAD_TOO_LARGE');
        await rejectsWith(read(server.origin + path, 0, 200, undefined, 100), 'PAYLOAD_TOO_LARGE');
      });
    }

    test('a 200 reply to a small window of an endless body stops reading once it has the window', { timeout: 20_000 }, async () => {
      const got = await read(`${server.origin}/endless`, 1500, 100);
      assert.deepEqual(Array.from(got), Array.from(DATA.subarray(500, 600)));
    });

    test('a 206 body shorter than its Content-Range is DATA_FETCH_FAILED', async () => {
      await rejectsWith(read(`${server.origin}/short-206`, 100, 50), 'DATA_FETCH_FAILED', 'program.data_url', /ended after 49 of 50/);
    });

    test('a 206 body longer than its Content-Range is DATA_FETCH_FAILED', async () => {
      await rejectsWith(read(`${server.origin}/long-206`, 100, 50), 'DATA_FETCH_FAILED', 'program.data_url', /more bytes/);
    });

    test('a 206 starting elsewhere than the offset is DATA_FETCH_FAILED', async () => {
      await rejectsWith(read(`${server.origin}/shifted-206`, 100, 50), 'DATA_FETCH_FAILED', 'program.data_url', /from 0/);
    });

    test('a 404 is DATA_FETCH_FAILED naming the status', async () => {
      await rejectsWith(read(`${server.origin}/missing?token=secret`, 0, 10), 'DATA_FETCH_FAILED', 'program.data_url', /HTTP 404/);
    });

    test('error messages leave out the query string, which may hold credentials', async () => {
      await assert.rejects(read(`${server.origin}/missing?token=secret`, 0, 10), (err: Error) => !err.message.includes('secret'));
    });

    test('a redirect is not followed', async () => {
      const before = server.hits.length;
      await rejectsWith(read(`${server.origin}/redirect`, 0, 10), 'DATA_FETCH_FAILED', 'program.data_url', /redirects are not followed/);
      assert.deepEqual(server.hits.slice(before), ['/redirect']);
    });

    test('aborting with a timeout reason mid-body is TIMEOUT', async () => {
      const controller = new AbortController();
      const pending = read(`${server.origin}/slow`, 0, 100, controller.signal);
      await server.stalled();
      controller.abort(new DOMException('job deadline passed', 'TimeoutError'));
      await rejectsWith(pending, 'TIMEOUT');
    });

    test('aborting before the reply arrives is TIMEOUT with AbortSignal.timeout', async () => {
      await rejectsWith(read(`${server.origin}/hang`, 0, 10, AbortSignal.timeout(50)), 'TIMEOUT');
      // On a loaded machine the 50 ms may run out before the request reaches the server: then nothing stalls there.
      await Promise.race([server.stalled(), new Promise((resolve) => setTimeout(resolve, 2_000))]);
    });

    test('aborting for another reason is CANCELLED', async () => {
      const controller = new AbortController();
      const pending = read(`${server.origin}/hang`, 0, 10, controller.signal);
      await server.stalled();
      controller.abort();
      await rejectsWith(pending, 'CANCELLED');
    });

    test('an already aborted signal sends nothing', async () => {
      const before = server.hits.length;
      await rejectsWith(read(`${server.origin}/range`, 0, 10, AbortSignal.abort(new DOMException('late', 'TimeoutError'))), 'TIMEOUT');
      assert.equal(server.hits.length, before);
    });

    test('a PacketFSError reason is passed through as is', async () => {
      const reason = new PacketFSError('SHUTTING_DOWN', 'draining');
      await rejectsWith(read(`${server.origin}/range`, 0, 10, AbortSignal.abort(reason)), 'SHUTTING_DOWN');
    });

    test('schemes other than http and https are INVALID_JOB at program.data_url', async () => {
      await rejectsWith(read('file:///etc/passwd', 0, 10), 'INVALID_JOB', 'program.data_url');
      await rejectsWith(read('ftp://127.0.0.1/x', 0, 10), 'INVALID_JOB', 'program.data_url');
      await rejectsWith(read('not a url', 0, 10), 'INVALID_JOB', 'program.data_url');
    });

    test('a refused connection is DATA_FETCH_FAILED', async () => {
      const closed = await startDataServer();
      await closed.close();
      await rejectsWith(read(`${closed.origin}/range`, 0, 10), 'DATA_FETCH_FAILED', 'program.data_url');
    });
  });
}
