import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Dispatcher } from '../../src/dispatcher/dispatcher.js';
import { silentLogger } from '../../src/logger.js';
import { childJobId } from '../../src/job/split-spec.js';
import { refAdd, refCounteq, refCrc32c, refFnv64, refXor } from '../ops/reference.js';
import { loadBlob, loadOpsVectors } from '../ops/vectors.js';

/**
 * Split jobs give exactly what one pass gives, for every op, any window size,
 * any offset/length, single-op and multi-op programs (fast-check property
 * against the byte-by-byte reference of test/ops/reference.ts).
 */
function reference(bytes: Uint8Array, ops: Array<{ op: string; imm: number }>): unknown[] {
  return ops.map(({ op, imm }) => {
    switch (op) {
      case 'counteq': return { count: refCounteq(bytes, imm), bytes: bytes.length };
      case 'crc32c': return { crc32c: refCrc32c(bytes), bytes: bytes.length };
      case 'fnv64': return { fnv64: refFnv64(bytes), bytes: bytes.length };
      case 'xor': return { xor: refXor(bytes, imm), bytes: bytes.length };
      default: return { sum: refAdd(bytes, imm), bytes: bytes.length };
    }
  });
}

describe('split jobs', () => {
  let dir: string;
  let d: Dispatcher;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pfs-split-'));
    d = await Dispatcher.create({ dataDir: dir, storeKind: 'memory', threads: 2, logger: silentLogger, nodes: false });
  });
  after(async () => {
    await d.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('equals a single pass for every op, random windows, offsets and lengths', { timeout: 60_000 }, async () => {
    const opArb = fc.record({ op: fc.constantFrom('counteq', 'crc32c', 'fnv64', 'xor', 'add'), imm: fc.integer({ min: 0, max: 255 }) });
    let run = 0;
    await fc.assert(fc.asyncProperty(
      fc.uint8Array({ minLength: 0, maxLength: 5000 }),
      fc.array(opArb, { minLength: 1, maxLength: 5 }),
      fc.boolean(),
      fc.nat(), fc.nat(), fc.integer({ min: 1, max: 40 }), fc.boolean(),
      async (data, ops, single, offsetSeed, lengthSeed, windows, toEnd) => {
        const program: Record<string, unknown> = {};
        const useOps = single ? [ops[0]!] : ops;
        if (single) { program.op = ops[0]!.op; program.imm = ops[0]!.imm; } else program.ops = useOps;
        const offset = offsetSeed % (data.length + 1);
        const length = toEnd ? null : lengthSeed % (data.length - offset + 1);
        const rangeBytes = length ?? data.length - offset;
        const windowBytes = Math.max(1, Math.ceil(rangeBytes / windows));
        const blob = await d.blobs.put(data);
        program.blob = blob.blob_id;
        program.offset = offset;
        if (length !== null) program.length = length;
        const jobId = `prop-${run++}`;
        await d.submitJob({ job_id: jobId, program, split: { window_bytes: windowBytes } });
        const record = await d.getResult(jobId, { wait: 20 });
        assert.equal(record?.status, 'succeeded', JSON.stringify(record?.error));
        const expected = reference(data.subarray(offset, offset + rangeBytes), useOps);
        assert.deepEqual(record.result, single ? expected[0] : expected);
        assert.equal(record.bytes_processed, rangeBytes);
        const total = rangeBytes === 0 ? 1 : Math.ceil(rangeBytes / windowBytes);
        assert.deepEqual(record.progress, { windows_total: total, windows_done: total, windows_failed: 0, bytes_total: rangeBytes, bytes_done: rangeBytes });
      }), { numRuns: 40 });
  });

  it('matches the shared test vectors: the whole vector blob and its windows, all five ops (imm 42)', { timeout: 60_000 }, async () => {
    const vectors = loadOpsVectors();
    const blob = loadBlob();
    const { blob_id } = await d.blobs.put(blob);
    const ops = ['counteq', 'crc32c', 'fnv64', 'xor', 'add'].map((op) => ({ op, imm: 42 }));
    const strip = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'bytes'));
    const cases = [
      { offset: 0, length: blob.length, results: vectors.whole_blob_imm42, windowBytes: 256 * 1024 + 3 },
      ...vectors.windows.map((w, i) => ({ ...w, windowBytes: [1, 100_003, 7, 65_536, 1][i] ?? 4096 })),
    ];
    for (const [i, c] of cases.entries()) {
      await d.submitJob({ job_id: `vectors-${i}`, program: { ops, blob: blob_id, offset: c.offset, length: c.length }, split: { window_bytes: c.windowBytes } });
      const record = await d.getResult(`vectors-${i}`, { wait: 30 });
      assert.equal(record?.status, 'succeeded', JSON.stringify(record?.error));
      const results = record.result as Array<Record<string, unknown>>;
      ops.forEach(({ op }, k) => {
        assert.deepEqual(strip(results[k]!), c.results[op], `case ${i} ${op}`);
        assert.equal(results[k]!.bytes, c.length);
      });
    }
  });

  it('windows are ordinary jobs with parent_id, hidden from listings unless asked', async () => {
    const data = new Uint8Array(10_000).map((_, i) => (i * 7) & 0xff);
    const blob = await d.blobs.put(data);
    await d.submitJob({ job_id: 'listed', program: { op: 'crc32c', blob: blob.blob_id }, split: { window_bytes: 1000 } });
    const record = await d.getResult('listed', { wait: 20 });
    assert.equal(record?.status, 'succeeded');
    assert.deepEqual(record.result, { crc32c: refCrc32c(data), bytes: 10_000 });
    assert.equal(record.substrate, 'split');
    assert.equal(record.split_substrates?.local, 10);
    const child = await d.getJob(childJobId('listed', 3));
    assert.equal(child?.status, 'succeeded');
    assert.equal(child.parent_id, 'listed');
    assert.deepEqual(child.result?.result, { crc32c: refCrc32c(data.subarray(3000, 4000)), bytes: 1000 });
    const parent = await d.getJob('listed');
    assert.deepEqual(parent?.progress, { windows_total: 10, windows_done: 10, windows_failed: 0, bytes_total: 10_000, bytes_done: 10_000 });
    const plain = await d.listJobs({ status: 'succeeded', limit: 1000 });
    assert.ok(plain.jobs.some((j) => j.job_id === 'listed'));
    assert.ok(!plain.jobs.some((j) => j.job_id.startsWith('listed~')));
    const all = await d.listJobs({ status: 'succeeded', limit: 1000, children: true });
    assert.equal(all.jobs.filter((j) => j.job_id.startsWith('listed~')).length, 10);
  });

  it('"auto" sizes windows itself and still equals a single pass', async () => {
    const data = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31 + (i >>> 9)) & 0xff);
    const blob = await d.blobs.put(data);
    await d.submitJob({ job_id: 'auto', program: { ops: ['crc32c', 'fnv64', { op: 'counteq', imm: 5 }], blob: blob.blob_id, offset: 5 }, split: 'auto' });
    const record = await d.getResult('auto', { wait: 30 });
    assert.equal(record?.status, 'succeeded', JSON.stringify(record?.error));
    assert.deepEqual(record.result, reference(data.subarray(5), [{ op: 'crc32c', imm: 0 }, { op: 'fnv64', imm: 0 }, { op: 'counteq', imm: 5 }]));
    assert.ok(record.progress!.windows_total >= 1);
  });

  it('refuses split over inline data and bad split values, naming the field', async () => {
    await assert.rejects(d.submitJob({ program: { op: 'crc32c', data: 'AAAA' }, split: 'auto' }), { code: 'INVALID_JOB', path: 'split' });
    await assert.rejects(d.submitJob({ program: { op: 'crc32c', blob: 'a'.repeat(32) }, split: { window_bytes: 0 } }), { code: 'INVALID_JOB', path: 'split.window_bytes' });
    await assert.rejects(d.submitJob({ program: { op: 'crc32c', blob: 'a'.repeat(32) }, split: 'fast' }), { code: 'INVALID_JOB', path: 'split' });
    await assert.rejects(d.submitJob({ program: { op: 'crc32c', blob: 'a'.repeat(32) }, split: { window_bytes: 8, x: 1 } }), { code: 'INVALID_JOB', path: 'split.x' });
  });

  it('fails a split job over an unknown blob or past the end of the data with the cause', async () => {
    await d.submitJob({ job_id: 'no-blob', program: { op: 'crc32c', blob: 'b'.repeat(32) }, split: 'auto' });
    const missing = await d.getResult('no-blob', { wait: 10 });
    assert.equal(missing?.status, 'failed');
    assert.equal(missing.error?.code, 'BLOB_NOT_FOUND');
    const blob = await d.blobs.put(new Uint8Array(100));
    await d.submitJob({ job_id: 'past-end', program: { op: 'crc32c', blob: blob.blob_id, offset: 50, length: 51 }, split: 'auto' });
    const past = await d.getResult('past-end', { wait: 10 });
    assert.equal(past?.error?.code, 'WINDOW_OUT_OF_RANGE');
  });
});
