import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { VECTORS_DIR } from './vectors.js';

/**
 * The committed vectors are exactly what the in-repo reference implementation
 * (scripts/gen-vectors.py, standard-library Python, independent of src/ops)
 * computes from their inputs: a wrong expected value, a hand edit or a
 * generator change that was not re-run fails here.
 */
it('test/vectors/ops.json is byte-identical to what scripts/gen-vectors.py computes', async () => {
  const { stdout } = await promisify(execFile)('python3', ['scripts/gen-vectors.py', '--check', '--dir', VECTORS_DIR], { timeout: 60_000 });
  assert.match(stdout, /^ok: .*ops\.json matches the reference implementation byte for byte/);
});
