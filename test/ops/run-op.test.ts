import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacketFSError } from '../../src/errors.js';
import { runOp, runOps, type OpSpec } from '../../src/ops/index.js';

const DATA = new TextEncoder().encode('123456789');

describe('runOp / runOps', () => {
  it('gives each op its result shape with the window length', () => {
    assert.deepEqual(runOp({ op: 'counteq', imm: 0x31 }, DATA), { count: 1, bytes: 9 });
    assert.deepEqual(runOp({ op: 'crc32c', imm: 0 }, DATA), { crc32c: 3808858755, bytes: 9 });
    assert.deepEqual(runOp({ op: 'fnv64', imm: 0 }, new Uint8Array([0x61])), { fnv64: 'af63dc4c8601ec8c', bytes: 1 });
    assert.deepEqual(runOp({ op: 'xor', imm: 0 }, DATA), { xor: 0x31 ^ 0x32 ^ 0x33 ^ 0x34 ^ 0x35 ^ 0x36 ^ 0x37 ^ 0x38 ^ 0x39, bytes: 9 });
    assert.deepEqual(runOp({ op: 'add', imm: 200 }, DATA), { sum: [...DATA].reduce((s, b) => s + ((b + 200) % 256), 0), bytes: 9 });
  });

  it('runs a list in order, the same op twice included', () => {
    const ops: OpSpec[] = [{ op: 'crc32c', imm: 0 }, { op: 'counteq', imm: 0x35 }, { op: 'counteq', imm: 0x30 }];
    assert.deepEqual(runOps(ops, DATA), [{ crc32c: 3808858755, bytes: 9 }, { count: 1, bytes: 9 }, { count: 0, bytes: 9 }]);
    assert.deepEqual(runOps([], DATA), []);
  });

  it('starts fnv64 from the given state and leaves the other ops alone', () => {
    const [fnv, count] = runOps([{ op: 'fnv64', imm: 0 }, { op: 'counteq', imm: 0 }], new Uint8Array(0), 'bed782243e8e64b4');
    assert.deepEqual(fnv, { fnv64: 'bed782243e8e64b4', bytes: 0 });
    assert.deepEqual(count, { count: 0, bytes: 0 });
  });

  it('names the field at fault for a bad spec off the wire', () => {
    const bad = (spec: unknown) => spec as OpSpec;
    assert.throws(() => runOps([{ op: 'xor', imm: 1 }, bad({ op: 'xor', imm: 256 })], DATA),
      (err: unknown) => err instanceof PacketFSError && err.code === 'INVALID_JOB' && err.path === 'ops[1].imm');
    assert.throws(() => runOps([bad({ op: 'sha256', imm: 0 })], DATA),
      (err: unknown) => err instanceof PacketFSError && err.code === 'INVALID_JOB' && err.path === 'ops[0].op' && /counteq/.test(err.message));
    assert.throws(() => runOp(bad({ op: 'add' }), DATA),
      (err: unknown) => err instanceof PacketFSError && err.code === 'INVALID_JOB' && err.path === 'imm');
    assert.throws(() => runOp({ op: 'fnv64', imm: 0 }, DATA, 'nope'),
      (err: unknown) => err instanceof PacketFSError && err.code === 'INVALID_JOB' && err.path === 'program.fnv_state');
  });
});
