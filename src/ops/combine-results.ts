import { PacketFSError } from '../errors.js';
import type { OpResult } from './types.js';
import { crc32cCombine } from './crc32c-combine.js';

/**
 * Merges the results of the same op over adjacent windows, A then B
 * (contracts §3): counts and sums add, xor folds, CRC-32C combines from
 * (crc(A), crc(B), len(B)). FNV-1a has no such shortcut — its state after A
 * must be fed into B — so it is refused with a pointer to `fnv_state`.
 */
export function combineResults(a: OpResult, b: OpResult): OpResult {
  const bytes = a.bytes + b.bytes;
  if ('count' in a && 'count' in b) return { count: a.count + b.count, bytes };
  if ('sum' in a && 'sum' in b) return { sum: a.sum + b.sum, bytes };
  if ('xor' in a && 'xor' in b) return { xor: (a.xor ^ b.xor) & 0xff, bytes };
  if ('crc32c' in a && 'crc32c' in b) return { crc32c: crc32cCombine(a.crc32c, b.crc32c, b.bytes), bytes };
  if ('fnv64' in a && 'fnv64' in b) {
    throw new PacketFSError('INVALID_REQUEST',
      'fnv64 results of separate windows cannot be combined; hash the windows in order, passing each result as the next program\'s fnv_state');
  }
  throw new PacketFSError('INVALID_REQUEST', `cannot combine results of different ops: ${opOf(a)} and ${opOf(b)}`);
}

function opOf(result: OpResult): string {
  return Object.keys(result).find((k) => k !== 'bytes') ?? 'unknown';
}
