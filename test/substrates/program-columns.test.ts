import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { packPrograms, unpackPrograms } from '../../src/substrates/local/program-columns.js';
import type { ProgramSpec } from '../../src/job/types.js';

describe('program columns (local pool batch encoding)', () => {
  it('round-trips every program field and shares identical op lists', () => {
    const programs: ProgramSpec[] = [
      { ops: [{ op: 'counteq', imm: 42 }], single: true, data: 'KioqKg==', offset: 0, length: null },
      { ops: [{ op: 'counteq', imm: 42 }], single: true, data: 'AAEC', offset: 1, length: 2 },
      { ops: [{ op: 'crc32c', imm: 0 }, { op: 'add', imm: 7 }], single: false, blob: 'ab'.repeat(16), offset: 5, length: 0 },
      { ops: [{ op: 'fnv64', imm: 0 }], single: true, data_url: 'https://example.org/x', offset: 9, length: 100, fnv_state: '0123456789abcdef' },
      { ops: [{ op: 'counteq', imm: 4 }], single: false, data: '', offset: 0, length: null },
    ];
    const cols = packPrograms(programs);
    assert.equal(cols.opsTable.length, 4, 'two jobs with counteq/42 share one op list');
    assert.deepEqual(unpackPrograms(structuredClone(cols)), programs);
  });

  it('handles an empty batch', () => {
    assert.deepEqual(unpackPrograms(packPrograms([])), []);
  });
});
