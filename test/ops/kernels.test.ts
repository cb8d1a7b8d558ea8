import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketFSError } from '../../src/errors.js';
import { addSum, counteq, crc32c, crc32cPure, fnv64, xorFold } from '../../src/ops/index.js';
import { CRC_IMPLS, restoreDefaultKernels } from './crc-impls.js';
import { prng, randomBytes, refAdd, refCounteq, refCrc32c, refFnv64, refXor } from './reference.js';
import { atOffset } from './vectors.js';

/**
 * Random windows at random byteOffsets inside bigger buffers: covers the byte
 * head, the word middle (including partial unroll groups) and the byte tail.
 */
function randomWindows(seed: number, count: number, maxLength: number): Array<{ bytes: Uint8Array; imm: number; label: string }> {
  const rand = prng(seed);
  const out = [];
  for (let i = 0; i < count; i++) {
    const length = i < 80 ? i : (rand() * maxLength) | 0;
    const offset = (rand() * 8) | 0;
    // Skewed data (few distinct values) makes counteq hits and add wrap-arounds frequent.
    const data = randomBytes(rand, length);
    if (i % 3 === 0) for (let j = 0; j < length; j++) data[j]! &= 0x83;
    const bytes = atOffset(data, offset);
    const imm = i % 3 === 0 ? [0, 1, 0x80, 0x83][i % 4]! : (rand() * 256) | 0;
    out.push({ bytes, imm, label: `seed ${seed} #${i} len=${length} offset=${offset} imm=${imm}` });
  }
  return out;
}

const windows = randomWindows(0xc0ffee, 400, 5000);

describe('kernels match byte-by-byte references', () => {
  for (const impl of CRC_IMPLS.slice(0, 3)) {
    describe(impl.name, () => {
      before(impl.install);
      it('counteq', () => {
        for (const w of windows) assert.equal(counteq(w.bytes, w.imm), refCounteq(w.bytes, w.imm), w.label);
      });
      it('xor', () => {
        for (const w of windows) assert.equal(xorFold(w.bytes, w.imm), refXor(w.bytes, w.imm), w.label);
      });
      it('add', () => {
        for (const w of windows) assert.equal(addSum(w.bytes, w.imm), refAdd(w.bytes, w.imm), w.label);
      });
      it('fnv64, from the offset basis and from a random state', () => {
        const rand = prng(7);
        for (const w of windows) {
          assert.equal(fnv64(w.bytes), refFnv64(w.bytes), w.label);
          const state = [rand(), rand()].map((r) => ((r * 2 ** 32) >>> 0).toString(16).padStart(8, '0')).join('');
          assert.equal(fnv64(w.bytes, state), refFnv64(w.bytes, BigInt('0x' + state)), `${w.label} state=${state}`);
        }
      });
    });
  }
  it('crc32cPure', () => {
    for (const w of windows) assert.equal(crc32cPure(w.bytes), refCrc32c(w.bytes), w.label);
  });
  for (const impl of CRC_IMPLS) {
    it(`crc32c (${impl.name}) with prev chaining over random splits`, () => {
      impl.install();
      const rand = prng(11);
      for (const w of windows) {
        assert.equal(crc32c(w.bytes), refCrc32c(w.bytes), w.label);
        const cut = (rand() * (w.bytes.length + 1)) | 0;
        assert.equal(crc32c(w.bytes.subarray(cut), crc32c(w.bytes.subarray(0, cut))), refCrc32c(w.bytes), `${w.label} cut=${cut}`);
      }
    });
  }
  after(restoreDefaultKernels);
});

describe('kernels at the edges of their word-lane accumulators', () => {
  // Long uniform runs push every lane counter to its flush limit.
  const length = 100_003;
  for (const value of [0x00, 0x7f, 0x80, 0xff]) {
    const bytes = atOffset(new Uint8Array(length).fill(value), 1);
    it(`all bytes 0x${value.toString(16)}`, () => {
      for (const imm of [0, 1, 0x7f, 0x80, 0x81, 0xff]) {
        assert.equal(counteq(bytes, imm), value === imm ? length : 0, `counteq imm=${imm}`);
        assert.equal(addSum(bytes, imm), length * ((value + imm) % 256), `add imm=${imm}`);
        assert.equal(xorFold(bytes, imm), value ^ imm, `xor imm=${imm}`);
      }
      assert.equal(crc32cPure(bytes), refCrc32c(bytes));
      assert.equal(fnv64(bytes), refFnv64(bytes));
    });
  }

  it('a 4 MiB random window at an odd offset', () => {
    const bytes = atOffset(randomBytes(prng(3), 4 << 20), 3);
    for (const imm of [0, 200]) {
      assert.equal(counteq(bytes, imm), refCounteq(bytes, imm));
      assert.equal(addSum(bytes, imm), refAdd(bytes, imm));
      assert.equal(xorFold(bytes, imm), refXor(bytes, imm));
    }
    assert.equal(crc32cPure(bytes), refCrc32c(bytes));
  });
});

describe('kernel input checks', () => {
  it('rejects an imm outside 0..255 with INVALID_JOB', () => {
    for (const kernel of [counteq, xorFold, addSum]) {
      for (const imm of [-1, 256, 1.5, Number.NaN]) {
        assert.throws(() => kernel(new Uint8Array(4), imm), (err: unknown) =>
          err instanceof PacketFSError && err.code === 'INVALID_JOB' && err.path === 'imm', `${kernel.name}(${imm})`);
      }
    }
  });
  it('rejects an fnv state that is not 16 hex digits', () => {
    for (const state of ['', 'cbf29ce48422232', 'cbf29ce4842223250', 'xbf29ce484222325', '0xf29ce484222325']) {
      assert.throws(() => fnv64(new Uint8Array(1), state), (err: unknown) =>
        err instanceof PacketFSError && err.code === 'INVALID_JOB' && err.path === 'program.fnv_state', state);
    }
  });
  it('accepts an upper-case fnv state', () => {
    assert.equal(fnv64(new Uint8Array([0x61]), 'CBF29CE484222325'), 'af63dc4c8601ec8c');
  });
});
