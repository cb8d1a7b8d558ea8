import { PacketFSError } from '../errors.js';

/**
 * Listing cursors of the embedded stores: the enqueue sequence number of the
 * last job on a page, as `s<base36>`. Opaque to clients; a cursor this code
 * did not make is refused with the field at fault.
 */
const CURSOR = /^s([0-9a-z]{1,11})$/;

export function encodeCursor(seq: number): string {
  return 's' + seq.toString(36);
}

export function decodeCursor(cursor: string): number {
  const match = CURSOR.exec(cursor);
  if (match === null) throw new PacketFSError('INVALID_REQUEST', 'cursor is not one this store returned', { path: 'cursor' });
  return parseInt(match[1] as string, 36);
}

/** A store option that must be a number ≥ 0, checked where the store is built. */
export function nonNegative(value: number, name: string): number {
  if (!(value >= 0)) throw new PacketFSError('INVALID_REQUEST', `${name} must be a number >= 0, got ${String(value)}`, { path: name });
  return value;
}
