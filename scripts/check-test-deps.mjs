#!/usr/bin/env node
/**
 * Runs before `npm test` (npm's pretest hook): the suite drives real system
 * programs, and a missing one should be named here, with the package that
 * provides it, rather than surface as an obscure failure deep in a test.
 * Paths follow the tests: test/helpers/redis-server.ts (REDIS_SERVER_BIN or
 * the usual locations), test/browser/chromium.ts (/usr/bin/chromium), and
 * python3 on the PATH (the vector generator and the Python client's tests),
 * cc on the PATH (scripts/build-native.mjs builds the addon the ops tests load),
 * script on the PATH (test/cli/top-tty.test.ts; in every Debian base system),
 * the OpenSSL headers (scripts/build-native.mjs builds the upload writer
 * addon against the system libcrypto; its test loads it).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { hasOpenSslHeaders } from './build-native.mjs';

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command) {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const checks = [
  {
    what: 'redis-server (the Redis store tests start their own)',
    pkg: 'redis-server',
    ok: () => [process.env.REDIS_SERVER_BIN, '/usr/bin/redis-server', '/usr/local/bin/redis-server', '/opt/homebrew/bin/redis-server']
      .some((p) => p !== undefined && p !== '' && executable(p)),
  },
  { what: 'Chromium at /usr/bin/chromium (the browser runtime tests)', pkg: 'chromium', ok: () => executable('/usr/bin/chromium') },
  { what: 'python3 (the vector generator and the Python client tests)', pkg: 'python3', ok: () => onPath('python3') },
  { what: 'cc (the build compiles the native kernels addon; its tests need it)', pkg: 'gcc', ok: () => onPath('cc') },
  {
    what: 'the OpenSSL headers (the build compiles the blob upload writer against libcrypto; its test needs it)',
    pkg: 'libssl-dev',
    ok: hasOpenSslHeaders,
  },
  { what: 'script from util-linux (runs `packetfs top` in a pseudo-terminal)', pkg: 'bsdutils', ok: () => onPath('script') },
];

const missing = checks.filter((c) => !c.ok());
if (missing.length > 0) {
  console.error('npm test needs these system packages, which are missing:');
  for (const m of missing) console.error(`  - ${m.what}`);
  console.error(`Install them (Debian/Ubuntu): sudo apt-get install ${missing.map((m) => m.pkg).join(' ')}`);
  console.error('or run `bash .ci/run`, which installs them and then runs npm test.');
  process.exit(1);
}
