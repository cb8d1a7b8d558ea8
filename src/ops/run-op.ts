import { PacketFSError } from '../errors.js';
import { OP_NAMES, type OpResult, type OpSpec } from './types.js';
import { addSum } from './add-sum.js';
import { counteq } from './counteq.js';
import { crc32c } from './crc32c.js';
import { fnv64 } from './fnv64.js';
import { assertImm } from './imm.js';
import { xorFold } from './xor-fold.js';

/**
 * Runs one op over a window (contracts §3). `fnvState` is the program's
 * `fnv_state` and only matters to fnv64. Every result carries `bytes`, the
 * window length, which combineResults needs to merge adjacent windows.
 */
export function runOp(spec: OpSpec, bytes: Uint8Array, fnvState?: string): OpResult {
  return runChecked(spec, '', bytes, fnvState);
}

/** Runs several ops over the same window; results come back in the same order. */
export function runOps(ops: OpSpec[], bytes: Uint8Array, fnvState?: string): OpResult[] {
  return ops.map((spec, i) => runChecked(spec, `ops[${i}].`, bytes, fnvState));
}

/**
 * Normalised specs are validated upstream, but runtimes also receive ops from
 * the wire; a bad one must become a clear error, not a wrong number.
 */
function runChecked(spec: OpSpec, pathPrefix: string, bytes: Uint8Array, fnvState: string | undefined): OpResult {
  if (!OP_NAMES.includes(spec.op)) {
    throw new PacketFSError('INVALID_JOB', `unknown op ${JSON.stringify(spec.op)}; expected one of ${OP_NAMES.join(', ')}`, { path: `${pathPrefix}op` });
  }
  assertImm(spec.imm, `${pathPrefix}imm`);
  const length = bytes.length;
  switch (spec.op) {
    case 'counteq': return { count: counteq(bytes, spec.imm), bytes: length };
    case 'crc32c': return { crc32c: crc32c(bytes), bytes: length };
    case 'fnv64': return { fnv64: fnv64(bytes, fnvState), bytes: length };
    case 'xor': return { xor: xorFold(bytes, spec.imm), bytes: length };
    case 'add': return { sum: addSum(bytes, spec.imm), bytes: length };
  }
}
