#!/usr/bin/env node
/**
 * Bundles the worker core for each remote runtime (docs/runtimes.md):
 *   dist/runtimes/cloudflare/worker.js  ES module for workerd (no Node APIs),
 *                                       with kernels.wasm beside it
 *   dist/runtimes/vercel/edge.js        ES module for Vercel Edge (no Node APIs),
 *                                       with kernels.wasm beside it
 *   dist/runtimes/lambda/handler.js     ES module for Node 20 Lambda, with a
 *                                       package.json {"type":"module"} beside it
 *                                       so Lambda loads the .js file as ESM
 * Sources are TypeScript under src/runtimes/; run with `node scripts/build-runtimes.mjs`.
 * A build of dist/runtimes whose sources have not changed since is skipped
 * (scripts/build-stamp.mjs): the runtime tests ask for the bundles in every process.
 */
import { build } from 'esbuild';
import { freshOutputs, metafileInputs, writeStamp } from './build-stamp.mjs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_OUT_DIR = path.join(ROOT, 'dist/runtimes');

/** Web-API runtimes: no Node built-ins may slip in, so platform neutral and no externals. */
const WEB_RUNTIME = { platform: 'neutral', mainFields: ['module', 'main'], conditions: ['workerd', 'worker', 'browser'] };

/**
 * workerd and Vercel Edge refuse to compile wasm bytes at run time, so their
 * bundles take the kernels as a `.wasm` module import, compiled ahead of time
 * by the platform: src/ops/wasm/kernels-module.ts is swapped for the runtime's
 * own `replacement`, its .wasm import stays external, and kernels.wasm is
 * copied beside the bundle.
 */
function moduleKernels(name, replacement) {
  return {
    name,
    setup(build) {
      const portable = path.join(ROOT, 'src/ops/wasm/kernels-module.js');
      build.onResolve({ filter: /kernels-module\.js$/ }, (args) =>
        path.resolve(args.resolveDir, args.path) === portable ? { path: path.join(ROOT, replacement) } : undefined);
      build.onResolve({ filter: /\.wasm(\?module)?$/ }, (args) => ({ path: args.path, external: true }));
    },
  };
}

/** workerd: `import kernels from './kernels.wasm'`, a CompiledWasm module (deploy/wrangler.toml). */
export const workerdKernels = moduleKernels('workerd-kernels', 'src/runtimes/cloudflare/kernels-module.ts');
/** Vercel Edge: `import kernels from './kernels.wasm?module'`, as Vercel documents for Edge Functions. */
export const vercelEdgeKernels = moduleKernels('vercel-edge-kernels', 'src/runtimes/vercel/kernels-module.ts');

const TARGETS = [
  { entry: 'src/runtimes/cloudflare/worker.ts', out: 'cloudflare/worker.js', wasmFile: 'cloudflare/kernels.wasm', plugins: [workerdKernels], ...WEB_RUNTIME },
  { entry: 'src/runtimes/vercel/edge.ts', out: 'vercel/edge.js', wasmFile: 'vercel/kernels.wasm', plugins: [vercelEdgeKernels], ...WEB_RUNTIME },
  { entry: 'src/runtimes/lambda/handler.ts', out: 'lambda/handler.js', platform: 'node' },
];

/** Builds every runtime bundle into `<outDir>` (default dist/runtimes); returns the written paths. */
export async function buildRuntimes({ outDir = DEFAULT_OUT_DIR, minify = false } = {}) {
  // only the default folder is stamped: other folders are one-off builds (the Lambda zip test's)
  const stampPath = outDir === DEFAULT_OUT_DIR ? path.join(ROOT, 'dist/.stamps/runtimes.json') : null;
  const fresh = stampPath === null ? null : await freshOutputs(ROOT, stampPath, { minify });
  if (fresh !== null) return fresh;
  const written = [];
  const metafiles = [];
  for (const { entry, out, wasmFile, ...platform } of TARGETS) {
    const outfile = path.join(outDir, out);
    const { metafile } = await build({
      absWorkingDir: ROOT,
      metafile: true,
      entryPoints: [path.join(ROOT, entry)],
      outfile,
      bundle: true,
      format: 'esm',
      target: 'es2022',
      minify,
      sourcemap: true,
      legalComments: 'none',
      logLevel: 'warning',
      ...platform,
    });
    metafiles.push(metafile);
    written.push(outfile);
    if (wasmFile !== undefined) {
      // Written by scripts/build-wasm.mjs, which `npm run build` runs first.
      await copyFile(path.join(ROOT, 'dist/wasm/kernels.wasm'), path.join(outDir, wasmFile));
      written.push(path.join(outDir, wasmFile));
    }
  }
  await mkdir(path.join(outDir, 'lambda'), { recursive: true });
  const lambdaPackage = path.join(outDir, 'lambda/package.json');
  await writeFile(lambdaPackage, JSON.stringify({ type: 'module' }) + '\n');
  written.push(lambdaPackage);
  if (stampPath !== null) {
    const inputs = [...metafileInputs(ROOT, metafiles), path.join(ROOT, 'dist/wasm/kernels.wasm'), fileURLToPath(import.meta.url), path.join(ROOT, 'package-lock.json')];
    await writeStamp(ROOT, stampPath, { minify }, inputs, written);
  }
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const written = await buildRuntimes({ minify: process.argv.includes('--minify') });
  for (const file of written) console.log(path.relative(process.cwd(), file));
}
