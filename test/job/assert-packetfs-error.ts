import assert from 'node:assert/strict';
import { PacketFSError, type ErrorCode } from '../../src/errors.js';

export interface ExpectedError {
  code: ErrorCode;
  path: string;
  /** part of the message that must appear */
  message?: RegExp;
}

/** Asserts `fn` throws a PacketFSError with exactly this code and path. */
export function assertPacketFSError(fn: () => unknown, expected: ExpectedError, label: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PacketFSError, `${label}: expected PacketFSError, got ${String(err)}`);
    assert.equal(err.code, expected.code, `${label}: code (message: ${err.message})`);
    assert.equal(err.path, expected.path, `${label}: path (message: ${err.message})`);
    if (expected.message) assert.match(err.message, expected.message, `${label}: message`);
    return true;
  }, label);
}
