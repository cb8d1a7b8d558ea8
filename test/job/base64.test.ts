import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64ByteLength, decodeBase64, encodeBase64, isValidBase64 } from '../../src/util/base64.js';

/** Deterministic bytes (xorshift32) so a failure reproduces. */
function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

/** Reference encoder, captured before any test hides the global. */
const NodeBuffer = Buffer;

const toUrlSafe = (s: string) => s.replace(/\+/g, '-').replace(/\//g, '_');
const unpadded = (s: string) => s.replace(/=+$/, '');

/** Runs `fn` with globalThis.Buffer hidden, exercising the table codec browsers and workerd use. */
function withoutBuffer<T>(fn: () => T): T {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'Buffer')!;
  delete (globalThis as { Buffer?: unknown }).Buffer;
  try {
    return fn();
  } finally {
    Object.defineProperty(globalThis, 'Buffer', descriptor);
  }
}

const codecs = [
  { name: 'Buffer path', run: <T>(fn: () => T) => fn() },
  { name: 'table path', run: withoutBuffer },
];

for (const codec of codecs) {
  test(`${codec.name}: random data round-trips through every accepted spelling`, () => {
    codec.run(() => {
      for (let length = 0; length < 300; length++) {
        const bytes = pseudoRandomBytes(length, length + 7);
        const encoded = encodeBase64(bytes);
        assert.equal(encoded, NodeBuffer.from(bytes).toString('base64'), `standard encoding, length ${length}`);
        for (const spelling of [encoded, unpadded(encoded), toUrlSafe(encoded), unpadded(toUrlSafe(encoded))]) {
          assert.equal(base64ByteLength(spelling), length);
          assert.deepEqual(decodeBase64(spelling), bytes, `length ${length}, spelling ${spelling}`);
        }
      }
    });
  });

  test(`${codec.name}: a large buffer and a subarray view round-trip`, () => {
    codec.run(() => {
      const big = pseudoRandomBytes(100_003, 99);
      assert.deepEqual(decodeBase64(encodeBase64(big)), big);
      const view = big.subarray(5, 1005);
      assert.deepEqual(decodeBase64(encodeBase64(view)), view.slice());
    });
  });

  test(`${codec.name}: known vectors`, () => {
    codec.run(() => {
      assert.equal(encodeBase64(new TextEncoder().encode('123456789')), 'MTIzNDU2Nzg5');
      assert.equal(encodeBase64(new Uint8Array([0xfb, 0xff])), '+/8=');
      assert.deepEqual(decodeBase64('-_8'), new Uint8Array([0xfb, 0xff]));
      assert.deepEqual(decodeBase64(''), new Uint8Array(0));
      assert.deepEqual(decodeBase64('QQ=='), new Uint8Array([0x41]));
    });
  });

  test(`${codec.name}: junk is rejected with a plain Error`, () => {
    codec.run(() => {
      for (const junk of ['A', 'AAAAA', '=', '==', 'QQ=', 'Q===', 'QQ==QQ==', 'QU JD', 'QUJD\n', 'QU*D', 'QUJ€', '====', 'QQ=A']) {
        assert.equal(isValidBase64(junk), false, JSON.stringify(junk));
        assert.equal(base64ByteLength(junk), -1, JSON.stringify(junk));
        assert.throws(() => decodeBase64(junk), (err: unknown) => err instanceof Error && /invalid base64/.test(err.message), JSON.stringify(junk));
      }
    });
  });
}

test('decoded bytes own their ArrayBuffer (never Node\'s shared pool)', () => {
  const bytes = decodeBase64('AQID');
  assert.equal(bytes.byteOffset, 0);
  assert.equal(bytes.buffer.byteLength, 3);
});

test('the table path really is used when Buffer is absent', () => {
  withoutBuffer(() => assert.equal((globalThis as { Buffer?: unknown }).Buffer, undefined));
  assert.equal(typeof Buffer, 'function');
});
