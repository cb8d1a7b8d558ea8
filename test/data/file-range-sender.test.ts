import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pooledRangeBuffers, sendFileRange, type ChunkSink } from '../../src/data/file-range-sender.js';

/**
 * Range replies go through pooled 1 MiB buffers: one reply after another
 * must send exactly its own bytes (never a previous reply's leftovers), the
 * buffers come back to the pool when a reply ends, and a reply whose write
 * failed keeps its buffers out of it.
 */
const MiB = 1024 * 1024;
let dir: string;
let path: string;
let content: Buffer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pfs-range-sender-'));
  path = join(dir, 'blob');
  content = randomBytes(5 * MiB + 123);
  await writeFile(path, content);
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

/** A sink that copies what it is given (as a socket does) and answers at once, or fails the nth write. */
function collector(failAt = -1): ChunkSink & { bytes(): Buffer } {
  const got: Buffer[] = [];
  let n = 0;
  return {
    write(chunk, cb) {
      if (n++ === failAt) {
        setImmediate(() => cb(new Error('client went away')));
        return false;
      }
      got.push(Buffer.from(chunk));
      setImmediate(() => cb());
      return true;
    },
    bytes: () => Buffer.concat(got),
  };
}

describe('sendFileRange', () => {
  it('sends exactly each range, one after another through the same pooled buffers', async () => {
    const handle = await open(path, 'r');
    try {
      for (const [start, end] of [[0, 5 * MiB + 122], [17, 17], [MiB - 1, 3 * MiB + 5], [4 * MiB, 4 * MiB + 99], [2 * MiB + 1, 5 * MiB + 122]] as const) {
        const sink = collector();
        await sendFileRange(handle, start, end, sink);
        assert.ok(sink.bytes().equals(content.subarray(start, end + 1)), `bytes ${start}-${end}`);
        assert.ok(pooledRangeBuffers() >= 1 && pooledRangeBuffers() <= 2, 'the buffers went back to the pool');
      }
    } finally {
      await handle.close();
    }
  });

  it('a failed write rejects and keeps its buffers out of the pool', async () => {
    const handle = await open(path, 'r');
    try {
      const before = pooledRangeBuffers();
      await assert.rejects(sendFileRange(handle, 0, 4 * MiB, collector(1)), /client went away/);
      assert.ok(pooledRangeBuffers() < before || before === 0, 'buffers a failed reply took are not reused');
    } finally {
      await handle.close();
    }
  });
});
