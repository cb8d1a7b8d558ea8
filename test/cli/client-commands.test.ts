import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { serveDispatcher, type Served } from '../server/harness.js';
import { runCli, runCliProcess } from './run-cli.js';

describe('packetfs client commands', () => {
  let served: Served;
  let file: string;
  let server: string[];

  before(async () => {
    served = await serveDispatcher();
    file = join(served.dataDir, 'digits.txt');
    await writeFile(file, '123456789');
    server = ['--server', served.url];
  });
  after(async () => { await served.close(); });

  test('submit --file … --op crc32c --wait prints the result', async () => {
    const run = await runCli(['submit', '--file', file, '--op', 'crc32c', '--wait', ...server]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^job \S+ succeeded on local in [\d.]+ ms: crc32c=3808858755 \(9 bytes\)\n$/);
  });

  test('submit --json --wait prints the result record; several ops', async () => {
    const run = await runCli(['submit', '--text', '123456789', '--ops', 'crc32c,counteq:55', '--offset', '1', '--wait', '30', '--json', ...server]);
    assert.equal(run.code, 0, run.stderr);
    const record = JSON.parse(run.stdout);
    assert.equal(record.status, 'succeeded');
    assert.equal(record.result[1].count, 1);
    assert.equal(record.result[1].bytes, 8);
  });

  test('submit prints the id; result, jobs, cancel follow it', async () => {
    const submitted = await runCli(['submit', '--data', Buffer.from('abc').toString('base64'), '--op', 'add', '--imm', '1', ...server]);
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = submitted.stdout.trim();
    assert.match(id, /^\S+$/);

    const result = await runCli(['result', id, '--wait', '30', '--json', ...server]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout).result, { sum: 0x62 + 0x63 + 0x64, bytes: 3 });

    const human = await runCli(['result', id, ...server]);
    assert.match(human.stdout, /sum=297 \(3 bytes\)/);

    const jobs = await runCli(['jobs', '--status', 'succeeded', '--limit', '1000', '--json', ...server]);
    assert.equal(jobs.code, 0, jobs.stderr);
    assert.ok(JSON.parse(jobs.stdout).jobs.some((j: { job_id: string }) => j.job_id === id));

    const cancel = await runCli(['cancel', id, ...server]);
    assert.equal(cancel.code, 1);
    assert.match(cancel.stderr, /^packetfs: CONFLICT: job \S+ has already finished\n$/);
  });

  test('a failed job exits 1 and says why', async () => {
    const run = await runCli(['submit', '--file', file, '--op', 'crc32c', '--length', '100', '--wait', ...server]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^job \S+ failed after 1 attempt: WINDOW_OUT_OF_RANGE: /);
  });

  test('substrates and metrics, as tables and as JSON', async () => {
    const table = await runCli(['substrates', ...server]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME\s+TYPE\s+HEALTHY/);
    assert.match(table.stdout, /^local\s+local\s+yes/m);
    const json = await runCli(['substrates', '--json', ...server]);
    assert.ok(JSON.parse(json.stdout).substrates.some((s: { name: string }) => s.name === 'local'));

    const metrics = await runCli(['metrics', '--limit', '50', '--json', ...server]);
    assert.equal(metrics.code, 0, metrics.stderr);
    assert.ok(Array.isArray(JSON.parse(metrics.stdout).metrics));
    const metricsTable = await runCli(['metrics', ...server]);
    assert.match(metricsTable.stdout, /recent jobs?\n/);
  });

  test('server errors: one line with code and path, exit 1', async () => {
    const run = await runCli(['submit', '--data', '***', '--op', 'crc32c', ...server]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^packetfs: INVALID_JOB: .+ \(at program\.data\)\n$/);
    const unknown = await runCli(['result', 'no-such-job', ...server]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^packetfs: NOT_FOUND: /);
  });

  test('PACKETFS_SERVER is the default server (a real process: the environment is its own)', async () => {
    const run = await runCliProcess(['substrates', '--json'], { PACKETFS_SERVER: served.url });
    assert.equal(run.code, 0, run.stderr);
  });
});

describe('packetfs usage errors and connection failures', () => {
  test('bad flags exit 2 with a message', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['submit', '--op', 'crc32c', '--imm', '300', '--text', 'x'], /--imm.*'300' is invalid.*0 to 255/],
      [['submit', '--op', 'nope', '--text', 'x'], /--op.*'nope' is invalid.*counteq/],
      [['submit', '--op', 'crc32c'], /exactly one data source/],
      [['submit', '--op', 'crc32c', '--text', 'x', '--data', 'eA=='], /exactly one data source.*--data, --text/],
      [['submit', '--text', 'x'], /exactly one of --op or --ops/],
      [['submit', '--ops', 'crc32c,counteq:999', '--text', 'x'], /imm must be an integer from 0 to 255/],
      [['submit', '--op', 'crc32c', '--file', '/nonexistent/file'], /cannot read \/nonexistent\/file/],
      [['submit', '--op', 'crc32c', '--text', 'x', '--wait', 'soon'], /--wait.*'soon' is invalid/],
      [['submit', '--op', 'crc32c', '--text', 'x', '--bogus'], /unknown option '--bogus'/],
      [['jobs', '--status', 'done'], /--status.*one of queued/],
      [['jobs', '--server', 'not a url'], /--server.*http\(s\) URL/],
      [['serve', '--port', 'abc'], /--port.*'abc' is invalid/],
      [['serve', '--policy', 'fastest'], /--policy.*cost-latency, classic/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^packetfs: INVALID_REQUEST: /, args.join(' '));
      assert.match(run.stderr, message, args.join(' '));
      assert.equal(run.stderr.trimEnd().split('\n').length, 1, `one line: ${run.stderr}`);
    }
  });

  test('--help and --version exit 0', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /submit/);
    const version = await runCli(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  });

  test('an unreachable server exits 1 with a clear error', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const run = await runCli(['substrates', '--server', `http://127.0.0.1:${port}`]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`^packetfs: UNREACHABLE: cannot reach the PacketFS server at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED\\n$`));
  });
});
