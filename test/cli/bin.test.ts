import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { promisify } from 'node:util';

/** The `packetfs` bin as npm links it: the built file, executed directly (shebang + mode), as `npx packetfs` does. */
describe('packetfs bin', () => {
  it('the built entry is executable and runs on its own', async () => {
    const bin = 'dist/src/cli/main.js';
    assert.ok((statSync(bin).mode & 0o111) !== 0, `${bin} must be executable (npm run build sets it)`);
    const { stdout } = await promisify(execFile)(bin, ['--help']);
    assert.match(stdout, /Usage: packetfs/);
    assert.match(stdout, /serve/);
  });

  it('worker --http refuses a non-loopback host without a token (exit 2, the way out named)', async () => {
    const env = { ...process.env };
    delete env.PACKETFS_TOKEN;
    delete env.PACKETFS_ALLOW_INSECURE_LISTEN;
    const run = await promisify(execFile)('dist/src/cli/main.js', ['worker', '--http', '--host', '0.0.0.0', '--port', '0'], { env })
      .then(() => assert.fail('worker --http started on 0.0.0.0 without a token'), (err: { code: number; stderr: string }) => err);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^packetfs: INVALID_REQUEST: refusing to listen on non-loopback host 0\.0\.0\.0 without a token.*--allow-insecure-listen/);
  });
});
