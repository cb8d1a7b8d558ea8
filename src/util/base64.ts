/**
 * Base64 for every runtime (Node, browsers, workerd): no Node imports.
 *
 * Decoding accepts the standard and the URL-safe alphabet (even mixed), with or
 * without `=` padding, and nothing else: no whitespace, no stray characters, no
 * impossible lengths. Node's own decoder silently skips junk, so validity is
 * always checked here first and `Buffer` is only used, when the runtime has it,
 * for the fast bulk conversion. Encoding produces standard, padded base64.
 */

/** The slice of Node's Buffer used here, looked up on globalThis at call time. */
interface NodeBufferLike {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): {
    write(s: string, offset: number, length: number, encoding: 'base64'): number;
    toString(encoding: 'base64'): string;
  };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const INVALID = 255;
const PAD = 61; // '='

/** char code → 6-bit value; both alphabets map to the same values. */
const DECODE_TABLE = buildDecodeTable();

function buildDecodeTable(): Uint8Array {
  const table = new Uint8Array(128).fill(INVALID);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  table['-'.charCodeAt(0)] = 62;
  table['_'.charCodeAt(0)] = 63;
  return table;
}

function nodeBuffer(): NodeBufferLike | undefined {
  return (globalThis as { Buffer?: NodeBufferLike }).Buffer;
}

/**
 * Number of bytes `s` decodes to, or -1 when `s` is not valid base64.
 * Scans every character, so it is also the validity check.
 */
export function base64ByteLength(s: string): number {
  const n = s.length;
  const pad = padding(s);
  // Padded input must be whole quads; a lone trailing sextet can never encode a byte.
  if (pad > 0 && (n & 3) !== 0) return -1;
  const body = n - pad;
  const tail = body & 3;
  if (tail === 1) return -1;
  for (let i = 0; i < body; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || DECODE_TABLE[c] === INVALID) return -1;
  }
  return (body >>> 2) * 3 + (tail === 0 ? 0 : tail - 1);
}

/** How many trailing `=` (0..2; a third one is caught as an invalid body character). */
function padding(s: string): number {
  const n = s.length;
  if (n === 0 || s.charCodeAt(n - 1) !== PAD) return 0;
  return n > 1 && s.charCodeAt(n - 2) === PAD ? 2 : 1;
}

export function isValidBase64(s: string): boolean {
  return base64ByteLength(s) >= 0;
}

/** Decodes standard or URL-safe base64; throws a plain Error for anything else. */
export function decodeBase64(s: string): Uint8Array {
  const size = base64ByteLength(s);
  if (size < 0) throw new Error('invalid base64: only A-Z a-z 0-9 + / - _ with optional = padding, in a possible length');
  // Decode into a fresh array we own, so `.buffer` is never Node's shared pool.
  const out = new Uint8Array(size);
  const B = nodeBuffer();
  if (B !== undefined) {
    if (size > 0) B.from(out.buffer, 0, size).write(s, 0, size, 'base64');
    return out;
  }
  const body = s.length - padding(s);
  const whole = body - (body & 3);
  let o = 0;
  let i = 0;
  for (; i < whole; i += 4) {
    const v = (DECODE_TABLE[s.charCodeAt(i)]! << 18) | (DECODE_TABLE[s.charCodeAt(i + 1)]! << 12) |
      (DECODE_TABLE[s.charCodeAt(i + 2)]! << 6) | DECODE_TABLE[s.charCodeAt(i + 3)]!;
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 255;
    out[o++] = v & 255;
  }
  const tail = body & 3;
  if (tail >= 2) {
    const v = (DECODE_TABLE[s.charCodeAt(i)]! << 18) | (DECODE_TABLE[s.charCodeAt(i + 1)]! << 12) |
      (tail === 3 ? DECODE_TABLE[s.charCodeAt(i + 2)]! << 6 : 0);
    out[o++] = v >>> 16;
    if (tail === 3) out[o] = (v >>> 8) & 255;
  }
  return out;
}

/** Encodes as standard base64 with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  const B = nodeBuffer();
  if (B !== undefined) return B.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const n = bytes.length;
  const whole = n - (n % 3);
  // Collect in chunks: one string per byte triple would be quadratic-ish for big inputs.
  const chunks: string[] = [];
  let chunk = '';
  for (let i = 0; i < whole; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + ALPHABET[(v >>> 6) & 63]! + ALPHABET[v & 63]!;
    if (chunk.length >= 8192) { chunks.push(chunk); chunk = ''; }
  }
  if (n - whole === 1) {
    const v = bytes[whole]! << 16;
    chunk += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + '==';
  } else if (n - whole === 2) {
    const v = (bytes[whole]! << 16) | (bytes[whole + 1]! << 8);
    chunk += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + ALPHABET[(v >>> 6) & 63]! + '=';
  }
  chunks.push(chunk);
  return chunks.join('');
}
