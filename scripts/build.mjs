#!/usr/bin/env node
/**
 * `npm run build`: everything under dist/, on both cores where steps do not
 * depend on each other (a fresh clone's type-check is most of `npm test`'s
 * first minute, and the machine has two cores):
 *
 *   build-wasm.mjs ─┬─ tsc -b tsconfig.json        the main program (src, test, bench), then
 *                   │                              the CLI entry made executable
 *                   ├─ tsc -b tsconfig.aws.json    type-check only: the two modules that call
 *                   │                              the AWS SDKs (src/substrates/aws/aws-sdk-module.ts)
 *                   └─ those two modules emitted by esbuild, build-native.mjs,
 *                      build-runtimes.mjs, build-browser.mjs (one after another)
 *
 * With --lint (as `npm test` runs it) the linter and the folder-layering
 * check (`npm run lint`) run as one more branch: they read only sources.
 *
 * build-wasm runs first because tsc compiles the array it writes. Every step
 * skips work that is up to date (docs/testing.md), so a build with no changes
 * costs about two seconds of CPU. The first failing step's code is the exit code.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** The modules outside the main TypeScript program (tsconfig.aws.json's `include`). */
const AWS_SDK_MODULES = ['src/substrates/spot/ec2-sdk.ts', 'src/substrates/lambda/lambda-sdk.ts'];

/** Runs `node <args>` with the output shown; rejects naming the step when it fails. */
function node(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${path.basename(args[0])} ${args.slice(1).join(' ')} failed (${signal ?? `exit ${code}`})`))));
  });
}

/** `npm run <script>`, through the npm that runs this build (npm sets npm_execpath), else the one on the PATH. */
function npmRun(script) {
  const npmCli = process.env.npm_execpath;
  if (npmCli?.endsWith('.js')) return node([npmCli, 'run', '--silent', script]);
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script], { cwd: ROOT, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run ${script} failed (exit ${code})`))));
  });
}

/**
 * The AWS SDK modules as ES modules beside tsc's output, one file each (not
 * bundled: their imports stay imports), skipped when newer than the source.
 */
async function emitAwsSdkModules() {
  const stale = AWS_SDK_MODULES.filter((src) => {
    const out = path.join(ROOT, 'dist', src.replace(/\.ts$/, '.js'));
    return !existsSync(out) || statSync(out).mtimeMs < statSync(path.join(ROOT, src)).mtimeMs;
  });
  if (stale.length === 0) return;
  await build({
    entryPoints: stale.map((src) => path.join(ROOT, src)), outbase: ROOT, outdir: path.join(ROOT, 'dist'),
    bundle: false, format: 'esm', platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning',
  });
}

await node(['scripts/build-wasm.mjs']);
const steps = await Promise.allSettled([
  node([TSC, '-b', 'tsconfig.json']).then(() => chmodSync(path.join(ROOT, 'dist/src/cli/main.js'), 0o755)),
  // tsc -b never rewrites a noEmit project's build record when the check finds nothing new, so once
  // an input (tsconfig.json after a merge, a fresh checkout) is newer than the record, every build
  // checked the SDKs again (about 4 s of CPU): the record is touched after each passing check
  node([TSC, '-b', 'tsconfig.aws.json']).then(() => {
    const record = path.join(ROOT, 'dist/.tsbuildinfo-aws');
    if (existsSync(record)) utimesSync(record, new Date(), new Date());
  }),
  ...(process.argv.includes('--lint') ? [npmRun('lint')] : []),
  (async () => {
    await emitAwsSdkModules();
    await node(['scripts/build-native.mjs']);
    await node(['scripts/build-runtimes.mjs']);
    await node(['scripts/build-browser.mjs']);
  })(),
]);
const failed = steps.find((s) => s.status === 'rejected');
if (failed !== undefined) {
  console.error(`build: ${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`);
  process.exit(1);
}
