import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listeningUrl, runCli, runCliProcess, spawnCli } from './run-cli.js';

const SERVE_LINE = /^packetfs listening on (http:\/\/127\.0\.0\.1:\d+) \(store: sqlite \/\S+\/packetfs\.db, substrates: local, browser, volunteer\)$/m;

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('packetfs serve', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'packetfs-serve-test-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('serves jobs on a free port and exits 0 on SIGTERM', async () => {
    const child = spawnCli(['serve', '--port', '0', '--data-dir', join(dir, 'data'), '--threads', '1', '--log-level', 'silent']);
    try {
      const url = await listeningUrl(child, SERVE_LINE);
      const run = await runCli(['submit', '--text', '123456789', '--op', 'crc32c', '--wait', '--server', url]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /crc32c=3808858755 \(9 bytes\)/);
      child.kill('SIGTERM');
      assert.equal(await exitCode(child), 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('a config file: token from token_env guards /v1; SIGINT exits 0', async () => {
    const config = join(dir, 'with-token.json');
    await writeFile(config, JSON.stringify({ port: 0, host: '127.0.0.1', data_dir: join(dir, 'data2'), threads: 1, log_level: 'warn', token_env: 'MY_PACKETFS_TOKEN', policy: 'classic' }));
    const child = spawnCli(['serve', '--config', config], { MY_PACKETFS_TOKEN: 'from-env' });
    try {
      const url = await listeningUrl(child, SERVE_LINE);
      assert.equal((await fetch(`${url}/v1/substrates`)).status, 401);
      assert.equal((await fetch(`${url}/v1/substrates`, { headers: { authorization: 'Bearer from-env' } })).status, 200);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const viaCli = await runCliProcess(['substrates', '--json', '--server', url], { PACKETFS_TOKEN: 'from-env' });
      assert.equal(viaCli.code, 0, viaCli.stderr);
      child.kill('SIGINT');
      assert.equal(await exitCode(child), 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('bad config files and unsafe listening are usage errors (exit 2, one line naming the problem)', async () => {
    const write = async (name: string, content: unknown) => {
      const path = join(dir, name);
      await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
      return path;
    };
    const cases: Array<[string[], RegExp]> = [
      [['--config', await write('typo.json', { prot: 8080 })], /unknown key "prot"/],
      [['--config', await write('type.json', { port: '8080' })], /"port" must be an integer from 0 to 65535, got "8080"/],
      [['--config', await write('threads.json', { threads: 0 })], /"threads" must be an integer from 1 to 1024/],
      [['--config', await write('secret.json', { token: 'abc' })], /"token" is not allowed in a config file/],
      [['--config', await write('list.json', { allow_hosts: 'example.com' })], /"allow_hosts" must be an array/],
      [['--config', await write('broken.json', '{"port": ')], /is not valid JSON/],
      [['--config', join(dir, 'missing.json')], /cannot read config file/],
      [['--config', await write('unset.json', { token_env: 'PACKETFS_TEST_UNSET_VAR' })], /PACKETFS_TEST_UNSET_VAR is not set/],
      [['--host', '0.0.0.0', '--port', '0'], /refusing to listen on non-loopback host 0\.0\.0\.0 without a token/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['serve', '--data-dir', join(dir, 'unused'), ...args]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^packetfs: INVALID_REQUEST: /, args.join(' '));
      assert.match(run.stderr, message, args.join(' '));
      assert.equal(run.stdout, '');
    }
  });
});
