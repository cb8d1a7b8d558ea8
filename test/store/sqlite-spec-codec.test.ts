import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JobSpec } from '../../src/job/types.js';
import { normalizeJob } from '../../src/job/index.js';
import { decodeSpec, encodeSpec, V1_FIELDS, type SpecColumns } from '../../src/store/sqlite/spec-codec.js';

/** What the row's columns would hold for this job (sqlite-store.ts enqueue). */
function columnsOf(job: JobSpec): SpecColumns {
  return { id: job.job_id, created_at: job.created_at, substrates: job.substrates === null ? null : JSON.stringify(job.substrates), priority: job.priority, max_attempts: job.max_attempts };
}

function roundTrip(job: JobSpec): JobSpec {
  return decodeSpec(encodeSpec(job), columnsOf(job));
}

describe('SQLite stored spec (spec-codec.ts)', () => {
  it('a job with every default comes back equal, in normalization order, from a third of the bytes', () => {
    const job = normalizeJob({ job_id: 'j1', created_at: '2025-01-01T00:00:00Z', program: { op: 'counteq', imm: 42, data: Buffer.alloc(64, 42).toString('base64') } });
    const text = encodeSpec(job);
    const back = roundTrip(job);
    assert.deepEqual(back, job);
    assert.deepEqual(Object.keys(back), Object.keys(job), 'same field order, so the JSON a substrate receives is byte-identical');
    assert.equal(JSON.stringify(back), JSON.stringify(job));
    assert.ok(text.length * 2 < JSON.stringify(job).length, `${text.length} stored bytes for a ${JSON.stringify(job).length}-byte spec`);
  });

  it('every field JobSpec has survives, whether set to a default or not', () => {
    // one spec with every optional field set and every defaulted field off its default
    const full: Required<JobSpec> = {
      job_id: 'j2',
      program: { ops: [{ op: 'xor', imm: 7 }, { op: 'crc32c', imm: 0 }], single: false, blob: 'b'.repeat(64), offset: 3, length: 100 },
      required_memory_mb: 512, required_duration_s: 2, requires_gpu: true, requires_state: true, priority: -4, timeout_s: 9,
      created_at: '2025-02-03T04:05:06.007Z', metadata: { team: 'ü', n: 1 }, substrates: ['local', 'fly'], max_attempts: 7,
      private: true, verify: 'quorum', split: { window_bytes: 1024 }, parent_id: 'p', max_cost_usd: 0.5, on_budget: 'fail',
    };
    assert.deepEqual(roundTrip(full), full);
    // each field V1 stores in the text, alone on an otherwise default job, and each defaulted one off its default
    const base = normalizeJob({ job_id: 'j3', created_at: '2025-01-01T00:00:00Z', program: { op: 'xor', imm: 1, data: 'AAE=' } });
    for (const [key, where] of Object.entries(V1_FIELDS)) {
      if (where === 'column') continue;
      const one = { ...base, [key]: full[key as keyof JobSpec] } as JobSpec;
      assert.deepEqual(roundTrip(one), one, key);
    }
  });

  it('reads the full JSON specs of schema version 2 files as they are, and refuses a text it does not know', () => {
    const job = normalizeJob({ job_id: 'old', program: { op: 'xor', imm: 1, data: 'AAE=' } });
    assert.deepEqual(decodeSpec(JSON.stringify(job), columnsOf(job)), job);
    assert.throws(() => decodeSpec('9{}', columnsOf(job)), /unknown format/);
  });
});
