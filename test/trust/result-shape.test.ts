import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resultShapeError, sameResult } from '../../src/trust/result-shape.js';
import type { ProgramSpec } from '../../src/job/types.js';

const single = (op: ProgramSpec['ops'][number]['op']): ProgramSpec => ({ ops: [{ op, imm: 0 }], single: true, data: 'AAECAw==', offset: 0, length: null });
const multi: ProgramSpec = { ops: [{ op: 'crc32c', imm: 0 }, { op: 'counteq', imm: 1 }], single: false, blob: '0'.repeat(32), offset: 0, length: null };

test('results that fit their program pass', () => {
  assert.equal(resultShapeError(single('counteq'), { count: 1, bytes: 4 }, 4), null);
  assert.equal(resultShapeError(single('crc32c'), { crc32c: 4294967295, bytes: 4 }, 4), null);
  assert.equal(resultShapeError(single('fnv64'), { fnv64: '0123456789abcdef', bytes: 4 }, 4), null);
  assert.equal(resultShapeError(single('xor'), { xor: 255, bytes: 4 }, 4), null);
  assert.equal(resultShapeError(single('add'), { sum: 1020, bytes: 4 }, 4), null);
  // a blob read to the end: the length is not known here, but must agree across ops and bytes_processed
  assert.equal(resultShapeError(multi, [{ crc32c: 1, bytes: 9 }, { count: 2, bytes: 9 }], 9), null);
});

test('junk, extra keys, wrong types, impossible values and wrong lengths are refused', () => {
  const cases: Array<[ProgramSpec, unknown, number]> = [
    [single('counteq'), { evil: 'x'.repeat(100) }, 4],
    [single('counteq'), { count: 1, bytes: 4, extra: 1 }, 4],
    [single('counteq'), { count: 5, bytes: 4 }, 4],
    [single('counteq'), { count: 1, bytes: 5 }, 5],
    [single('counteq'), { count: 1, bytes: 4 }, 9007199254740991],
    [single('counteq'), [{ count: 1, bytes: 4 }], 4],
    [single('crc32c'), { crc32c: -1, bytes: 4 }, 4],
    [single('crc32c'), { crc32c: 1.5, bytes: 4 }, 4],
    [single('fnv64'), { fnv64: 'XYZ', bytes: 4 }, 4],
    [single('xor'), { xor: 256, bytes: 4 }, 4],
    [single('add'), { sum: 1021, bytes: 4 }, 4],
    [single('add'), { count: 1, bytes: 4 }, 4],
    [multi, { crc32c: 1, bytes: 9 }, 9],
    [multi, [{ crc32c: 1, bytes: 9 }], 9],
    [multi, [{ crc32c: 1, bytes: 9 }, { count: 2, bytes: 8 }], 9],
    [multi, [{ count: 2, bytes: 9 }, { crc32c: 1, bytes: 9 }], 9],
  ];
  for (const [program, result, bytes] of cases) {
    assert.notEqual(resultShapeError(program, result, bytes), null, JSON.stringify(result));
  }
});

test('sameResult compares values, not key order', () => {
  assert.ok(sameResult({ bytes: 4, count: 1 } as never, { count: 1, bytes: 4 }));
  assert.ok(!sameResult({ count: 1, bytes: 4 }, { count: 2, bytes: 4 }));
  assert.ok(!sameResult([{ count: 1, bytes: 4 }], { count: 1, bytes: 4 }));
});
