import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PacketFSError } from '../../errors.js';

/**
 * The browser runtime, the volunteer app and the dashboard, served by the
 * dispatcher from dist/browser (built by scripts/build-browser.mjs). Public,
 * like the pages that load them: no bearer token (the pages carry no data;
 * what they show comes from /v1 with the token). Cross-origin readable
 * (`access-control-allow-origin: *`) so third-party pages can `import` the
 * module build. Every reply has an ETag, so a revalidation costs a 304.
 * Cache lifetimes: short for names that carry no version (the Service
 * Workers keep their own copies for instant and offline loads anyway),
 * `no-cache` for the dashboard page, the app's manifest, offline page and
 * Service Worker script (always revalidated, so an upgrade shows at once), and a year, immutable, for the dashboard's
 * bundles, whose names carry their content hash.
 */
const SHORT = 'public, max-age=60';
const REVALIDATE = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const JS = 'text/javascript; charset=utf-8';
const HTML = 'text/html; charset=utf-8';
const ASSETS: Readonly<Record<string, { file: string; type: string; cache?: string; extra?: Record<string, string> }>> = {
  '/browser-runtime.js': { file: 'browser-runtime.js', type: JS },
  '/browser-runtime.mjs': { file: 'browser-runtime.mjs', type: JS },
  '/packetfs-worker.js': { file: 'packetfs-worker.js', type: JS },
  // the worker lives at the root, but this says it may also claim a narrower or the whole origin explicitly
  '/packetfs-sw.js': { file: 'packetfs-sw.js', type: JS, extra: { 'service-worker-allowed': '/' } },
  '/volunteer': { file: 'volunteer.html', type: HTML },
  // the volunteer page as an installable app (docs/dashboard.md): manifest, its own Service Worker, offline page, icons
  '/volunteer.webmanifest': { file: 'volunteer.webmanifest', type: 'application/manifest+json; charset=utf-8', cache: REVALIDATE },
  '/volunteer-sw.js': { file: 'volunteer-sw.js', type: JS, cache: REVALIDATE },
  '/volunteer/offline': { file: 'volunteer-offline.html', type: HTML, cache: REVALIDATE },
  '/volunteer/icon-192.png': { file: 'icon-192.png', type: 'image/png' },
  '/volunteer/icon-512.png': { file: 'icon-512.png', type: 'image/png' },
  '/dashboard': { file: 'dashboard.html', type: HTML, cache: REVALIDATE },
};
/** the dashboard's bundles: `app-<8 hex digits of their content hash>.js|css` */
const DASHBOARD_BUNDLE = /^app-[0-9a-f]{8}\.(js|css)$/;

export function registerBrowserAssetRoutes(app: FastifyInstance, opts: { assetsDir?: string } = {}): void {
  const dir = opts.assetsDir ?? defaultAssetsDir();
  for (const [url, asset] of Object.entries(ASSETS)) {
    app.get(url, async (request, reply) => {
      const body = await readAsset(join(dir, asset.file));
      for (const [name, value] of Object.entries(asset.extra ?? {})) void reply.header(name, value);
      return sendAsset(request, reply, body, asset.type, asset.cache ?? SHORT);
    });
  }
  app.get<{ Params: { name: string } }>('/dashboard/assets/:name', async (request, reply) => {
    const match = DASHBOARD_BUNDLE.exec(request.params.name);
    if (match === null) throw new PacketFSError('NOT_FOUND', `no dashboard asset ${request.params.name}`, { path: 'name' });
    const body = await readAsset(join(dir, 'dashboard', request.params.name), true);
    return sendAsset(request, reply, body, match[1] === 'js' ? JS : 'text/css; charset=utf-8', IMMUTABLE);
  });
}

function sendAsset(request: FastifyRequest, reply: FastifyReply, body: Buffer, type: string, cache: string): FastifyReply {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  void reply.header('cache-control', cache).header('etag', etag).header('access-control-allow-origin', '*');
  if (ifNoneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send();
  return reply.type(type).send(body);
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag || tag.trim() === '*');
}

async function readAsset(path: string, missingIsNotFound = false): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // a hashed bundle of an older build: the page that asked for it is stale
    if (missingIsNotFound) throw new PacketFSError('NOT_FOUND', 'no such dashboard asset (reload the page)', { path: 'name' });
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
