import { PacketFSError } from '../errors.js';
import { CRC32C_POLY } from './crc32c.js';

/**
 * CRC-32C of A‖B from crc(A), crc(B) and len(B), without the bytes — zlib's
 * GF(2) matrix method (crc32_combine). Appending n zero bytes to a CRC
 * register is a linear map over GF(2), a 32×32 bit matrix stored as 32 column
 * words; crc(A‖B) = Z^len(B)·crc(A) XOR crc(B), where Z appends one zero byte.
 * Z^len(B) is applied as the product of Z^(2^k) over the set bits k of len(B).
 */
export function crc32cCombine(crcA: number, crcB: number, lenB: number): number {
  if (!Number.isSafeInteger(lenB) || lenB < 0) {
    throw new PacketFSError('INVALID_REQUEST', `crc32c combine length must be a non-negative safe integer, got ${lenB}`);
  }
  let crc = crcA >>> 0;
  // Division, not >>>: lengths of 4 GiB and more must keep their high bits.
  for (let k = 0, n = lenB; n > 0; k++, n = Math.floor(n / 2)) {
    if (n % 2 === 1) crc = applyMatrix(zeroBytesOperator(k), crc);
  }
  return (crc ^ crcB) >>> 0;
}

/** Z^(2^k) for k = 0, 1, …, built on first use and kept: at most 53 small matrices. */
const zeroBytesOperators: Uint32Array[] = [];

function zeroBytesOperator(k: number): Uint32Array {
  if (zeroBytesOperators.length === 0) {
    // One zero bit: shift right, folding the polynomial in when bit 0 falls out.
    const oneZeroBit = new Uint32Array(32);
    oneZeroBit[0] = CRC32C_POLY;
    for (let n = 1; n < 32; n++) oneZeroBit[n] = 1 << (n - 1);
    // Squaring doubles the count: 2, 4, then 8 zero bits = one zero byte.
    zeroBytesOperators.push(squareMatrix(squareMatrix(squareMatrix(oneZeroBit))));
  }
  while (zeroBytesOperators.length <= k) zeroBytesOperators.push(squareMatrix(zeroBytesOperators[zeroBytesOperators.length - 1]!));
  return zeroBytesOperators[k]!;
}

function applyMatrix(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let i = 0, v = vector >>> 0; v !== 0; i++, v >>>= 1) {
    if (v & 1) sum ^= matrix[i]!;
  }
  return sum >>> 0;
}

function squareMatrix(matrix: Uint32Array): Uint32Array {
  const square = new Uint32Array(32);
  for (let n = 0; n < 32; n++) square[n] = applyMatrix(matrix, matrix[n]!);
  return square;
}
