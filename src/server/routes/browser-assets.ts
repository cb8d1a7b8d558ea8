import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { PacketFSError } from '../../errors.js';

/**
 * The browser runtime, served by the dispatcher from dist/browser (built by
 * scripts/build-browser.mjs). Public, like the page that loads them: no
 * bearer token. Cross-origin readable (`access-control-allow-origin: *`) so
 * third-party pages can `import` the module build. Short cache lifetimes:
 * the file names carry no version, and the Service Worker keeps its own copy
 * for instant reloads anyway.
 */
const ASSETS: Readonly<Record<string, { file: string; type: string; extra?: Record<string, string> }>> = {
  '/browser-runtime.js': { file: 'browser-runtime.js', type: 'text/javascript; charset=utf-8' },
  '/browser-runtime.mjs': { file: 'browser-runtime.mjs', type: 'text/javascript; charset=utf-8' },
  '/packetfs-worker.js': { file: 'packetfs-worker.js', type: 'text/javascript; charset=utf-8' },
  // the worker lives at the root, but this says it may also claim a narrower or the whole origin explicitly
  '/packetfs-sw.js': { file: 'packetfs-sw.js', type: 'text/javascript; charset=utf-8', extra: { 'service-worker-allowed': '/' } },
  '/volunteer': { file: 'volunteer.html', type: 'text/html; charset=utf-8' },
};
const CACHE_CONTROL = 'public, max-age=60';

export function registerBrowserAssetRoutes(app: FastifyInstance, opts: { assetsDir?: string } = {}): void {
  const dir = opts.assetsDir ?? defaultAssetsDir();
  for (const [url, asset] of Object.entries(ASSETS)) {
    app.get(url, async (_request, reply) => {
      const body = await readAsset(join(dir, asset.file));
      void reply.type(asset.type).header('cache-control', CACHE_CONTROL).header('access-control-allow-origin', '*');
      for (const [name, value] of Object.entries(asset.extra ?? {})) void reply.header(name, value);
      return reply.send(body);
    });
  }
}

async function readAsset(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new PacketFSError('INTERNAL', 'the browser runtime is not built: run `npm run build` (or node scripts/build-browser.mjs)', { status: 503, cause: err });
  }
}

/** Where the build script writes the assets: <package root>/dist/browser. */
function defaultAssetsDir(): string {
  return join(packageRoot(), 'dist', 'browser');
}

/** The directory holding package.json, found from this file whether it runs from src/ (tsx) or dist/src/ (built). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
