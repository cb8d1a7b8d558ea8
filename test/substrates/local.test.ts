import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlobStore } from '../../src/data/blob-store.js';
import type { ProgramSpec } from '../../src/job/types.js';
import { OP_NAMES, runOps, type OpResult, type OpSpec } from '../../src/ops/index.js';
import { isRetryableCode } from '../../src/errors.js';
import { LocalSubstrate } from '../../src/substrates/local/local-substrate.js';
import type { ExecOutcome, ExecRequest } from '../../src/substrates/substrate.js';
import { DATA, startDataServer, type DataServer } from '../data/http-fixtures.js';
import { loadBlob, loadOpsVectors } from '../ops/vectors.js';

const vectors = loadOpsVectors();
const ALL_OPS_42: OpSpec[] = OP_NAMES.map((op) => ({ op, imm: 42 }));

function program(fields: Partial<ProgramSpec> & { ops: OpSpec[] }): ProgramSpec {
  return { single: false, offset: 0, length: null, ...fields };
}

function job(prog: ProgramSpec, timeoutMs = 60_000): ExecRequest {
  return { job_id: `job-${Math.random().toString(36).slice(2)}`, program: prog, deadline: Date.now() + timeoutMs, required_memory_mb: 64 };
}

function resultOf(outcome: ExecOutcome | undefined): OpResult | OpResult[] {
  assert.ok(outcome, 'missing outcome');
  assert.ok(outcome.ok, `expected success, got ${JSON.stringify(outcome)}`);
  return outcome.result;
}

