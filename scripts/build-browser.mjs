#!/usr/bin/env node
/**
 * Bundles the browser runtime (src/runtimes/browser) with esbuild into
 * dist/browser, where the dispatcher serves it from:
 *   browser-runtime.js   classic <script>: sets globalThis.PacketFSBrowserCompute
 *   browser-runtime.mjs  ES module: export { PacketFSBrowserCompute } (and default)
 *   packetfs-worker.js   the Web Worker that runs jobs
 *   packetfs-sw.js       the Service Worker
 *   volunteer.html       the volunteer page (copied from src/server/assets)
 *   volunteer-sw.js, volunteer.webmanifest, volunteer-offline.html, icon-192.png, icon-512.png
 *                        the volunteer page as an installable app (icons drawn by make-icons.mjs)
 *   dashboard.html       the dashboard page, naming its bundles:
 *   dashboard/app-<hash>.js|css  the dashboard (src/dashboard/ui, uPlot included), named by content hash
 *                        so the server can let browsers cache them for good
 * `platform: 'browser'` makes any Node import in the shared code a build error.
 * A build of dist/browser whose sources have not changed since is skipped
 * (scripts/build-stamp.mjs): tests ask for these assets in every process.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { freshOutputs, metafileInputs, writeStamp } from './build-stamp.mjs';
import { iconPng } from './make-icons.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src/runtimes/browser');
const DEFAULT_OUTDIR = join(ROOT, 'dist/browser');
const STAMP = join(ROOT, 'dist/.stamps/browser.json');

/** Builds every browser asset into `outdir` (default dist/browser); resolves with the files written. */
export async function buildBrowser({ outdir = DEFAULT_OUTDIR, minify = true } = {}) {
  // only the default folder is stamped: other folders are one-off builds (tests of the build itself)
  const stampPath = outdir === DEFAULT_OUTDIR ? STAMP : null;
  const fresh = stampPath === null ? null : await freshOutputs(ROOT, stampPath, { minify });
  if (fresh !== null) return fresh;
  await mkdir(outdir, { recursive: true });
  const common = { bundle: true, platform: 'browser', target: 'es2022', minify, legalComments: 'none', logLevel: 'warning', absWorkingDir: ROOT, metafile: true };
  const bundles = [
    { entry: 'entry-script.ts', out: 'browser-runtime.js', format: 'iife' },
    { entry: 'entry-module.ts', out: 'browser-runtime.mjs', format: 'esm' },
    { entry: 'worker-main.ts', out: 'packetfs-worker.js', format: 'iife' },
    { entry: 'service-worker.ts', out: 'packetfs-sw.js', format: 'iife' },
    { entry: 'volunteer-app-sw.ts', out: 'volunteer-sw.js', format: 'iife' },
  ];
  const built = await Promise.all(bundles.map((b) => build({ ...common, entryPoints: [join(SRC, b.entry)], outfile: join(outdir, b.out), format: b.format })));
  // tests build in several processes at once while servers read: every file appears whole (writeWhole)
  const copied = ['volunteer.html', 'volunteer.webmanifest', 'volunteer-offline.html'];
  await Promise.all(copied.map(async (name) => writeWhole(join(outdir, name), await readFile(join(ROOT, 'src/server/assets', name)))));
  const icons = [192, 512].map((size) => join(outdir, `icon-${size}.png`));
  await Promise.all([192, 512].map((size, i) => writeWhole(icons[i], iconPng(size))));
  const dashboard = await buildDashboard(outdir, common);
  const outputs = [...bundles.map((b) => join(outdir, b.out)), ...copied.map((name) => join(outdir, name)), ...icons, ...dashboard.files];
  const inputs = [
    ...metafileInputs(ROOT, [...built.map((b) => b.metafile), dashboard.metafile]),
    ...copied.map((name) => join(ROOT, 'src/server/assets', name)),
    ...DASHBOARD_SOURCES, fileURLToPath(import.meta.url), join(ROOT, 'scripts/make-icons.mjs'), join(ROOT, 'package-lock.json'),
  ];
  if (stampPath !== null) await writeStamp(ROOT, stampPath, { minify }, inputs, outputs);
  return outputs;
}

/** Files the dashboard build reads besides its bundle's inputs. */
const DASHBOARD_SOURCES = [
  join(ROOT, 'node_modules/uplot/dist/uPlot.min.css'),
  join(ROOT, 'src/dashboard/ui/dashboard.css'),
  join(ROOT, 'src/server/assets/dashboard.html'),
];

/** The dashboard's script and stylesheet (ours plus uPlot's), named by content hash, and its page naming them. */
async function buildDashboard(outdir, common) {
  const dir = join(outdir, 'dashboard');
  await mkdir(dir, { recursive: true });
  const js = await build({ ...common, entryPoints: [join(ROOT, 'src/dashboard/ui/main.ts')], format: 'iife', write: false });
  const css = (await Promise.all(DASHBOARD_SOURCES.slice(0, 2).map((file) => readFile(file, 'utf8')))).join('\n');
  const named = (ext, body) => `app-${createHash('sha256').update(body).digest('hex').slice(0, 8)}.${ext}`;
  const jsName = named('js', js.outputFiles[0].contents);
  const cssName = named('css', css);
  // a hashed name's content never changes; bundles of older builds stay for pages still open
  await Promise.all([writeWhole(join(dir, jsName), js.outputFiles[0].contents), writeWhole(join(dir, cssName), css)]);
  const page = (await readFile(DASHBOARD_SOURCES[2], 'utf8'))
    .replace('{{APP_JS}}', jsName).replace('{{APP_CSS}}', cssName);
  await writeWhole(join(outdir, 'dashboard.html'), page);
  return { files: [join(dir, jsName), join(dir, cssName), join(outdir, 'dashboard.html')], metafile: js.metafile };
}

/** Writes a temporary file and renames it into place, so a reader sees the old file or the new one, never half. */
async function writeWhole(path, body) {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, body);
  await rename(tmp, path);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await buildBrowser();
  console.log(`built ${files.length} browser assets in ${dirname(files[0])}`);
}
