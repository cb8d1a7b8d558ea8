import { PacketFSError } from '../errors.js';
import { addSum } from './add-sum.js';
import { counteq } from './counteq.js';
import { crc32c } from './crc32c.js';
import { fnv64, FNV64_OFFSET_BASIS } from './fnv64.js';
import { assertImm } from './imm.js';
import { OP_NAMES, type OpResult, type OpSpec } from './types.js';
import { xorFold } from './xor-fold.js';

/**
 * The five ops as incremental state machines: feed a window chunk by chunk
 * with update(), read the result with finish() — the same result object
 * runOp gives for the whole window at once, so a reader never has to hold a
 * window in memory. Built only on the kernels' exported functions:
 *
 *   counteq, add   counts and sums of chunks add up
 *   xor            XOR is associative; xorFold applies imm once per odd-length
 *                  chunk, and the number of odd chunks has the parity of the total
 *   crc32c         crc32c(chunk, prev) continues the register
 *   fnv64          fnv64(chunk, state) continues the hash
 *
 * State: open ──update()*──► open ──finish()──► finished (update/finish throw after).
 */
export interface OpStream {
  update(chunk: Uint8Array): void;
  finish(): OpResult;
}

export function createOpStream(spec: OpSpec, fnvState?: string): OpStream {
  switch (spec.op) {
    case 'counteq': return accumulating(spec.imm, (chunk, imm) => counteq(chunk, imm), (acc, next) => acc + next, (count, bytes) => ({ count, bytes }));
    case 'add': return accumulating(spec.imm, (chunk, imm) => addSum(chunk, imm), (acc, next) => acc + next, (sum, bytes) => ({ sum, bytes }));
    case 'xor': return accumulating(spec.imm, (chunk, imm) => xorFold(chunk, imm), (acc, next) => acc ^ next, (xor, bytes) => ({ xor, bytes }));
    case 'crc32c': return accumulating(spec.imm, (chunk, _imm, prev) => crc32c(chunk, prev), (_acc, next) => next, (crc, bytes) => ({ crc32c: crc >>> 0, bytes }));
    case 'fnv64': return fnvStream(fnvState ?? FNV64_OFFSET_BASIS);
    default: throw unknownOp(spec.op, '');
  }
}

/** Several ops over the same chunks (a program); finish() gives the results in op order. */
export class ProgramStream {
  private readonly streams: OpStream[];

  constructor(ops: readonly OpSpec[], fnvState?: string) {
    if (!Array.isArray(ops) || ops.length === 0) {
      throw new PacketFSError('INVALID_JOB', 'program needs at least one op', { path: 'program.ops' });
    }
    this.streams = ops.map((spec, i) => {
      if (!OP_NAMES.includes(spec.op)) throw unknownOp(spec.op, `ops[${i}].`);
      assertImm(spec.imm, `ops[${i}].imm`);
      return createOpStream(spec, fnvState);
    });
  }

  update(chunk: Uint8Array): void {
    for (const stream of this.streams) stream.update(chunk);
  }

  finish(): OpResult[] {
    return this.streams.map((stream) => stream.finish());
  }
}

function accumulating(imm: number, kernel: (chunk: Uint8Array, imm: number, prev: number) => number,
  merge: (acc: number, next: number) => number, result: (acc: number, bytes: number) => OpResult): OpStream {
  assertImm(imm, 'imm');
  let acc = 0;
  let bytes = 0;
  let finished = false;
  return {
    update(chunk) {
      if (finished) throw finishedError();
      acc = merge(acc, kernel(chunk, imm, acc));
      bytes += chunk.length;
    },
    finish() {
      if (finished) throw finishedError();
      finished = true;
      return result(acc, bytes);
    },
  };
}

function fnvStream(initial: string): OpStream {
  // hashing nothing checks and normalises the state before any byte is read
  let state = fnv64(new Uint8Array(0), initial);
  let bytes = 0;
  let finished = false;
  return {
    update(chunk) {
      if (finished) throw finishedError();
      state = fnv64(chunk, state);
      bytes += chunk.length;
    },
    finish() {
      if (finished) throw finishedError();
      finished = true;
      return { fnv64: state, bytes };
    },
  };
}

function finishedError(): PacketFSError {
  return new PacketFSError('INTERNAL', 'op stream already finished');
}

function unknownOp(op: unknown, pathPrefix: string): PacketFSError {
  return new PacketFSError('INVALID_JOB', `unknown op ${JSON.stringify(op)}; expected one of ${OP_NAMES.join(', ')}`, { path: `${pathPrefix}op` });
}
