import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createOpStream, ProgramStream, runOps, type OpSpec } from '../../src/ops/index.js';

/** Feeding a window chunk by chunk gives exactly runOp's result over the whole window. */
describe('op streams', () => {
  const opArb = fc.record({ op: fc.constantFrom('counteq', 'crc32c', 'fnv64', 'xor', 'add'), imm: fc.integer({ min: 0, max: 255 }) }) as fc.Arbitrary<OpSpec>;

  it('equal runOps for any chunking, every op, with and without fnv_state', () => {
    fc.assert(fc.property(
      fc.uint8Array({ maxLength: 3000 }), fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }),
      fc.array(opArb, { minLength: 1, maxLength: 5 }), fc.option(fc.stringMatching(/^[0-9a-f]{16}$/), { nil: undefined }),
      (data, cuts, ops, state) => {
        const stream = new ProgramStream(ops, state);
        let at = 0;
        for (let i = 0; at < data.length; i++) {
          const n = cuts[i % cuts.length]!;
          stream.update(data.subarray(at, at + n));
          at += n;
        }
        assert.deepEqual(stream.finish(), runOps(ops, data, state));
      }), { numRuns: 300 });
  });

  it('an empty stream gives the empty-window results', () => {
    const ops: OpSpec[] = [{ op: 'counteq', imm: 1 }, { op: 'crc32c', imm: 0 }, { op: 'fnv64', imm: 0 }, { op: 'xor', imm: 9 }, { op: 'add', imm: 2 }];
    assert.deepEqual(new ProgramStream(ops).finish(), runOps(ops, new Uint8Array(0)));
  });

  it('refuses bad ops, a bad state, and use after finish', () => {
    assert.throws(() => new ProgramStream([]), { code: 'INVALID_JOB', path: 'program.ops' });
    assert.throws(() => new ProgramStream([{ op: 'nope' as OpSpec['op'], imm: 0 }]), { code: 'INVALID_JOB', path: 'ops[0].op' });
    assert.throws(() => new ProgramStream([{ op: 'add', imm: 300 }]), { code: 'INVALID_JOB', path: 'ops[0].imm' });
    assert.throws(() => createOpStream({ op: 'fnv64', imm: 0 }, 'xyz'), { code: 'INVALID_JOB' });
    const s = createOpStream({ op: 'crc32c', imm: 0 });
    s.update(new Uint8Array([1, 2, 3]));
    s.finish();
    assert.throws(() => s.update(new Uint8Array(1)), { code: 'INTERNAL' });
  });
});
