import type { ProgramSpec } from './types.js';

/**
 * The window length of a program when the dispatcher knows it without
 * reading the data: an explicit `length`, or inline data. Null for a blob or
 * URL read "to the end".
 */
export function jobWindowBytes(program: ProgramSpec): number | null {
  if (program.length !== null) return program.length;
  if (program.data !== undefined) return Math.max(0, base64DecodedLength(program.data) - program.offset);
  return null;
}

/** Decoded size of canonical (normalised, unwrapped) base64 without decoding it. */
export function base64DecodedLength(b64: string): number {
  let padding = 0;
  if (b64.endsWith('==')) padding = 2;
  else if (b64.endsWith('=')) padding = 1;
  return Math.floor(b64.length * 3 / 4) - padding;
}
