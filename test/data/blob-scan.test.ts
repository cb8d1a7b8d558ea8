import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scanBlobRange } from '../../src/data/blob-scan.js';
import { PacketFSError } from '../../src/errors.js';
import { OP_NAMES, ProgramStream, runOps, type OpSpec } from '../../src/ops/index.js';
import { kernelArena } from '../../src/ops/wasm/active-kernels.js';
import { prng, randomBytes } from '../ops/reference.js';

/**
 * Blob windows streamed through the ops: every chunk is a view of the
 * kernels' arena (no window buffer), results equal runOps over the whole
 * window, and errors, aborts and concurrent scans leave the arena consistent.
 */
const ID = 'ab'.repeat(16);
const MISSING = 'cd'.repeat(16);
const ALL_OPS: OpSpec[] = OP_NAMES.map((op) => ({ op, imm: 42 }));
const isCode = (code: string) => (err: unknown) => err instanceof PacketFSError && err.code === code;

describe('scanBlobRange', () => {
  let dir: string;
  const data = randomBytes(prng(17), (5 << 19) + 12_345); // 2.5 MiB and change: several chunks, a short last one

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'packetfs-scan-'));
    await writeFile(path.join(dir, ID), data);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function scanOps(offset: number, length: number | null, ops = ALL_OPS) {
    const acc = new ProgramStream(ops);
    const arena = kernelArena();
    let chunks = 0;
    const bytes = await scanBlobRange(dir, ID, offset, length, { maxBytes: Infinity }, (chunk) => {
      assert.equal(chunk.buffer, arena.buffer, 'chunks are views of the arena, not copies');
      assert.ok(chunk.length <= 512 * 1024);
      chunks++;
      acc.update(chunk);
    });
    return { bytes, chunks, results: acc.finish() };
  }

  it('gives runOps results for whole and partial windows, in O(chunk) buffers', async () => {
    for (const [offset, length] of [[0, null], [1, null], [3, 1_000_000], [data.length - 5, 5], [777, 0], [data.length, null]] as const) {
      const { bytes, chunks, results } = await scanOps(offset, length);
      const window = data.subarray(offset, length === null ? data.length : offset + length);
      assert.equal(bytes, window.length);
      assert.equal(chunks, Math.ceil(window.length / (512 * 1024)));
      assert.deepEqual(results, runOps(ALL_OPS, window), `offset=${offset} length=${length}`);
    }
  });

  it('queues concurrent scans behind each other so they never share the arena', async () => {
    const windows = [[0, null], [5, 2_000_000], [100_000, 700_001]] as const;
    const got = await Promise.all(windows.map(([o, l]) => scanOps(o, l)));
    for (const [i, [o, l]] of windows.entries()) assert.deepEqual(got[i]!.results, runOps(ALL_OPS, data.subarray(o, l === null ? undefined : o + l)));
  });

  it('rejects windows past the end, over the cap, and missing blobs', async () => {
    await assert.rejects(scanBlobRange(dir, ID, data.length - 1, 2, { maxBytes: Infinity }, () => undefined), isCode('WINDOW_OUT_OF_RANGE'));
    await assert.rejects(scanBlobRange(dir, ID, 0, null, { maxBytes: 1000 }, () => undefined), isCode('PAYLOAD_TOO_LARGE'));
    await assert.rejects(scanBlobRange(dir, MISSING, 0, null, { maxBytes: Infinity }, () => undefined), isCode('BLOB_NOT_FOUND'));
  });

  it('stops at an abort, also one that fires mid-scan, and after a failing visit; the next scan is still right', async () => {
    const controller = new AbortController();
    controller.abort(new PacketFSError('TIMEOUT', 'deadline'));
    await assert.rejects(scanBlobRange(dir, ID, 0, null, { maxBytes: Infinity, signal: controller.signal }, () => undefined), isCode('TIMEOUT'));
    // A bigger blob than one yield interval: the abort lands while the scan waits at a yield.
    const big = 'ef'.repeat(16);
    await writeFile(path.join(dir, big), new Uint8Array(40 << 20));
    const later = new AbortController();
    let seen = 0;
    const scan = scanBlobRange(dir, big, 0, null, { maxBytes: Infinity, signal: later.signal }, (chunk) => {
      seen += chunk.length;
      if (seen === 512 * 1024) setImmediate(() => later.abort(new PacketFSError('TIMEOUT', 'deadline')));
    });
    await assert.rejects(scan, isCode('TIMEOUT'));
    assert.ok(seen >= 32 << 20 && seen < 40 << 20, `stopped after ${seen} bytes`);
    await assert.rejects(scanBlobRange(dir, ID, 0, null, { maxBytes: Infinity }, () => { throw new Error('visit failed'); }), /visit failed/);
    const { results } = await scanOps(0, null);
    assert.deepEqual(results, runOps(ALL_OPS, data));
  });

});
