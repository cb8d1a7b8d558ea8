import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../../src/server/routes/browser-assets.js';

/** <repo>/test-output (git-ignored): screenshots the browser tests leave for people to look at. */
export async function testOutputDir(): Promise<string> {
  const dir = join(packageRoot(), 'test-output');
  await mkdir(dir, { recursive: true });
  return dir;
}
