#!/usr/bin/env node
/**
 * Bundles the browser runtime (src/runtimes/browser) with esbuild into
 * dist/browser, where the dispatcher serves it from:
 *   browser-runtime.js   classic <script>: sets globalThis.PacketFSBrowserCompute
 *   browser-runtime.mjs  ES module: export { PacketFSBrowserCompute } (and default)
 *   packetfs-worker.js   the Web Worker that runs jobs
 *   packetfs-sw.js       the Service Worker
 *   volunteer.html       the volunteer page (copied from src/server/assets)
 * `platform: 'browser'` makes any Node import in the shared code a build error.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src/runtimes/browser');

/** Builds every browser asset into `outdir` (default dist/browser); resolves with the files written. */
export async function buildBrowser({ outdir = join(ROOT, 'dist/browser'), minify = true } = {}) {
  await mkdir(outdir, { recursive: true });
  const common = { bundle: true, platform: 'browser', target: 'es2022', minify, legalComments: 'none', logLevel: 'warning' };
  const bundles = [
    { entry: 'entry-script.ts', out: 'browser-runtime.js', format: 'iife' },
    { entry: 'entry-module.ts', out: 'browser-runtime.mjs', format: 'esm' },
    { entry: 'worker-main.ts', out: 'packetfs-worker.js', format: 'iife' },
    { entry: 'service-worker.ts', out: 'packetfs-sw.js', format: 'iife' },
  ];
  await Promise.all(bundles.map((b) => build({ ...common, entryPoints: [join(SRC, b.entry)], outfile: join(outdir, b.out), format: b.format })));
  await copyFile(join(ROOT, 'src/server/assets/volunteer.html'), join(outdir, 'volunteer.html'));
  return [...bundles.map((b) => join(outdir, b.out)), join(outdir, 'volunteer.html')];
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await buildBrowser();
  console.log(`built ${files.length} browser assets in ${dirname(files[0])}`);
}
