import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OP_NAMES, crc32c, crc32cCombine, fnv64, runOp, runOps, type OpResult } from '../../src/ops/index.js';
import { CRC_IMPLS, restoreDefaultKernels } from './crc-impls.js';
import { atOffset, fromBase64, loadBlob, loadOpsVectors } from './vectors.js';

const vectors = loadOpsVectors();
const blob = loadBlob();

/** Vector results carry only the op's field; ours add `bytes`, checked on its own. */
function assertResult(actual: OpResult, expected: Record<string, unknown>, length: number, label: string): void {
  const { bytes, ...fields } = actual;
  assert.deepEqual(fields, expected, label);
  assert.equal(bytes, length, `${label}: bytes`);
}

for (const impl of CRC_IMPLS) {
  describe(`ops vectors, crc32c ${impl.name}`, () => {
    before(impl.install);
    after(restoreDefaultKernels);

    it(`all ${vectors.cases.length} cases, at every alignment`, () => {
      assert.ok(vectors.cases.length > 500);
      vectors.cases.forEach((c, i) => {
        const data = fromBase64(c.data_b64);
        for (const offset of [0, 1, 2, 3]) {
          assertResult(runOp({ op: c.op, imm: c.imm }, atOffset(data, offset)), c.result, data.length,
            `cases[${i}] ${c.op} imm=${c.imm} len=${data.length} offset=${offset}`);
        }
      });
    });

    it('blob windows (imm 42)', () => {
      assert.equal(blob.length, vectors.blob.size);
      for (const w of vectors.windows) {
        const window = blob.subarray(w.offset, w.offset + w.length);
        const results = runOps(OP_NAMES.map((op) => ({ op, imm: 42 })), window);
        for (const [i, op] of OP_NAMES.entries()) assertResult(results[i]!, w.results[op]!, w.length, `window ${w.offset}+${w.length} ${op}`);
      }
    });

    it('whole blob (imm 42)', () => {
      for (const op of OP_NAMES) assertResult(runOp({ op, imm: 42 }, blob), vectors.whole_blob_imm42[op]!, blob.length, `whole blob ${op}`);
      assert.equal(crc32c(blob), vectors.blob.crc32c);
    });

    it('combine: crc32c from (crc_a, crc_b, len_b) and fnv64 chained through the state', () => {
      vectors.combine.forEach((c, i) => {
        const b = fromBase64(c.b_b64);
        assert.equal(b.length, c.len_b, `combine[${i}] len_b`);
        assert.equal(crc32c(b), c.crc_b, `combine[${i}] crc_b`);
        assert.equal(crc32cCombine(c.crc_a, c.crc_b, c.len_b), c.crc_ab, `combine[${i}] crc_ab`);
        // prev chaining gives the same answer from the bytes of B.
        assert.equal(crc32c(b, c.crc_a), c.crc_ab, `combine[${i}] crc32c(b, crc_a)`);
        assert.equal(fnv64(b, c.fnv_a), c.fnv_ab_from_state_a, `combine[${i}] fnv`);
        assert.deepEqual(runOp({ op: 'fnv64', imm: 0 }, b, c.fnv_a), { fnv64: c.fnv_ab_from_state_a, bytes: b.length });
      });
    });
  });
}
