import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The op test vectors (docs/contracts.md §3), kept in test/vectors/ and
 * checked against the reference implementation scripts/gen-vectors.py.
 * This module runs from test/ops/ (sources) or dist/test/ops/ (built), so
 * both places are tried; PACKETFS_VECTORS points elsewhere when needed.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
export const VECTORS_DIR = process.env.PACKETFS_VECTORS
  ?? [path.resolve(here, '../vectors'), path.resolve(here, '../../../test/vectors')].find((dir) => existsSync(path.join(dir, 'ops.json')))
  ?? path.resolve(here, '../vectors');

type OpFields = Record<string, number | string>;

export interface OpsVectors {
  cases: Array<{ op: 'counteq' | 'crc32c' | 'fnv64' | 'xor' | 'add'; imm: number; data_b64: string; result: OpFields }>;
  blob: { size: number; crc32c: number };
  windows: Array<{ offset: number; length: number; results: Record<string, OpFields> }>;
  whole_blob_imm42: Record<string, OpFields>;
  combine: Array<{ crc_a: number; crc_b: number; len_b: number; crc_ab: number; fnv_a: string; fnv_ab_from_state_a: string; b_b64: string }>;
}

export function loadOpsVectors(): OpsVectors {
  return JSON.parse(readFileSync(path.join(VECTORS_DIR, 'ops.json'), 'utf8')) as OpsVectors;
}

export function loadBlob(): Uint8Array {
  const file = readFileSync(path.join(VECTORS_DIR, 'blob.bin'));
  return new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
}

export function fromBase64(b64: string): Uint8Array {
  const buf = Buffer.from(b64, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** A copy of `bytes` placed at `offset` inside a larger buffer, to exercise unaligned views. */
export function atOffset(bytes: Uint8Array, offset: number): Uint8Array {
  const backing = new Uint8Array(bytes.length + offset + 7).fill(0xa5);
  backing.set(bytes, offset);
  return backing.subarray(offset, offset + bytes.length);
}
