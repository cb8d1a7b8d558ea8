import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, it } from 'node:test';
import { promisify } from 'node:util';
import { listeningUrl } from './run-cli.js';

const run = promisify(execFile);
const dirs: string[] = [];
after(async () => { await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))); });

/**
 * What `npm install -g packetfs-compute` (or a tarball) gives a user outside
 * the clone: the packed tarball, installed into an empty folder, runs
 * `packetfs serve` and computes a job. The tarball is packed from the dist/
 * that `npm test` has just built (--ignore-scripts: `prepare` would build it
 * again); dependencies come from npm's cache where it has them.
 */
it('the npm pack tarball installs into an empty folder and `packetfs serve` runs a job from there', { timeout: 180_000 }, async () => {
  const work = await mkdtemp(join(tmpdir(), 'packetfs-pack-'));
  dirs.push(work);
  const { stdout: packed } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { maxBuffer: 64 * 1024 * 1024 });
  const [info] = JSON.parse(packed) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = info!.files.map((f) => f.path);
  for (const needed of ['dist/src/cli/main.js', 'dist/browser/browser-runtime.js', 'dist/runtimes/cloudflare/worker.js', 'src/store/redis/lua/enqueue-15.lua', 'README.md']) {
    assert.ok(files.includes(needed), `the tarball lacks ${needed}`);
  }
  assert.equal(files.filter((f) => f.startsWith('dist/test/') || f.startsWith('test/')).length, 0, 'tests do not ship');

  const app = join(work, 'app');
  await run('mkdir', [app]);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'empty-app', version: '1.0.0', private: true }));
  const prebuilt = await servePrebuiltSqlite(work);
  try {
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, info!.filename)],
      { cwd: app, timeout: 150_000, env: { ...process.env, npm_config_better_sqlite3_binary_host: prebuilt.host } });
  } finally {
    prebuilt.close();
  }

  const child = spawn(join(app, 'node_modules', '.bin', 'packetfs'), ['serve', '--port', '0', '--data-dir', join(work, 'data')],
    { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const url = await listeningUrl(child, /packetfs listening on (http:\/\/\S+)/);
    const submit = await fetch(`${url}/v1/jobs`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ job_id: 'from-tarball', program: { op: 'crc32c', data: 'MTIzNDU2Nzg5' } }),
    });
    assert.equal(submit.status, 202);
    const result = await (await fetch(`${url}/v1/jobs/from-tarball/result?wait=20`)).json() as { status: string; result: unknown };
    assert.deepEqual([result.status, result.result], ['succeeded', { crc32c: 3808858755, bytes: 9 }]);
    // the browser assets ship too
    assert.equal((await fetch(`${url}/browser-runtime.js`)).status, 200);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});

/**
 * better-sqlite3's install downloads a prebuilt binding from its GitHub
 * releases, or compiles SQLite for minutes when it cannot (as here, where
 * GitHub is not reachable). This stands in for that download: the binding
 * this clone already has, packed as a prebuild and served on loopback, named
 * by the mirror setting prebuild-install reads.
 */
async function servePrebuiltSqlite(work: string): Promise<{ host: string; close: () => void }> {
  const pkgDir = dirname(dirname(createRequire(import.meta.url).resolve('better-sqlite3')));
  const tarball = join(work, 'better-sqlite3-prebuilt.tar.gz');
  await run('tar', ['-czf', tarball, '-C', pkgDir, 'build/Release/better_sqlite3.node']);
  const body = await readFile(tarball);
  const server = createServer((req, res) => {
    if (req.url?.endsWith('.tar.gz')) res.writeHead(200, { 'content-type': 'application/gzip' }).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}
