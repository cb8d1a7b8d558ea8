/** Wire types of the five ops (contracts §3). Runtime-neutral: no Node imports anywhere in src/ops. */
export type OpName = 'counteq' | 'crc32c' | 'fnv64' | 'xor' | 'add';
export const OP_NAMES: readonly OpName[] = ['counteq', 'crc32c', 'fnv64', 'xor', 'add'];

/** One normalised op: `imm` is always present (default 0), an integer 0..255. */
export interface OpSpec {
  op: OpName;
  imm: number;
}

export type OpResult =
  | { count: number; bytes: number }
  | { crc32c: number; bytes: number }
  | { fnv64: string; bytes: number }
  | { xor: number; bytes: number }
  | { sum: number; bytes: number };
