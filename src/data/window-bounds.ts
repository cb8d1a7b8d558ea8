import { PacketFSError } from '../errors.js';

/**
 * Window arithmetic shared by every data source (inline, blob, data_url).
 * Design §2: a window past the end is an error, never silently shortened, so
 * every reader resolves its window through here once it knows the data size.
 */

/** Guards public entry points: offsets and lengths are non-negative safe integers. */
export function assertWindowArgs(offset: number, length: number | null): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new PacketFSError('INVALID_JOB', `offset must be a non-negative integer, got ${offset}`, { path: 'program.offset' });
  }
  if (length !== null && (!Number.isSafeInteger(length) || length < 0)) {
    throw new PacketFSError('INVALID_JOB', `length must be a non-negative integer or null, got ${length}`, { path: 'program.length' });
  }
}

/** Returns [start, end) of the window inside data of `size` bytes, or throws WINDOW_OUT_OF_RANGE. */
export function resolveWindow(size: number, offset: number, length: number | null): { start: number; end: number } {
  if (offset > size) {
    throw new PacketFSError('WINDOW_OUT_OF_RANGE',
      `offset ${offset} is past the end of the data (${size} bytes)`, { path: 'program.offset' });
  }
  const end = length === null ? size : offset + length;
  if (end > size) {
    throw new PacketFSError('WINDOW_OUT_OF_RANGE',
      `window of ${length} bytes at offset ${offset} runs past the end of the data (${size} bytes)`, { path: 'program.length' });
  }
  return { start: offset, end };
}

export function windowTooLarge(bytes: number, maxBytes: number): PacketFSError {
  return new PacketFSError('PAYLOAD_TOO_LARGE',
    `window of ${bytes} bytes exceeds the limit of ${maxBytes} bytes`, { path: 'program.length' });
}
