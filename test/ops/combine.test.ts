import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacketFSError } from '../../src/errors.js';
import { OP_NAMES, combineResults, crc32cCombine, crc32cPure, runOp, type OpResult } from '../../src/ops/index.js';
import { prng, randomBytes } from './reference.js';
import { atOffset } from './vectors.js';

const COMBINABLE = OP_NAMES.filter((op) => op !== 'fnv64');

describe('combineResults', () => {
  it('results of a random split combine to the result of the whole', () => {
    const rand = prng(99);
    for (let i = 0; i < 300; i++) {
      const whole = atOffset(randomBytes(rand, (rand() * 3000) | 0), i & 3);
      const cut = (rand() * (whole.length + 1)) | 0;
      const imm = (rand() * 256) | 0;
      for (const op of COMBINABLE) {
        const spec = { op, imm };
        const combined = combineResults(runOp(spec, whole.subarray(0, cut)), runOp(spec, whole.subarray(cut)));
        assert.deepEqual(combined, runOp(spec, whole), `${op} imm=${imm} len=${whole.length} cut=${cut}`);
      }
    }
  });

  it('folds many windows left to right', () => {
    const rand = prng(5);
    const whole = randomBytes(rand, 10_000);
    const cuts = [0, 1, 17, 17, 4096, 4099, 9999, 10_000];
    for (const op of COMBINABLE) {
      const spec = { op, imm: 9 };
      const parts = cuts.slice(1).map((end, i) => runOp(spec, whole.subarray(cuts[i], end)));
      assert.deepEqual(parts.reduce(combineResults), runOp(spec, whole), op);
    }
  });

  it('refuses fnv64 and points at fnv_state', () => {
    const a = runOp({ op: 'fnv64', imm: 0 }, new Uint8Array([1]));
    assert.throws(() => combineResults(a, a), (err: unknown) =>
      err instanceof PacketFSError && err.code === 'INVALID_REQUEST' && /fnv_state/.test(err.message));
  });

  it('refuses results of different ops', () => {
    const results: OpResult[] = OP_NAMES.map((op) => runOp({ op, imm: 0 }, new Uint8Array([1, 2])));
    for (const a of results) {
      for (const b of results) {
        if (a === b) continue;
        assert.throws(() => combineResults(a, b), (err: unknown) => err instanceof PacketFSError && err.code === 'INVALID_REQUEST');
      }
    }
  });
});

describe('crc32cCombine', () => {
  it('appending zeros matches the CRC of the zero bytes themselves', () => {
    const a = randomBytes(prng(1), 100);
    for (const n of [0, 1, 2, 3, 7, 8, 255, 256, 1000, 65_537]) {
      const ab = new Uint8Array(100 + n);
      ab.set(a);
      assert.equal(crc32cCombine(crc32cPure(a), crc32cPure(new Uint8Array(n)), n), crc32cPure(ab), `n=${n}`);
    }
  });

  it('lengths of 4 GiB and more: zero runs of 2^(k+1) bytes are two runs of 2^k, from a checked 2^20 up to 2^50', () => {
    // Z(n) = crc32cCombine(x, 0, n) appends n zero bytes to crc x; Z(2m) must equal Z(m)∘Z(m).
    // The base case is checked against real bytes, so by induction every power is right,
    // including those past 2^32 that a 32-bit shift would silently drop.
    const x = 0x12345678;
    const mib = new Uint8Array(1 << 20);
    assert.equal(crc32cCombine(x, 0, 1 << 20), (crc32cPure(mib, x) ^ crc32cPure(mib)) >>> 0);
    for (let k = 20; k < 50; k++) {
      const half = 2 ** k;
      assert.equal(crc32cCombine(x, 0, 2 * half), crc32cCombine(crc32cCombine(x, 0, half), 0, half), `2^${k + 1}`);
    }
    // A length with bits above and below 2^32 splits into its parts.
    const big = 2 ** 40 + 2 ** 33 + 12_345;
    assert.equal(crc32cCombine(x, 0, big), crc32cCombine(crc32cCombine(x, 0, 2 ** 40 + 2 ** 33), 0, 12_345));
    assert.notEqual(crc32cCombine(x, 0, 2 ** 32), x, '2^32 zero bytes are not zero bytes');
    assert.equal(crc32cCombine(x, 0, Number.MAX_SAFE_INTEGER),
      crc32cCombine(crc32cCombine(x, 0, Number.MAX_SAFE_INTEGER - 1), 0, 1));
  });

  it('rejects a length that is negative, fractional or unsafe', () => {
    for (const len of [-1, 1.5, Number.NaN, 2 ** 53]) {
      assert.throws(() => crc32cCombine(1, 2, len), (err: unknown) => err instanceof PacketFSError && err.code === 'INVALID_REQUEST', String(len));
    }
  });
});
