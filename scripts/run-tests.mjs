#!/usr/bin/env node
/**
 * The test phase of `npm test`: every dist/test/**\/*.test.js under Node's
 * test runner, three files at a time, each file bounded by --test-timeout.
 * Arguments narrow the run to files whose path contains one of them
 * (`node scripts/run-tests.mjs store/ browser/`).
 *
 * The runner starts files in the order given. The files that take longest
 * start first, so the run does not end with one core busy on a long file
 * started late while the other idles (the longest file alone is about a
 * quarter of the run). The list is a scheduling hint only: a file missing
 * from it still runs, after these.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEST_DIR = path.join(ROOT, 'dist/test');

/** Longest wall time first, from `scripts/test-cpu.mjs` reports (docs/testing.md; two full runs of session 20). */
const LONGEST_FIRST = [
  'cli/package.test.js',
  'redis-e2e/cluster.test.js',
  'redis-e2e/crash-safety.test.js',
  'store/sqlite.test.js',
  'browser/volunteer.test.js',
  'store/sqlite-serve.test.js',
  'browser/dashboard.test.js',
  'browser/volunteer-app.test.js',
  'browser/runtime.test.js',
  'substrates/cloud-lambda.test.js',
  'browser/kernels.test.js',
  'nodes/worker.test.js',
  'store/redis-cluster.test.js',
  'split/split-lifecycle.test.js',
  'dashboard/dashboard-server.test.js',
  'redis-e2e/persistence.test.js',
  'dispatcher/dispatcher.test.js',
  'redis-e2e/two-dispatchers.test.js',
  'trust/adversarial.test.js',
  'store/redis-outbox.test.js',
  'sim/simulate.test.js',
  'cli/serve.test.js',
  'runtimes/cloudflare.test.js',
  'clients/python-client.test.js',
];

function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return testFiles(full);
    return name.endsWith('.test.js') ? [full] : [];
  });
}

const filters = process.argv.slice(2);
// tsc -b never deletes the output of a removed source: a compiled test whose .ts is gone is stale, not run
const all = testFiles(TEST_DIR).map((f) => path.relative(TEST_DIR, f).split(path.sep).join('/'))
  .filter((f) => existsSync(path.join(ROOT, 'test', f.replace(/\.js$/, '.ts')))).sort();
const rank = (file) => {
  const i = LONGEST_FIRST.indexOf(file);
  return i === -1 ? LONGEST_FIRST.length : i;
};
const files = all
  .filter((f) => filters.length === 0 || filters.some((word) => f.includes(word)))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
  .map((f) => path.join('dist/test', f));
if (files.length === 0) {
  console.error(`run-tests: no test file under dist/test matches ${filters.join(' ')}`);
  process.exit(1);
}

/**
 * One Chromium for every file that asks for one (test/browser/chromium.ts,
 * launchChromium): a start is about 1.4 s of CPU, paid once instead of once
 * per file. If it cannot start, the files start their own and say why.
 */
async function sharedChromium() {
  if (!files.some((f) => readFileSync(path.join(ROOT, f), 'utf8').includes('launchChromium('))) return null;
  try {
    const { launchChromiumServer } = await import(path.join(TEST_DIR, 'browser/chromium.js'));
    return await launchChromiumServer();
  } catch (err) {
    console.error(`run-tests: no shared Chromium (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); each file starts its own`);
    return null;
  }
}

const chromium = await sharedChromium();
const env = chromium === null ? process.env : { ...process.env, PACKETFS_TEST_CHROMIUM_WS: chromium.wsEndpoint() };
const child = spawn(process.execPath, ['--test', '--test-concurrency=3', '--test-timeout=90000', ...files], { cwd: ROOT, stdio: 'inherit', env });
child.on('exit', async (code, signal) => {
  await chromium?.close();
  process.exit(code ?? (signal === null ? 1 : 128));
});
