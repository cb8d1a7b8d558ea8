import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { afterEach, describe, it } from 'node:test';
import { restoreDefaultKernels } from './crc-impls.js';
import { crc32c, crc32cPure, setCrc32cImplementation } from '../../src/ops/index.js';
import { installNativeCrc32c, installedNativeCrc32c } from '../../src/ops/node/crc32c-native.js';
import { prng, randomBytes } from './reference.js';

const binding = createRequire(import.meta.url)('@node-rs/crc32') as typeof import('@node-rs/crc32');

describe('native crc32c', () => {
  afterEach(restoreDefaultKernels);

  it('the binding chains its initial state like prev', () => {
    const data = new TextEncoder().encode('123456789');
    assert.equal(binding.crc32c(Buffer.from(data)), 3808858755);
    for (let cut = 0; cut <= data.length; cut++) {
      assert.equal(binding.crc32c(Buffer.from(data.subarray(cut)), binding.crc32c(Buffer.from(data.subarray(0, cut)))), 3808858755, `cut=${cut}`);
    }
  });

  it('installs over whatever implementation was there and agrees with the pure one', () => {
    setCrc32cImplementation(() => 7);
    assert.equal(crc32c(new Uint8Array(3)), 7);
    assert.equal(installNativeCrc32c(), true);
    const rand = prng(21);
    const backing = randomBytes(rand, 70_000);
    for (let i = 0; i < 200; i++) {
      // Views at random offsets: the native call must read exactly this window of the shared memory.
      const start = (rand() * 1000) | 0;
      const view = backing.subarray(start, start + ((rand() * 69_000) | 0));
      const prev = (rand() * 2 ** 32) >>> 0;
      assert.equal(crc32c(view, prev), crc32cPure(view, prev), `start=${start} len=${view.length}`);
    }
  });

  it('prefers the three-stream addon, whose long inputs cross its 24 KiB blocks', () => {
    assert.equal(installNativeCrc32c(), true);
    assert.equal(installedNativeCrc32c(), 'sse42-3stream');
    const rand = prng(22);
    const bytes = randomBytes(rand, 200_000);
    for (const [start, end] of [[0, 200_000], [3, 24_579], [1, 73_731], [7, 7]]) {
      const view = bytes.subarray(start, end);
      assert.equal(crc32c(view, 0x12345678), crc32cPure(view, 0x12345678), `[${start}, ${end})`);
    }
  });

  it('packetfs-compute/ops under Node installs the native CRC on import', async () => {
    setCrc32cImplementation(() => 7);
    // First import of the Node entry in this process: it replaces the stand-in.
    const ops = await import('packetfs-compute/ops');
    assert.equal(ops.crc32c(new TextEncoder().encode('123456789')), 3808858755);
    assert.equal(installedNativeCrc32c(), 'sse42-3stream');
    assert.equal('opsReady' in ops, false, 'setup is synchronous');
  });

  it('setCrc32cImplementation(null) restores the default one', () => {
    setCrc32cImplementation(() => 7);
    setCrc32cImplementation(null);
    assert.equal(crc32c(new TextEncoder().encode('123456789')), 3808858755);
  });
});
