import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serveDispatcher, call, type Served } from '../server/harness.js';
import { Client, type ProgressEvent } from '../../src/sdk/client.js';
import { readServerEvents } from '../../src/sdk/event-stream.js';
import { formatProgressLine, ProgressBar } from '../../src/cli/progress-bar.js';
import { runCli } from '../cli/run-cli.js';
import { refCrc32c, refAdd } from '../ops/reference.js';

/** Split jobs over HTTP: progress on GET, the SSE events stream, the SDK's onProgress, and the CLI. */
describe('split jobs over HTTP', () => {
  let served: Served;
  let client: Client;
  const data = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 17 + (i >>> 10)) & 0xff);
  let blobId: string;

  before(async () => {
    served = await serveDispatcher();
    client = new Client({ baseUrl: served.url });
    blobId = (await client.uploadBlob(data)).blob_id;
  });
  after(() => served.close());

  it('streams progress and the result as Server-Sent Events', async () => {
    const submitted = await call(`${served.url}/v1/jobs`, { json: { job_id: 'sse', program: { op: 'crc32c', blob: blobId }, split: { window_bytes: 10_000 } } });
    assert.equal(submitted.status, 202);
    const response = await fetch(`${served.url}/v1/jobs/sse/events`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events: Array<{ event: string; data: any }> = [];
    for await (const e of readServerEvents(response.body!)) events.push({ event: e.event, data: JSON.parse(e.data) });
    const last = events.at(-1)!;
    assert.equal(last.event, 'result');
    assert.deepEqual(last.data.result, { crc32c: refCrc32c(data), bytes: data.length });
    const progress = events.filter((e) => e.event === 'progress');
    assert.ok(progress.length >= 1);
    assert.equal(progress[0]!.data.job_id, 'sse');
    const view = await call(`${served.url}/v1/jobs/sse`);
    assert.deepEqual(view.body.progress, { windows_total: 20, windows_done: 20, windows_failed: 0, bytes_total: data.length, bytes_done: data.length });
    assert.equal((await call(`${served.url}/v1/jobs/nope/events`)).status, 404);
  });

  it('SDK: waitForResult with onProgress reports progress up to the end', async () => {
    const { job_id } = await client.submitJob({ program: { op: 'add', imm: 3, blob: blobId, offset: 100 }, split: { window_bytes: 7_000 } });
    const seen: ProgressEvent[] = [];
    const record = await client.waitForResult(job_id, { onProgress: (e) => seen.push(e), timeoutS: 30 });
    assert.equal(record.status, 'succeeded');
    assert.deepEqual(record.result, { sum: refAdd(data.subarray(100), 3), bytes: data.length - 100 });
    assert.ok(seen.length >= 1);
    for (const e of seen) assert.equal(e.job_id, job_id);
    assert.deepEqual(record.progress, { windows_total: 29, windows_done: 29, windows_failed: 0, bytes_total: data.length - 100, bytes_done: data.length - 100 });
  });

  it('lists window jobs only with ?children=1, and checks the flag', async () => {
    const { job_id } = await client.submitJob({ program: { op: 'crc32c', blob: blobId }, split: { window_bytes: 50_000 } });
    await client.waitForResult(job_id, { timeoutS: 30 });
    const hidden = await call(`${served.url}/v1/jobs?status=succeeded&limit=1000`);
    assert.ok(!hidden.body.jobs.some((j: { job_id: string }) => j.job_id.startsWith(`${job_id}~`)));
    const shown = await call(`${served.url}/v1/jobs?status=succeeded&limit=1000&children=1`);
    assert.equal(shown.body.jobs.filter((j: { job_id: string }) => j.job_id.startsWith(`${job_id}~`)).length, 4);
    const bad = await call(`${served.url}/v1/jobs?status=succeeded&children=maybe`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.path, 'children');
  });

  it('CLI: blob put, submit --file --split auto --wait (plain in a pipe), jobs --children', async () => {
    const file = join(served.dataDir, 'big.bin');
    await writeFile(file, data);
    const server = ['--server', served.url];
    const put = await runCli(['blob', 'put', file, '--json', ...server]);
    assert.equal(put.code, 0, put.stderr);
    assert.deepEqual(JSON.parse(put.stdout), { blob_id: blobId, size: data.length, crc32c: refCrc32c(data) });
    assert.equal(put.stderr, '', 'no bar outside a terminal');
    const submit = await runCli(['submit', '--file', file, '--op', 'crc32c', '--split', 'auto', '--wait', ...server]);
    assert.equal(submit.code, 0, submit.stderr);
    assert.match(submit.stdout, new RegExp(`^job \\S+ succeeded on split in [\\d.]+ ms: crc32c=${refCrc32c(data)} \\(${data.length} bytes\\)\\n$`));
    assert.equal(submit.stderr, '');
    const json = await runCli(['submit', '--file', file, '--op', 'crc32c', '--split', '16k', '--wait', '--json', ...server]);
    const record = JSON.parse(json.stdout);
    assert.equal(record.progress.windows_total, Math.ceil(data.length / 16384));
    const listed = await runCli(['jobs', '--status', 'succeeded', '--children', '--limit', '1000', '--json', ...server]);
    assert.ok(JSON.parse(listed.stdout).jobs.some((j: { job_id: string }) => j.job_id === `${record.job_id}~0`));
    const badSplit = await runCli(['submit', '--file', file, '--op', 'crc32c', '--split', 'fast', ...server]);
    assert.equal(badSplit.code, 2);
  });

  it('the progress bar draws bytes, rate and ETA on a terminal and nothing elsewhere', () => {
    assert.equal(formatProgressLine('compute', 512 * 1024 * 1024, 1024 * 1024 * 1024, 2, 'windows 4/8'),
      'compute [############············]   50%  512.0 MiB/1.0 GiB  256.0 MiB/s  ETA 2s  windows 4/8');
    const written: string[] = [];
    let t = 0;
    const tty = new ProgressBar('upload', { isTTY: true, columns: 200, write: (s: string) => written.push(s) }, () => t);
    t = 1000;
    tty.update(10, 100);
    t = 1010;
    tty.update(20, 100);
    t = 2000;
    tty.update(100, 100);
    tty.done();
    assert.equal(written.length, 3, 'throttled: the second update is skipped');
    assert.ok(written[0]!.endsWith('\x1b[K'), 'the line clears to its end');
    assert.match(written[0]!.slice(0, -3), /^\rupload \[##·+\] {3}10% {2}10 B\/100 B {2}10 B\/s {2}ETA 9s$/);
    assert.match(written[1]!, /100%.*done/);
    assert.equal(written[2], '\n');
    const piped: string[] = [];
    const plain = new ProgressBar('upload', { isTTY: false, write: (s: string) => piped.push(s) });
    plain.update(1, 2);
    plain.done();
    assert.deepEqual(piped, []);
  });
});
