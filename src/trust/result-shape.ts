import type { ProgramSpec } from '../job/types.js';
import type { OpName, OpResult } from '../ops/types.js';
import { jobWindowBytes } from '../job/window-length.js';

/**
 * Whether a result a node sent fits its program (docs/trust.md, "shape"):
 * one object per op (a bare object for the single-op shorthand), each with
 * exactly that op's key and `bytes`, values of the op's type and range, and
 * `bytes` equal to the window length wherever the dispatcher knows it. A
 * node's result is untrusted input: anything else is refused, so a record
 * never holds a value its op could not have produced.
 *
 * Returns null when it fits, else the reason.
 */
export function resultShapeError(program: ProgramSpec, result: unknown, bytesProcessed: number): string | null {
  const expected = jobWindowBytes(program);
  let items: unknown[];
  if (program.single) {
    if (Array.isArray(result)) return 'a single-op program needs one result object, not an array';
    items = [result];
  } else {
    if (!Array.isArray(result)) return 'a multi-op program needs an array of results';
    items = result;
  }
  if (items.length !== program.ops.length) return `${program.ops.length} op results expected, got ${items.length}`;
  let windowBytes: number | null = expected;
  for (let i = 0; i < items.length; i++) {
    const why = opResultError(program.ops[i]!.op, items[i]);
    if (why !== null) return `result ${i}: ${why}`;
    const bytes = (items[i] as { bytes: number }).bytes;
    if (windowBytes === null) windowBytes = bytes;
    else if (bytes !== windowBytes) return `result ${i}: bytes is ${bytes}, the window has ${windowBytes}`;
  }
  if (bytesProcessed !== windowBytes) return `bytes_processed is ${bytesProcessed}, the window has ${windowBytes}`;
  return null;
}

const RESULT_KEY: Record<OpName, string> = { counteq: 'count', crc32c: 'crc32c', fnv64: 'fnv64', xor: 'xor', add: 'sum' };
const FNV64 = /^[0-9a-f]{16}$/;
const MAX_WINDOW = Number.MAX_SAFE_INTEGER / 255;

function opResultError(op: OpName, value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const key = RESULT_KEY[op];
  const keys = Object.keys(value);
  if (keys.length !== 2 || !keys.includes(key) || !keys.includes('bytes')) return `${op} results hold exactly "${key}" and "bytes"`;
  const o = value as Record<string, unknown>;
  const bytes = o.bytes;
  if (!isIntIn(bytes, 0, MAX_WINDOW)) return 'bytes must be a non-negative integer';
  const v = o[key];
  switch (op) {
    case 'counteq': return isIntIn(v, 0, bytes) ? null : 'count must be an integer 0..bytes';
    case 'crc32c': return isIntIn(v, 0, 0xffffffff) ? null : 'crc32c must be an unsigned 32-bit integer';
    case 'fnv64': return typeof v === 'string' && FNV64.test(v) ? null : 'fnv64 must be 16 lowercase hex digits';
    case 'xor': return isIntIn(v, 0, 255) ? null : 'xor must be a byte 0..255';
    case 'add': return isIntIn(v, 0, 255 * bytes) ? null : 'sum must be an integer 0..255·bytes';
  }
}

function isIntIn(v: unknown, min: number, max: number): v is number {
  return Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
}

/** Two results of one program agree: same ops, same values. Key order does not matter. */
export function sameResult(a: OpResult | OpResult[], b: OpResult | OpResult[]): boolean {
  const xs = Array.isArray(a) ? a : [a];
  const ys = Array.isArray(b) ? b : [b];
  if (xs.length !== ys.length || Array.isArray(a) !== Array.isArray(b)) return false;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as unknown as Record<string, unknown>;
    const y = ys[i] as unknown as Record<string, unknown>;
    const keys = Object.keys(x);
    if (keys.length !== Object.keys(y).length) return false;
    for (const k of keys) if (x[k] !== y[k]) return false;
  }
  return true;
}
