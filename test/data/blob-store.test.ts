import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketFSError } from '../../src/errors.js';
import { crc32c } from '../../src/ops/index.js';
import { BlobStore, createFileBlobReader, ownBlobMatcher } from '../../src/data/blob-store.js';

const CONTENT = Uint8Array.from({ length: 5000 }, (_, i) => (i * 13 + 1) % 256);
const CONTENT_ID = createHash('sha256').update(CONTENT).digest('hex').slice(0, 32);

function isCode(code: string, path?: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof PacketFSError, String(err));
    assert.equal(err.code, code, err.message);
    if (path !== undefined) assert.equal(err.path, path);
    return true;
  };
}

async function* chunks(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function collect(stream: NodeJS.ReadableStream): Promise<number[]> {
  const out: number[] = [];
  for await (const chunk of stream) out.push(...(chunk as Buffer));
  return out;
}

let root: string;
before(async () => { root = await mkdtemp(join(tmpdir(), 'packetfs-blobs-')); });
after(async () => { await rm(root, { recursive: true, force: true }); });

describe('BlobStore', () => {
  let dir: string;
  let store: BlobStore;
  let counter = 0;
  beforeEach(async () => {
    dir = join(root, `store-${counter++}`);
    store = await BlobStore.open(dir);
  });
  // flushes still under way would race the removal of the folder
  afterEach(() => store.close());

  test('put returns the content address, size and CRC-32C', async () => {
    const info = await store.put(CONTENT);
    assert.deepEqual(info, { blob_id: CONTENT_ID, size: CONTENT.length, crc32c: crc32c(CONTENT, 0) });
    assert.deepEqual(await store.stat(CONTENT_ID), info);
    assert.deepEqual(store.usage(), { blobs: 1, bytes: CONTENT.length });
  });

  test('a streamed upload gives the same blob as a buffered one, and a re-upload dedupes', async () => {
    const first = await store.put(chunks(CONTENT, 333));
    const second = await store.put(CONTENT);
    assert.deepEqual(first, second);
    assert.deepEqual(store.usage(), { blobs: 1, bytes: CONTENT.length });
    await store.close();
    assert.deepEqual((await readdir(dir)).sort(), [CONTENT_ID, `${CONTENT_ID}.json`]);
  });

  test('an empty blob is a blob', async () => {
    const info = await store.put(new Uint8Array(0));
    assert.equal(info.size, 0);
    assert.equal((await store.readRange(info.blob_id, 0, null)).length, 0);
  });

  test('readRange reads windows and refuses windows past the end', async () => {
    await store.put(CONTENT);
    assert.deepEqual(Array.from(await store.readRange(CONTENT_ID, 0, 10)), Array.from(CONTENT.subarray(0, 10)));
    assert.deepEqual(Array.from(await store.readRange(CONTENT_ID, 2500, 100)), Array.from(CONTENT.subarray(2500, 2600)));
    assert.deepEqual(Array.from(await store.readRange(CONTENT_ID, 4990, null)), Array.from(CONTENT.subarray(4990)));
    assert.equal((await store.readRange(CONTENT_ID, 5000, null)).length, 0);
    assert.equal((await store.readRange(CONTENT_ID, 5000, 0)).length, 0);
    await assert.rejects(store.readRange(CONTENT_ID, 4995, 10), isCode('WINDOW_OUT_OF_RANGE', 'program.length'));
    await assert.rejects(store.readRange(CONTENT_ID, 5001, null), isCode('WINDOW_OUT_OF_RANGE', 'program.offset'));
  });

  test('unknown ids: stat is null, reads are BLOB_NOT_FOUND, delete is false', async () => {
    const unknown = 'f'.repeat(32);
    assert.equal(await store.stat(unknown), null);
    await assert.rejects(store.readRange(unknown, 0, 1), isCode('BLOB_NOT_FOUND'));
    await assert.rejects(store.openReadStream(unknown, 0, 0), isCode('BLOB_NOT_FOUND'));
    assert.equal(await store.delete(unknown), false);
  });

  test('malformed ids are refused before touching the file system', async () => {
    await writeFile(join(root, 'secret'), 'do not read');
    for (const bad of ['../secret', `../${'a'.repeat(29)}`, 'A'.repeat(32), 'a'.repeat(31), 'a'.repeat(33), '']) {
      assert.throws(() => store.pathOf(bad), isCode('INVALID_REQUEST', 'blob_id'), bad);
      await assert.rejects(store.stat(bad), isCode('INVALID_REQUEST'), bad);
      await assert.rejects(store.readRange(bad, 0, null), isCode('INVALID_REQUEST'), bad);
      await assert.rejects(store.openReadStream(bad, 0, 0), isCode('INVALID_REQUEST'), bad);
      await assert.rejects(store.delete(bad), isCode('INVALID_REQUEST'), bad);
    }
  });

  test('openReadStream streams an inclusive byte range', async () => {
    await store.put(CONTENT);
    assert.deepEqual(await collect(await store.openReadStream(CONTENT_ID, 100, 199)), Array.from(CONTENT.subarray(100, 200)));
    assert.deepEqual(await collect(await store.openReadStream(CONTENT_ID, 0, 4999)), Array.from(CONTENT));
    assert.deepEqual(await collect(await store.openReadStream(CONTENT_ID, 5000, 4999)), []);
    await assert.rejects(store.openReadStream(CONTENT_ID, 4990, 5000), isCode('WINDOW_OUT_OF_RANGE'));
    await assert.rejects(store.openReadStream(CONTENT_ID, 10, 5), isCode('WINDOW_OUT_OF_RANGE'));
  });

  test('openRange copies an inclusive byte range through reused buffers, however it is chunked', async () => {
    await store.put(CONTENT);
    const sink = (): { chunks: Uint8Array[]; bytes: () => number[]; write(chunk: Uint8Array, cb: (err?: Error | null) => void): boolean } => {
      const chunks: Uint8Array[] = [];
      return {
        chunks,
        // copy at write time, as a socket does: the sender reuses its buffers once the callback ran
        write(chunk, cb) { chunks.push(Uint8Array.from(chunk)); setImmediate(cb); return true; },
        bytes: () => chunks.flatMap((c) => Array.from(c)),
      };
    };
    const whole = sink();
    await (await store.openRange(CONTENT_ID, 0, 4999)).writeTo(whole);
    assert.deepEqual(whole.bytes(), Array.from(CONTENT));
    const part = sink();
    await (await store.openRange(CONTENT_ID, 100, 199)).writeTo(part);
    assert.deepEqual(part.bytes(), Array.from(CONTENT.subarray(100, 200)));
    const empty = sink();
    await (await store.openRange(CONTENT_ID, 5000, 4999)).writeTo(empty);
    assert.deepEqual(empty.chunks, []);
    await assert.rejects(store.openRange(CONTENT_ID, 4990, 5000), isCode('WINDOW_OUT_OF_RANGE'));
    await assert.rejects(store.openRange('f'.repeat(32), 0, 0), isCode('BLOB_NOT_FOUND'));
  });

  test('sendFileRange alternates two buffers and stops at a failed write', async () => {
    await store.put(CONTENT);
    const { sendFileRange } = await import('../../src/data/file-range-sender.js');
    const { open } = await import('node:fs/promises');
    const handle = await open(store.pathOf(CONTENT_ID), 'r');
    try {
      const seen: number[] = [];
      const buffers = new Set<ArrayBufferLike>();
      await sendFileRange(handle, 7, 4006, { write(chunk, cb) { buffers.add(chunk.buffer); seen.push(...chunk); setImmediate(cb); return true; } }, 512);
      assert.deepEqual(seen, Array.from(CONTENT.subarray(7, 4007)));
      assert.equal(buffers.size, 2, 'eight 512-byte parts through two buffers');
      let writes = 0;
      await assert.rejects(sendFileRange(handle, 0, 4999, { write(_chunk, cb) { writes++; setImmediate(() => cb(new Error('client gone'))); return false; } }, 512), /client gone/);
      assert.ok(writes <= 2, `no more writes after the failure (${writes})`);
      await assert.rejects(sendFileRange(handle, 4000, 6000, { write(_chunk, cb) { setImmediate(cb); return true; } }, 512), isCode('INTERNAL'));
    } finally {
      await handle.close();
    }
  });

  test('a multi-MiB upload in uneven chunks (several write runs and background flushes) commits the exact bytes', async () => {
    const big = new Uint8Array(40 * 1024 * 1024 + 12345);
    for (let i = 0; i < big.length; i += 4093) big[i] = (i * 31) & 255;
    const info = await store.put(chunks(big, 65536 + 17));
    assert.equal(info.blob_id, createHash('sha256').update(big).digest('hex').slice(0, 32));
    assert.equal(info.crc32c, crc32c(big));
    const back = await store.readRange(info.blob_id, 0, null);
    assert.equal(Buffer.compare(Buffer.from(back), Buffer.from(big)), 0);
    await store.close();
    assert.deepEqual((await readdir(dir)).sort(), [info.blob_id, `${info.blob_id}.json`]);
  });

  test('delete removes the blob, its sidecar and its bytes from usage', async () => {
    await store.put(CONTENT);
    assert.equal(await store.delete(CONTENT_ID), true);
    assert.equal(await store.stat(CONTENT_ID), null);
    assert.deepEqual(store.usage(), { blobs: 0, bytes: 0 });
    assert.deepEqual(await readdir(dir), []);
  });

  test('a blob over maxBlobBytes is PAYLOAD_TOO_LARGE and leaves no temp file', async () => {
    const small = await BlobStore.open(dir, { maxBlobBytes: 1000 });
    await assert.rejects(small.put(chunks(CONTENT, 300)), isCode('PAYLOAD_TOO_LARGE'));
    await assert.rejects(small.put(CONTENT), isCode('PAYLOAD_TOO_LARGE'));
    assert.deepEqual(await readdir(dir), []);
    assert.deepEqual(small.usage(), { blobs: 0, bytes: 0 });
    assert.equal((await small.put(CONTENT.subarray(0, 1000))).size, 1000);
    await small.close();
  });

  test('uploads that would pass maxTotalBytes are PAYLOAD_TOO_LARGE, also when concurrent', async () => {
    const tight = await BlobStore.open(dir, { maxTotalBytes: 6000 });
    await tight.put(CONTENT.subarray(0, 4000));
    await assert.rejects(tight.put(CONTENT.subarray(1000, 4000)), isCode('PAYLOAD_TOO_LARGE'));

    // Two uploads of 1500 bytes each fit alone but not together.
    const results = await Promise.allSettled([
      tight.put(chunks(CONTENT.subarray(0, 1500), 100)),
      tight.put(chunks(CONTENT.subarray(2000, 3500), 100)),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok(tight.usage().bytes <= 6000);
    await tight.close();
    assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith('.')), []);
  });

  test('re-opening finds the blobs; a lost sidecar is recomputed', async () => {
    const info = await store.put(CONTENT);
    await store.close();
    await rm(join(dir, `${CONTENT_ID}.json`));
    const reopened = await BlobStore.open(dir);
    assert.deepEqual(reopened.usage(), { blobs: 1, bytes: CONTENT.length });
    assert.deepEqual(await reopened.stat(CONTENT_ID), info);
    assert.ok((await readdir(dir)).includes(`${CONTENT_ID}.json`));
  });

  test("fsync 'normal' (default): the sidecar, the mark of a flushed blob, follows in the background; close() waits for it", async () => {
    const info = await store.put(CONTENT);
    assert.deepEqual(await store.stat(CONTENT_ID), info);
    await store.close();
    assert.deepEqual((await readdir(dir)).sort(), [CONTENT_ID, `${CONTENT_ID}.json`]);
    assert.deepEqual(JSON.parse(await readFile(join(dir, `${CONTENT_ID}.json`), 'utf8')), { size: info.size, crc32c: info.crc32c });
  });

  test("fsync 'always', or 'normal' past maxUnflushedBytes: put() returns with the blob flushed and sealed", async () => {
    for (const opts of [{ fsync: 'always' as const }, { maxUnflushedBytes: 100 }]) {
      const sub = join(dir, opts.fsync ?? 'bounded');
      const strict = await BlobStore.open(sub, opts);
      await strict.put(CONTENT);
      assert.deepEqual((await readdir(sub)).sort(), [CONTENT_ID, `${CONTENT_ID}.json`], JSON.stringify(opts));
    }
  });

  test('a blob a power loss caught before its flush: kept when its bytes match its name, dropped when torn', async () => {
    const other = CONTENT.subarray(0, 3000);
    const otherId = createHash('sha256').update(other).digest('hex').slice(0, 32);
    await writeFile(join(dir, CONTENT_ID), CONTENT); // intact, no sidecar
    await writeFile(join(dir, otherId), new Uint8Array(3000)); // torn: zeros where the bytes should be
    const reopened = await BlobStore.open(dir);
    assert.deepEqual(reopened.usage(), { blobs: 1, bytes: CONTENT.length });
    assert.deepEqual((await readdir(dir)).sort(), [CONTENT_ID, `${CONTENT_ID}.json`].sort());
    assert.equal(await reopened.stat(otherId), null);
    // a damaged sidecar later: stat() checks the bytes again
    await writeFile(join(dir, otherId), new Uint8Array(3000));
    await writeFile(join(dir, `${otherId}.json`), '');
    assert.equal(await reopened.stat(otherId), null);
    assert.deepEqual((await readdir(dir)).sort(), [CONTENT_ID, `${CONTENT_ID}.json`].sort());
  });

  test('a background flush that fails drops the blob and reports it; delete waits for a pending flush', async () => {
    const failures: string[] = [];
    const failing = await BlobStore.open(dir, { onFlushError: (_err, id) => failures.push(id) });
    // a directory where the sidecar must go: writing the sidecar fails
    await mkdir(join(dir, `${CONTENT_ID}.json`));
    await failing.put(CONTENT);
    await failing.close();
    assert.deepEqual(failures, [CONTENT_ID]);
    assert.equal(await failing.stat(CONTENT_ID), null);
    assert.deepEqual(failing.usage(), { blobs: 0, bytes: 0 });
    assert.deepEqual(await readdir(dir), []);

    const other = CONTENT.subarray(0, 2000);
    const id = (await store.put(other)).blob_id;
    assert.equal(await store.delete(id), true);
    await store.close();
    assert.deepEqual(await readdir(dir), []);
  });

  test('createFileBlobReader reads by path without the store instance', async () => {
    await store.put(CONTENT);
    const read = createFileBlobReader(dir);
    assert.deepEqual(Array.from(await read(CONTENT_ID, 10, 5)), Array.from(CONTENT.subarray(10, 15)));
    await assert.rejects(read('0'.repeat(32), 0, 1), isCode('BLOB_NOT_FOUND'));
    await assert.rejects(createFileBlobReader(dir, { maxBytes: 100 })(CONTENT_ID, 0, null), isCode('PAYLOAD_TOO_LARGE'));
  });
});

describe('ownBlobMatcher', () => {
  const id = 'a'.repeat(32);
  const match = ownBlobMatcher(['http://127.0.0.1:8080', 'https://pfs.example.com/']);

  test('recognises relative /v1/blobs/<id> and absolute URLs on own origins', () => {
    assert.equal(match(`/v1/blobs/${id}`), id);
    assert.equal(match(`http://127.0.0.1:8080/v1/blobs/${id}`), id);
    assert.equal(match(`https://pfs.example.com/v1/blobs/${id}`), id);
  });

  test('ignores other origins, other paths and malformed ids', () => {
    assert.equal(match(`http://127.0.0.1:8081/v1/blobs/${id}`), null);
    assert.equal(match(`http://pfs.example.com/v1/blobs/${id}`), null);
    assert.equal(match(`//evil.example/v1/blobs/${id}`), null);
    assert.equal(match(`/v1/blobs/${id}/../x`), null);
    assert.equal(match('/v1/blobs/../../etc/passwd'), null);
    assert.equal(match(`/v1/jobs/${id}`), null);
    assert.equal(match('not a url'), null);
  });
});
