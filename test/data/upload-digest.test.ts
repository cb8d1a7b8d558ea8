import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { crc32c } from '../../src/ops/index.js';
import { createUploadDigest, poolThreadDigestAvailable, type UploadDigest } from '../../src/data/upload-digest.js';

/**
 * Both ways of digesting an upload give node:crypto's SHA-256 and the ops'
 * CRC-32C of the whole, however the bytes are cut into runs and parts. The
 * pool-thread addon is built wherever the OpenSSL headers are (CI installs
 * libssl-dev), so there it must load.
 */
function reference(bytes: Uint8Array): { sha256Hex: string; crc32c: number } {
  return { sha256Hex: createHash('sha256').update(bytes).digest('hex'), crc32c: crc32c(bytes, 0) };
}

/** `bytes` cut at random points into runs of random parts, fed in order */
async function digestInPieces(digest: UploadDigest, bytes: Uint8Array, seed: number): Promise<{ sha256Hex: string; crc32c: number }> {
  let x = seed;
  const next = (n: number): number => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x % n;
  };
  let at = 0;
  while (at < bytes.length) {
    const parts: Uint8Array[] = [];
    for (let k = 1 + next(4); k > 0 && at < bytes.length; k--) {
      const len = Math.min(bytes.length - at, next(3) === 0 ? next(64) : 1 + next(200_000));
      parts.push(bytes.subarray(at, at + len));
      at += len;
    }
    await digest.update(parts);
  }
  return digest.finish();
}

describe('upload digest', () => {
  it('the pool-thread addon is built where the OpenSSL headers are', () => {
    if (existsSync('/usr/include/openssl/evp.h')) assert.equal(poolThreadDigestAvailable(), true);
    assert.equal(createUploadDigest().kind, poolThreadDigestAvailable() ? 'pool-thread' : 'main-thread');
  });

  for (const kind of ['pool-thread', 'main-thread'] as const) {
    it(`${kind}: SHA-256 and CRC-32C equal a one-shot digest for any cut into runs and parts`, { skip: kind === 'pool-thread' && !poolThreadDigestAvailable() }, async () => {
      for (const [size, seed] of [[0, 1], [1, 2], [63, 3], [64, 4], [65, 5], [1_000_003, 6], [3 * 1024 * 1024 + 17, 7]] as const) {
        const bytes = new Uint8Array(randomBytes(size));
        assert.deepEqual(await digestInPieces(createUploadDigest(kind), bytes, seed), reference(bytes), `${size} bytes`);
      }
      // an empty run in the middle changes nothing
      const digest = createUploadDigest(kind);
      await digest.update([Buffer.from('1234')]);
      await digest.update([]);
      await digest.update([new Uint8Array(0), Buffer.from('56789')]);
      assert.deepEqual(digest.finish(), { sha256Hex: createHash('sha256').update('123456789').digest('hex'), crc32c: 0xe3069283 });
    });
  }

  it('pool-thread: an overlapping update, a finish during an update and a second finish are refused', { skip: !poolThreadDigestAvailable() }, async () => {
    const digest = createUploadDigest('pool-thread');
    const running = digest.update([new Uint8Array(8 * 1024 * 1024)]);
    assert.throws(() => digest.update([Buffer.from('x')]), /already running/);
    assert.throws(() => digest.finish(), /still running/);
    await running;
    digest.finish();
    assert.throws(() => digest.finish(), /finished/);
    assert.throws(() => digest.update([Buffer.from('x')]), /finished/);
  });
});
