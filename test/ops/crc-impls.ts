import assert from 'node:assert/strict';
import { setCrc32cImplementation } from '../../src/ops/index.js';
import { installNativeCrc32c } from '../../src/runtimes/node/crc32c-native.js';

/** Both CRC-32C implementations every vector must pass under. */
export const CRC_IMPLS: Array<{ name: string; install: () => void }> = [
  { name: 'pure-ts', install: () => setCrc32cImplementation(null) },
  { name: 'native', install: () => assert.equal(installNativeCrc32c(), true, '@node-rs/crc32 should load in the test environment') },
];
