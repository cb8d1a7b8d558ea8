/**
 * `packetfs-compute/ops` under Node (package.json's "node" export condition):
 * the runtime-neutral ops, plus the fastest native CRC-32C installed on
 * import (crc32c-native.ts). Other runtimes get src/ops/index.ts as is.
 */
import { installNativeCrc32c } from './crc32c-native.js';

export * from '../../ops/index.js';

installNativeCrc32c();
