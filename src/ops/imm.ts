import { PacketFSError } from '../errors.js';

/**
 * Checks an op's immediate (contracts §3: an integer 0..255). The word kernels
 * replicate it into every byte lane, so an out-of-range value would silently
 * give a wrong answer instead of an error.
 */
export function assertImm(imm: unknown, path: string): asserts imm is number {
  if (typeof imm !== 'number' || !Number.isInteger(imm) || imm < 0 || imm > 255) {
    throw new PacketFSError('INVALID_JOB', `imm must be an integer 0..255, got ${JSON.stringify(imm)}`, { path });
  }
}
