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
});
