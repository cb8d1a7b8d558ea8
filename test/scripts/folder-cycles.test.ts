import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../runtimes/runtime-fixtures.js';

interface FolderCycles {
  layerGraph(files?: string[], src?: string): Map<string, Map<string, string[]>>;
  cycles(edges: Map<string, Map<string, string[]>>): string[][];
}

const load = async (): Promise<FolderCycles> =>
  await import(pathToFileURL(join(REPO_ROOT, 'scripts/check-folder-cycles.mjs')).href) as FolderCycles;

test('src/ has no folder cycle', async () => {
  const { layerGraph, cycles } = await load();
  assert.deepEqual(cycles(layerGraph()), []);
});

test('a cycle through value imports is found, however long; type-only imports do not count', async () => {
  const { layerGraph, cycles } = await load();
  const src = await mkdtemp(join(tmpdir(), 'pfs-cycles-'));
  try {
    const file = async (path: string, text: string) => {
      await mkdir(join(src, path, '..'), { recursive: true });
      await writeFile(join(src, path), text);
      return join(src, path);
    };
    const files = [
      await file('a/one.ts', "import { two } from '../b/two.js';\nexport const one = two;\n"),
      await file('b/two.ts', "export { three as two } from '../c/three.js';\n"),
      await file('c/three.ts', "import type { One } from '../a/types.js';\nexport const three = 3;\n"),
      await file('a/types.ts', 'export type One = 1;\n'),
    ];
    assert.deepEqual(cycles(layerGraph(files, src)), [], 'a type-only import closes no cycle');
    files.push(await file('c/back.ts', "export const back = () => import('../a/one.js');\n"));
    assert.deepEqual(cycles(layerGraph(files, src)), [['a', 'b', 'c']]);
  } finally {
    await rm(src, { recursive: true, force: true });
  }
});
