import { addSum } from './add-sum.js';
import { counteq } from './counteq.js';
import { crc32c } from './crc32c.js';
import { FNV64_OFFSET_BASIS, fnv64 } from './fnv64.js';
import { assertOpSpec } from './run-op.js';
import type { OpResult, OpSpec } from './types.js';
import { xorFold } from './xor-fold.js';

/**
 * Several ops over one window that arrives in chunks (a blob read into a
 * reused buffer), each chunk seen once and dropped: results equal runOps over
 * the whole window. State per op: the count or sum so far, the XOR of the
 * bytes so far, the CRC of the bytes so far (chained through `prev`), the
 * FNV state so far (chained through the state argument), and the byte count.
 */
export interface ChunkedOps {
  update(chunk: Uint8Array): void;
  results(): OpResult[];
}

/** Validates the ops (as runOps does) before any byte is read. */
export function chunkedOps(ops: OpSpec[], fnvState: string = FNV64_OFFSET_BASIS): ChunkedOps {
  ops.forEach((spec, i) => assertOpSpec(spec, `ops[${i}].`));
  // An empty update checks (and lower-cases) the state up front, as fnv64 would.
  const state = ops.some((spec) => spec.op === 'fnv64') ? fnv64(new Uint8Array(0), fnvState) : fnvState;
  const numbers = new Array<number>(ops.length).fill(0);
  const hashes = new Array<string>(ops.length).fill(state);
  let bytes = 0;
  return {
    update(chunk) {
      for (let i = 0; i < ops.length; i++) {
        const { op, imm } = ops[i]!;
        switch (op) {
          case 'counteq': numbers[i]! += counteq(chunk, imm); break;
          case 'add': numbers[i]! += addSum(chunk, imm); break;
          // imm 0: the imm applies once at the end, by the parity of the whole length.
          case 'xor': numbers[i]! ^= xorFold(chunk, 0); break;
          case 'crc32c': numbers[i] = crc32c(chunk, numbers[i]!); break;
          case 'fnv64': hashes[i] = fnv64(chunk, hashes[i]!); break;
        }
      }
      bytes += chunk.length;
    },
    results() {
      return ops.map(({ op, imm }, i): OpResult => {
        switch (op) {
          case 'counteq': return { count: numbers[i]!, bytes };
          case 'add': return { sum: numbers[i]!, bytes };
          case 'xor': return { xor: (numbers[i]! ^ (bytes % 2 === 1 ? imm : 0)) & 0xff, bytes };
          case 'crc32c': return { crc32c: numbers[i]! >>> 0, bytes };
          case 'fnv64': return { fnv64: hashes[i]!, bytes };
        }
      });
    },
  };
}
