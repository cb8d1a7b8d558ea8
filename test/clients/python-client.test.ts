import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { listeningUrl } from '../cli/run-cli.js';

/**
 * The Python client (clients/python, standard library only) against a real
 * `packetfs serve` with a token: its unittest suite runs in python3, and each
 * of its tests is reported here as a subtest, so the suite's pass/fail counts
 * (and CI's summary line) include them.
 */
const TOKEN = 'python-client-token';

interface PyRun { code: number | null; stderr: string }

function runUnittest(url: string): Promise<PyRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-m', 'unittest', '-v'], {
      cwd: join(process.cwd(), 'clients', 'python'),
      env: { ...process.env, PACKETFS_URL: url, PACKETFS_TOKEN: TOKEN, PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stderr }); });
  });
}

it('the Python client passes its unittest suite against packetfs serve', { timeout: 180_000 }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'packetfs-python-client-'));
  const serve = spawn(process.execPath, ['dist/src/cli/main.js', 'serve', '--port', '0', '--data-dir', dataDir, '--token', TOKEN, '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => serve.once('exit', resolve));
  try {
    const url = await listeningUrl(serve, /packetfs listening on (http:\/\/\S+)/);
    const run = await runUnittest(url);
    const lines = [...run.stderr.matchAll(/^(test_\w+) \(([\w.]+)\) \.\.\. (\w+)/gm)];
    const ran = /^Ran (\d+) tests? in /m.exec(run.stderr);
    assert.ok(ran !== null && lines.length > 0, `no unittest report:\n${run.stderr}`);
    for (const [, name, where, verdict] of lines) {
      await t.test(`python: ${where!.replace(/^tests\.test_client\./, '').replace(/\.test_\w+$/, '')}.${name}`, () => {
        assert.equal(verdict, 'ok', run.stderr);
      });
    }
    assert.equal(lines.length, Number(ran![1]), 'every test the runner counted is reported');
    assert.equal(run.code, 0, run.stderr);
  } finally {
    serve.kill('SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  }
});
