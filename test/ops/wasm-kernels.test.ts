import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  addSum, compileKernelsModule, counteq, crc32c, fnv64, kernelImplementation, runOp, useWasmKernels, xorFold,
} from '../../src/ops/index.js';
import { instantiateKernels } from '../../src/ops/wasm/wasm-kernels.js';
import { restoreDefaultKernels } from './crc-impls.js';
import { prng, randomBytes, refAdd, refCounteq, refCrc32c, refFnv64, refXor } from './reference.js';
import { atOffset, fromBase64, loadOpsVectors } from './vectors.js';

/**
 * The WebAssembly kernels called directly, below the size threshold the ops
 * apply, across the 1 MiB scratch-chunk boundary and in place in their own
 * memory; and the fallback when WebAssembly is switched off.
 */
const module = compileKernelsModule();
assert.ok(module !== null, 'the kernels module should compile in Node 20');
const wasm = instantiateKernels(module);
const FNV_BASIS = 0xcbf29ce484222325n;
const hex = (v: bigint): string => v.toString(16).padStart(16, '0');

function checkAll(bytes: Uint8Array, imm: number, label: string): void {
  assert.equal(wasm.counteq(bytes, imm), refCounteq(bytes, imm), `counteq ${label}`);
  assert.equal((wasm.xorBytes(bytes) ^ (bytes.length % 2 ? imm : 0)) & 0xff, refXor(bytes, imm), `xor ${label}`);
  assert.equal(wasm.addSum(bytes, imm), refAdd(bytes, imm), `add ${label}`);
  assert.equal(wasm.crc32c(bytes, 0), refCrc32c(bytes), `crc32c ${label}`);
  assert.equal(hex(wasm.fnv64(bytes, FNV_BASIS)), refFnv64(bytes), `fnv64 ${label}`);
}

describe('wasm kernels', () => {
  after(restoreDefaultKernels);

  it('pass every ops vector at every alignment, however short', () => {
    const { cases } = loadOpsVectors();
    for (const [i, c] of cases.entries()) {
      const data = fromBase64(c.data_b64);
      for (const offset of [0, 1, 2, 3]) {
        const bytes = atOffset(data, offset);
        const label = `cases[${i}] ${c.op} imm=${c.imm} len=${data.length} offset=${offset}`;
        switch (c.op) {
          case 'counteq': assert.equal(wasm.counteq(bytes, c.imm), c.result.count, label); break;
          case 'xor': assert.equal((wasm.xorBytes(bytes) ^ (bytes.length % 2 ? c.imm : 0)) & 0xff, c.result.xor, label); break;
          case 'add': assert.equal(wasm.addSum(bytes, c.imm), c.result.sum, label); break;
          case 'crc32c': assert.equal(wasm.crc32c(bytes, 0), c.result.crc32c, label); break;
          case 'fnv64': assert.equal(hex(wasm.fnv64(bytes, FNV_BASIS)), c.result.fnv64, label); break;
        }
      }
    }
  });

  it('match the references on random lengths 0..200 and around the 64-byte SIMD blocks', () => {
    const rand = prng(0x5eed);
    for (let length = 0; length < 200; length++) {
      const data = randomBytes(rand, length);
      if (length % 2 === 0) for (let j = 0; j < length; j++) data[j]! &= 0x81;
      checkAll(atOffset(data, length % 5), [0, 1, 0x80, 0x81, 200][length % 5]!, `len=${length}`);
    }
  });

  it('carry state across the 1 MiB scratch chunks (2.5 MiB + 7 at an odd offset)', () => {
    const bytes = atOffset(randomBytes(prng(99), (5 << 19) + 7), 3);
    checkAll(bytes, 42, 'big window');
    assert.equal(wasm.crc32c(bytes.subarray(1000), wasm.crc32c(bytes.subarray(0, 1000), 0)), refCrc32c(bytes), 'crc prev chaining');
  });

  it('keep lane counters exact on long uniform runs (flush limits)', () => {
    for (const value of [0x00, 0x80, 0xff]) {
      const bytes = new Uint8Array(wasm.arena.length).fill(value);
      for (const imm of [0, 1, 0x80, 0xff]) {
        assert.equal(wasm.counteq(bytes, imm), value === imm ? bytes.length : 0, `counteq ${value}/${imm}`);
        assert.equal(wasm.addSum(bytes, imm), bytes.length * ((value + imm) & 0xff), `add ${value}/${imm}`);
      }
    }
  });

  it('run in place on a view of their arena, at any offset', () => {
    const data = randomBytes(prng(5), 300_001);
    wasm.arena.set(data, 5);
    const view = wasm.arena.subarray(5, 5 + data.length);
    checkAll(view, 7, 'arena view');
  });

  it('the exported ops fall back to pure TypeScript when WebAssembly is off, with the same answers', () => {
    const bytes = atOffset(randomBytes(prng(8), 70_001), 1);
    const withWasm = ['counteq', 'crc32c', 'fnv64', 'xor', 'add'].map((op) => runOp({ op: op as 'add', imm: 9 }, bytes));
    assert.equal(kernelImplementation(), 'wasm-simd');
    assert.equal(useWasmKernels(null), false);
    assert.equal(kernelImplementation(), 'ts');
    assert.equal(counteq(bytes, 9), refCounteq(bytes, 9));
    assert.equal(xorFold(bytes, 9), refXor(bytes, 9));
    assert.equal(addSum(bytes, 9), refAdd(bytes, 9));
    assert.equal(crc32c(bytes), refCrc32c(bytes));
    assert.equal(fnv64(bytes), refFnv64(bytes));
    const pure = ['counteq', 'crc32c', 'fnv64', 'xor', 'add'].map((op) => runOp({ op: op as 'add', imm: 9 }, bytes));
    assert.deepEqual(pure, withWasm);
  });
});
