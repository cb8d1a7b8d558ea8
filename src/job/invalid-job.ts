import { PacketFSError } from '../errors.js';
import { unknownFieldMessage } from '../schema/unknown-field.js';

/** The one way job validation fails: INVALID_JOB (HTTP 400) naming the field at fault. */
export function invalidJob(path: string, message: string): PacketFSError {
  return new PacketFSError('INVALID_JOB', message, { path });
}

/** A field over a size limit: PAYLOAD_TOO_LARGE (HTTP 413). */
export function tooLarge(path: string, message: string): PacketFSError {
  return new PacketFSError('PAYLOAD_TOO_LARGE', message, { path });
}

/** Unknown field, with a hint when it looks like a typo of a known one. */
export function unknownField(path: string, key: string, known: readonly string[]): PacketFSError {
  return invalidJob(path, unknownFieldMessage(key, known));
}
