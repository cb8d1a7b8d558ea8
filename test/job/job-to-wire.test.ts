import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobToWire, normalizeJob } from '../../src/job/index.js';

const fixed = { now: () => new Date('2025-01-02T03:04:05.000Z'), newId: () => 'id-1' };

test('single-op jobs go back to the op + imm shorthand with the original field names', () => {
  const job = normalizeJob({ program: { op: 'counteq', imm: 42, data_url: 'https://host/f.bin', offset: 8, length: 16 }, timeout_seconds: 60 }, fixed);
  assert.deepEqual(jobToWire(job), {
    job_id: 'id-1',
    program: { op: 'counteq', imm: 42, data_url: 'https://host/f.bin', offset: 8, length: 16 },
    required_memory_mb: 256,
    required_duration_s: 30,
    requires_gpu: false,
    requires_state: false,
    priority: 0,
    timeout_s: 60,
    created_at: '2025-01-02T03:04:05.000Z',
    metadata: {},
  });
});

test('op lists go back as ops; extensions appear only when not default', () => {
  const job = normalizeJob({
    program: { instructions: ['crc32c', { operation: 'add', imm: 1 }], data: 'AAEC', fnv_state: 'ABCDEF0123456789' },
    substrates: ['browser'], max_attempts: 5, metadata: { k: 1 },
  }, fixed);
  const wire = jobToWire(job);
  assert.deepEqual(wire.program, { ops: [{ op: 'crc32c', imm: 0 }, { op: 'add', imm: 1 }], data: 'AAEC', offset: 0, fnv_state: 'abcdef0123456789' });
  assert.deepEqual(wire.substrates, ['browser']);
  assert.equal(wire.max_attempts, 5);
});

test('normalizeJob(jobToWire(job)) gives back an equal job', () => {
  for (const input of [
    { program: { op: 'xor', imm: 255, blob: 'b1' } },
    { program: { ops: ['fnv64'], data_url: '/v1/blobs/abc', length: 0 }, priority: 7, requires_gpu: true },
    { program: { op: 'add', data: 'AAECAw', offset: 1, length: 2 }, substrates: ['local', 'lambda'], max_attempts: 1, created_at: '2020-02-02T02:02:02Z' },
  ]) {
    const job = normalizeJob(input, fixed);
    assert.deepEqual(normalizeJob(JSON.parse(JSON.stringify(jobToWire(job)))), job);
  }
});
