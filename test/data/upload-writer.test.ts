import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '../../src/ops/index.js';
import { createUploadWriter, poolThreadWriterAvailable, type UploadWriter } from '../../src/data/upload-writer.js';

/**
 * Both ways of writing an upload leave exactly its bytes in the file and
 * give node:crypto's SHA-256 and the ops' CRC-32C of the whole, however the
 * bytes are cut into batches and parts. The pool-thread addon is built
 * wherever the OpenSSL headers are (CI installs libssl-dev), so there it
 * must load.
 */
function reference(bytes: Uint8Array): { sha256Hex: string; crc32c: number } {
  return { sha256Hex: createHash('sha256').update(bytes).digest('hex'), crc32c: crc32c(bytes, 0) };
}

/** `bytes` cut at random points into batches of random parts, appended in order */
async function appendInPieces(writer: UploadWriter, bytes: Uint8Array, seed: number): Promise<{ sha256Hex: string; crc32c: number }> {
  let x = seed;
  const next = (n: number): number => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x % n;
  };
  let at = 0;
  while (at < bytes.length) {
    const parts: Uint8Array[] = [];
    const position = at;
    for (let k = 1 + next(4); k > 0 && at < bytes.length; k--) {
      const len = Math.min(bytes.length - at, next(3) === 0 ? next(64) : 1 + next(200_000));
      parts.push(bytes.subarray(at, at + len));
      at += len;
    }
    await writer.append(parts, position);
  }
  return writer.finish();
}

let dir: string;
let counter = 0;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'packetfs-upload-writer-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

describe('upload writer', () => {
  it('the pool-thread addon is built where the OpenSSL headers are', async () => {
    if (existsSync('/usr/include/openssl/evp.h')) assert.equal(poolThreadWriterAvailable(), true);
    const file = await open(join(dir, `f${counter++}`), 'w');
    assert.equal(createUploadWriter(file).kind, poolThreadWriterAvailable() ? 'pool-thread' : 'main-thread');
    await file.close();
  });

  for (const kind of ['pool-thread', 'main-thread'] as const) {
    it(`${kind}: the file holds the bytes, and SHA-256 and CRC-32C equal a one-shot digest, for any cut into batches and parts`, { skip: kind === 'pool-thread' && !poolThreadWriterAvailable() }, async () => {
      for (const [size, seed] of [[0, 1], [1, 2], [63, 3], [64, 4], [65, 5], [1_000_003, 6], [3 * 1024 * 1024 + 17, 7]] as const) {
        const bytes = new Uint8Array(randomBytes(size));
        const path = join(dir, `f${counter++}`);
        const file = await open(path, 'w');
        assert.deepEqual(await appendInPieces(createUploadWriter(file, kind), bytes, seed), reference(bytes), `${size} bytes`);
        await file.close();
        assert.ok(Buffer.from(bytes).equals(await readFile(path)), `${size} bytes in the file`);
      }
      // an empty batch in the middle changes nothing
      const path = join(dir, `f${counter++}`);
      const file = await open(path, 'w');
      const writer = createUploadWriter(file, kind);
      await writer.append([Buffer.from('1234')], 0);
      await writer.append([], 4);
      await writer.append([new Uint8Array(0), Buffer.from('56789')], 4);
      assert.deepEqual(writer.finish(), { sha256Hex: createHash('sha256').update('123456789').digest('hex'), crc32c: 0xe3069283 });
      await file.close();
      assert.equal(await readFile(path, 'utf8'), '123456789');
    });

    it(`${kind}: a failed write rejects the append`, { skip: kind === 'pool-thread' && !poolThreadWriterAvailable() }, async () => {
      const path = join(dir, `f${counter++}`);
      await (await open(path, 'w')).close();
      const readOnly = await open(path, 'r');
      try {
        await assert.rejects(createUploadWriter(readOnly, kind).append([Buffer.from('x')], 0), (err: NodeJS.ErrnoException) => err.code === 'EBADF');
      } finally {
        await readOnly.close();
      }
    });
  }

  it('pool-thread: an overlapping append, a finish during an append and a second finish are refused', { skip: !poolThreadWriterAvailable() }, async () => {
    const file = await open(join(dir, `f${counter++}`), 'w');
    const writer = createUploadWriter(file, 'pool-thread');
    const running = writer.append([new Uint8Array(8 * 1024 * 1024)], 0);
    await assert.rejects(writer.append([Buffer.from('x')], 8 * 1024 * 1024), /already running/);
    assert.throws(() => writer.finish(), /still running/);
    await running;
    writer.finish();
    assert.throws(() => writer.finish(), /finished/);
    await assert.rejects(writer.append([Buffer.from('x')], 0), /finished/);
    await file.close();
  });
});
