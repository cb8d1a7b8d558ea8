import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketFSError } from '../../src/errors.js';
import type { ProgramSpec } from '../../src/job/types.js';
import { BlobStore } from '../../src/data/blob-store.js';
import { createNodeWindowContext } from '../../src/data/node-window-context.js';
import { readWindow, type WindowContext } from '../../src/data/window.js';
import { DATA, startDataServer, type DataServer } from './http-fixtures.js';

function program(source: Partial<ProgramSpec>, offset = 0, length: number | null = null): ProgramSpec {
  return { ops: [{ op: 'counteq', imm: 0 }], single: true, offset, length, ...source };
}

function isCode(code: string, path?: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof PacketFSError, String(err));
    assert.equal(err.code, code, err.message);
    if (path !== undefined) assert.equal(err.path, path);
    return true;
  };
}

/** A context with no network and no blob store: each test adds what it needs. */
function bareContext(extra: Partial<WindowContext> = {}): WindowContext {
  return {
    decodeBase64: (s) => Buffer.from(s, 'base64'),
    fetchRange: () => Promise.reject(new Error('no network in this test')),
    maxWindowBytes: 1 << 20,
    ...extra,
  };
}

const BASE64 = Buffer.from(DATA).toString('base64');

describe('readWindow: inline data', () => {
  const cases: Array<[string, number, number | null]> = [
    ['start', 0, 10], ['middle', 400, 50], ['end', 990, 10], ['all', 0, null], ['rest', 300, null],
    ['empty at the end', 1000, null], ['zero length', 500, 0],
  ];
  for (const [label, offset, length] of cases) {
    test(`${label} window`, async () => {
      const got = await readWindow(program({ data: BASE64 }, offset, length), bareContext());
      assert.deepEqual(Array.from(got), Array.from(DATA.subarray(offset, length === null ? undefined : offset + length)));
    });
  }

  test('the window is a view of the decoded bytes, not a copy', async () => {
    let decoded: Uint8Array | undefined;
    const ctx = bareContext({ decodeBase64: (s) => (decoded = Buffer.from(s, 'base64')) });
    const got = await readWindow(program({ data: BASE64 }, 100, 10), ctx);
    assert.equal(got.buffer, decoded!.buffer);
    assert.equal(got.byteOffset, decoded!.byteOffset + 100);
  });

  test('past the end is WINDOW_OUT_OF_RANGE naming offset or length', async () => {
    await assert.rejects(readWindow(program({ data: BASE64 }, 995, 10), bareContext()), isCode('WINDOW_OUT_OF_RANGE', 'program.length'));
    await assert.rejects(readWindow(program({ data: BASE64 }, 1001, null), bareContext()), isCode('WINDOW_OUT_OF_RANGE', 'program.offset'));
  });

  test('a window over maxWindowBytes is PAYLOAD_TOO_LARGE', async () => {
    const ctx = bareContext({ maxWindowBytes: 100 });
    await assert.rejects(readWindow(program({ data: BASE64 }, 0, 200), ctx), isCode('PAYLOAD_TOO_LARGE', 'program.length'));
    await assert.rejects(readWindow(program({ data: BASE64 }), ctx), isCode('PAYLOAD_TOO_LARGE'));
    assert.equal((await readWindow(program({ data: BASE64 }, 0, 100), ctx)).length, 100);
  });

  test('a negative offset is INVALID_JOB', async () => {
    await assert.rejects(readWindow(program({ data: BASE64 }, -1, 1), bareContext()), isCode('INVALID_JOB', 'program.offset'));
  });

  test('a program without a source is INVALID_JOB', async () => {
    await assert.rejects(readWindow(program({}), bareContext()), isCode('INVALID_JOB', 'program'));
  });
});

describe('readWindow: blobs, own-blob URLs and fetched URLs', () => {
  let dir: string;
  let store: BlobStore;
  let blobId: string;
  let server: DataServer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'packetfs-window-'));
    store = await BlobStore.open(dir);
    blobId = (await store.put(DATA)).blob_id;
    server = await startDataServer();
  });
  after(async () => {
    await server.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('blob: reads the window from the store directory', async () => {
    const ctx = createNodeWindowContext({ blobDir: dir });
    assert.deepEqual(Array.from(await readWindow(program({ blob: blobId }, 20, 30), ctx)), Array.from(DATA.subarray(20, 50)));
    await assert.rejects(readWindow(program({ blob: blobId }, 999, 2), ctx), isCode('WINDOW_OUT_OF_RANGE', 'program.length'));
  });

  test('blob: an unknown blob is BLOB_NOT_FOUND at program.blob', async () => {
    const ctx = createNodeWindowContext({ blobDir: dir });
    await assert.rejects(readWindow(program({ blob: '0'.repeat(32) }), ctx), isCode('BLOB_NOT_FOUND', 'program.blob'));
  });

  test('blob: a malformed id is INVALID_JOB at program.blob', async () => {
    const ctx = createNodeWindowContext({ blobDir: dir });
    await assert.rejects(readWindow(program({ blob: '../../etc/passwd' }), ctx), isCode('INVALID_JOB', 'program.blob'));
  });

  test('blob: a runtime without a blob store says so', async () => {
    await assert.rejects(readWindow(program({ blob: blobId }), bareContext()), isCode('BLOB_NOT_FOUND', 'program.blob'));
  });

  test('data_url naming the own blob store is read from disk, never over HTTP', async () => {
    const origin = 'http://127.0.0.1:1';
    const ctx = createNodeWindowContext({ blobDir: dir, ownOrigins: [origin] });
    const fetched: string[] = [];
    ctx.fetchRange = async (url) => { fetched.push(url); throw new Error('must not fetch'); };
    for (const url of [`/v1/blobs/${blobId}`, `${origin}/v1/blobs/${blobId}`]) {
      assert.deepEqual(Array.from(await readWindow(program({ data_url: url }, 900, null), ctx)), Array.from(DATA.subarray(900)));
    }
    await assert.rejects(readWindow(program({ data_url: `/v1/blobs/${'0'.repeat(32)}` }), ctx), isCode('BLOB_NOT_FOUND', 'program.data_url'));
    assert.deepEqual(fetched, []);
  });

  test('data_url on another server is fetched with Range when the operator allows private addresses', async () => {
    const ctx = createNodeWindowContext({ allowPrivate: true });
    const got = await readWindow(program({ data_url: `${server.origin}/range` }, 250, 250), ctx);
    assert.deepEqual(Array.from(got), Array.from(DATA.subarray(250, 500)));
  });

  test('data_url to loopback is DATA_URL_FORBIDDEN by default', async () => {
    const ctx = createNodeWindowContext({ blobDir: dir });
    await assert.rejects(readWindow(program({ data_url: `${server.origin}/range` }), ctx), isCode('DATA_URL_FORBIDDEN', 'program.data_url'));
  });

  test('data_url reads stop at the job timeout', async () => {
    const ctx = createNodeWindowContext({ allowPrivate: true, signal: AbortSignal.abort(new DOMException('deadline', 'TimeoutError')) });
    await assert.rejects(readWindow(program({ data_url: `${server.origin}/range` }), ctx), isCode('TIMEOUT'));
  });

  test('the node context caps fetched windows at maxWindowBytes', async () => {
    const ctx = createNodeWindowContext({ allowPrivate: true, maxWindowBytes: 100 });
    await assert.rejects(readWindow(program({ data_url: `${server.origin}/whole-chunked` }), ctx), isCode('PAYLOAD_TOO_LARGE'));
  });
});