function errorOf(outcome: ExecOutcome | undefined): { code: string; retryable: boolean } {
  assert.ok(outcome, 'missing outcome');
  assert.ok(!outcome.ok, `expected failure, got ${JSON.stringify(outcome)}`);
  return { code: outcome.error.code, retryable: outcome.retryable };
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

describe('LocalSubstrate', () => {
  let pool: LocalSubstrate;
  let guarded: LocalSubstrate;
  let server: DataServer;
  let blobDir: string;
  let blobId: string;
  const blob = loadBlob();

  before(async () => {
    blobDir = await mkdtemp(path.join(tmpdir(), 'packetfs-local-'));
    const store = await BlobStore.open(blobDir);
    blobId = (await store.put(blob)).blob_id;
    await store.close();
    server = await startDataServer();
    pool = new LocalSubstrate({ threads: 2, blobDir, allowPrivate: true });
    guarded = new LocalSubstrate({ threads: 1 });
    await pool.start();
  });

  after(async () => {
    await pool.close();
    await guarded.close();
    await server.close();
    await rm(blobDir, { recursive: true, force: true });
  });

  it('declares itself a free, trusted pool with slots for threads × 1024 jobs', () => {
    const caps = pool.capabilities();
    assert.equal(pool.name, 'local');
    assert.equal(pool.type, 'local');
    assert.deepEqual(caps.pricing, { model: 'free' });
    assert.equal(caps.trust, 'trusted');
    assert.equal(caps.cost_per_hour_usd, 0);
    assert.equal(caps.max_duration_seconds, 86_400);
    assert.equal(caps.supports_gpu, false);
    assert.equal(caps.supports_persistent_state, false);
    assert.equal(caps.max_concurrent_jobs, 2048);
    assert.equal(caps.available_slots, 2048);
  });

  it('runs every op vector on inline data, single-op results as one object', async () => {
    const batch = vectors.cases.map((c) => job(program({ ops: [{ op: c.op, imm: c.imm }], single: true, data: c.data_b64 })));
    const outcomes = await pool.execute(batch);
    assert.equal(outcomes.length, vectors.cases.length);
    vectors.cases.forEach((c, i) => {
      const result = resultOf(outcomes[i]) as unknown as Record<string, unknown>;
      assert.ok(!Array.isArray(result));
      const bytes = Buffer.from(c.data_b64, 'base64').length;
      assert.deepEqual(result, { ...c.result, bytes }, `case ${i}: ${c.op} imm ${c.imm}`);
      assert.equal((outcomes[i] as { bytes_processed: number }).bytes_processed, bytes);
    });
  });

  it('runs multi-op programs over blob windows and matches the vectors', async () => {
    const batch = vectors.windows.map((w) => job(program({ ops: ALL_OPS_42, blob: blobId, offset: w.offset, length: w.length })));
    batch.push(job(program({ ops: ALL_OPS_42, blob: blobId })));
    const outcomes = await pool.execute(batch);
    vectors.windows.forEach((w, i) => {
      const results = resultOf(outcomes[i]);
      assert.ok(Array.isArray(results));
      for (const [k, op] of OP_NAMES.entries()) assert.deepEqual(results[k], { ...w.results[op], bytes: w.length }, `window ${w.offset}+${w.length} ${op}`);
    });
    const whole = resultOf(outcomes[vectors.windows.length]) as OpResult[];
    for (const [k, op] of OP_NAMES.entries()) assert.deepEqual(whole[k], { ...vectors.whole_blob_imm42[op], bytes: blob.length });
  });

  it('inline windows honour offset and length, and fnv_state chains', async () => {
    const bytes = DATA;
    const first = bytes.subarray(0, 400);
    const fnvFirst = (runOps([{ op: 'fnv64', imm: 0 }], first)[0] as { fnv64: string }).fnv64;
    const outcomes = await pool.execute([
      job(program({ ops: ALL_OPS_42, data: b64(bytes), offset: 100, length: 250 })),
      job(program({ ops: [{ op: 'fnv64', imm: 0 }], single: true, data: b64(bytes), offset: 400, fnv_state: fnvFirst })),
    ]);
    assert.deepEqual(resultOf(outcomes[0]), runOps(ALL_OPS_42, bytes.subarray(100, 350)));
    // Chained through the state of the first 400 bytes, the second window hashes to the whole buffer's FNV.
    const whole = runOps([{ op: 'fnv64', imm: 0 }], bytes)[0] as { fnv64: string };
    assert.deepEqual(resultOf(outcomes[1]), { fnv64: whole.fnv64, bytes: 600 });
  });

  it('reads data_url windows over loopback with Range (206) and from servers that send the whole body (200)', async () => {
    const outcomes = await pool.execute([
      job(program({ ops: ALL_OPS_42, data_url: `${server.origin}/range`, offset: 10, length: 500 })),
      job(program({ ops: ALL_OPS_42, data_url: `${server.origin}/whole`, offset: 990, length: 10 })),
      job(program({ ops: [{ op: 'counteq', imm: 3 }], single: true, data_url: `${server.origin}/range` })),
    ]);
    assert.deepEqual(resultOf(outcomes[0]), runOps(ALL_OPS_42, DATA.subarray(10, 510)));
    assert.deepEqual(resultOf(outcomes[1]), runOps(ALL_OPS_42, DATA.subarray(990, 1000)));
    assert.deepEqual(resultOf(outcomes[2]), runOps([{ op: 'counteq', imm: 3 }], DATA)[0]);
  });

  it('fails input errors without retry: loopback data_url when private addresses are not allowed, windows past the end', async () => {
    const outcomes = await guarded.execute([
      job(program({ ops: [{ op: 'counteq', imm: 0 }], data_url: `${server.origin}/range` })),
      job(program({ ops: [{ op: 'counteq', imm: 0 }], data: b64(DATA), offset: 900, length: 101 })),
      job(program({ ops: [{ op: 'counteq', imm: 0 }], blob: blobId })),
    ]);
    assert.deepEqual(errorOf(outcomes[0]), { code: 'DATA_URL_FORBIDDEN', retryable: false });
    assert.deepEqual(errorOf(outcomes[1]), { code: 'WINDOW_OUT_OF_RANGE', retryable: false });
    // This pool was given no blob directory.
    assert.deepEqual(errorOf(outcomes[2]), { code: 'BLOB_NOT_FOUND', retryable: false });
    const past = await pool.execute([job(program({ ops: [{ op: 'crc32c', imm: 0 }], blob: blobId, offset: blob.length - 5, length: 6 }))]);
    assert.deepEqual(errorOf(past[0]), { code: 'WINDOW_OUT_OF_RANGE', retryable: false });
  });

  it('classifies input errors as final and everything else as retryable', () => {
    for (const code of ['INVALID_JOB', 'WINDOW_OUT_OF_RANGE', 'DATA_URL_FORBIDDEN', 'BLOB_NOT_FOUND', 'PAYLOAD_TOO_LARGE']) {
      assert.equal(isRetryableCode(code), false, code);
    }
    for (const code of ['DATA_FETCH_FAILED', 'TIMEOUT', 'SUBSTRATE_FAILED', 'INTERNAL', 'SOMETHING_NEW']) {
      assert.equal(isRetryableCode(code), true, code);
    }
  });

  it('runs a batch of 5,000 jobs across the threads with every result in input order', async () => {
    const expected: OpResult[] = [];
    const batch: ExecRequest[] = [];
    for (let i = 0; i < 5000; i++) {
      const bytes = Uint8Array.from({ length: 64 }, (_, k) => (i * 31 + k * 7) % 256);
      const op = OP_NAMES[i % OP_NAMES.length]!;
      const spec: OpSpec = { op, imm: i % 256 };
      batch.push(job(program({ ops: [spec], single: true, data: b64(bytes) })));
      expected.push(runOps([spec], bytes)[0]!);
    }
    const outcomes = await pool.execute(batch);
    assert.equal(outcomes.length, 5000);
    for (const [i, outcome] of outcomes.entries()) assert.deepEqual(resultOf(outcome), expected[i], `job ${i}`);
    assert.equal(pool.capabilities().available_slots, 2048);
  });

  it('answers a job whose data_url never replies with TIMEOUT once its deadline passes', async () => {
    const [outcome] = await pool.execute([job(program({ ops: [{ op: 'counteq', imm: 0 }], data_url: `${server.origin}/hang` }), 300)]);
    assert.deepEqual(errorOf(outcome), { code: 'TIMEOUT', retryable: true });
    await server.stalled(); // consume the request's signal so later tests wait for their own
  });

  it('a job already past its deadline is not started', async () => {
    const late = job(program({ ops: [{ op: 'counteq', imm: 0 }], data: b64(DATA) }));
    late.deadline = Date.now() - 1;
    const [outcome] = await pool.execute([late]);
    assert.deepEqual(errorOf(outcome), { code: 'TIMEOUT', retryable: true });
  });

  it('fails the jobs of a crashed worker with SUBSTRATE_FAILED, replaces it and keeps working', async () => {
    const stuck = pool.execute([job(program({ ops: [{ op: 'counteq', imm: 0 }], data_url: `${server.origin}/hang` }))]);
    await server.stalled();
    assert.equal(pool.capabilities().available_slots, 2047);
    // The least-loaded rule sent the stuck job to thread 0 (both were idle).
    await pool.killWorkerForTest(0);
    const [outcome] = await stuck;
    assert.deepEqual(errorOf(outcome), { code: 'SUBSTRATE_FAILED', retryable: true });
    assert.equal(pool.capabilities().available_slots, 2048);

    const after = await pool.execute(Array.from({ length: 10 }, () => job(program({ ops: [{ op: 'counteq', imm: 3 }], single: true, data: b64(DATA) }))));
    const expected = runOps([{ op: 'counteq', imm: 3 }], DATA)[0];
    for (const o of after) assert.deepEqual(resultOf(o), expected);
    const health = await pool.probe();
    assert.equal(health.healthy, true);
    assert.equal(typeof health.latency_ms, 'number');
  });

  it('close() answers pending jobs with SUBSTRATE_FAILED and refuses new ones', async () => {
    const closing = new LocalSubstrate({ threads: 1, allowPrivate: true });
    const pending = closing.execute([job(program({ ops: [{ op: 'counteq', imm: 0 }], data_url: `${server.origin}/hang` }))]);
    await server.stalled();
    await closing.close();
    assert.deepEqual(errorOf((await pending)[0]), { code: 'SUBSTRATE_FAILED', retryable: true });
    assert.deepEqual(errorOf((await closing.execute([job(program({ ops: [{ op: 'xor', imm: 1 }], data: 'AA==' }))]))[0]),
      { code: 'SUBSTRATE_FAILED', retryable: true });
    assert.equal((await closing.probe()).healthy, false);
    assert.equal(closing.capabilities().available_slots, 0);
  });
});
