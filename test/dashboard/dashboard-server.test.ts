import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFrames } from '../../src/dashboard/frame-stream.js';
import type { DashboardFrame } from '../../src/dashboard/snapshot.js';
import { PacketFSError } from '../../src/errors.js';
import { ensureBrowserAssets } from '../browser/chromium.js';
import { runCli, runCliProcess } from '../cli/run-cli.js';
import { startLoopbackServer } from '../fixtures/loopback-server.js';
import { eventually } from '../helpers/redis-server.js';
import { MAX_DASHBOARD_STREAMS } from '../../src/server/routes/dashboard.js';
import { RawNode } from '../nodes/raw-node.js';
import { call, NINE_DIGITS_B64, serveDispatcher, type Served } from '../server/harness.js';

/** Reads frames until `until` holds for one (resolves with it); fails after 15 s. */
async function frameWhere(url: string, until: (f: DashboardFrame) => boolean, token?: string): Promise<DashboardFrame> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 15_000);
  let found: DashboardFrame | null = null;
  try {
    await readFrames({ baseUrl: url, signal: controller.signal, ...(token === undefined ? {} : { token }) }, (frame) => {
      if (found === null && until(frame)) {
        found = frame;
        controller.abort();
      }
    });
  } finally {
    clearTimeout(timer);
  }
  if (found === null) assert.fail('no matching dashboard frame within 15 s');
  return found;
}

describe('dashboard routes (memory store, with a token)', () => {
  const token = 'dash-token-1';
  let served: Served;
  before(async () => {
    await ensureBrowserAssets();
    served = await serveDispatcher({ server: { token }, dispatcher: { dashboardIntervalMs: 200, storeKind: 'memory' } });
  });
  after(async () => { await served?.close(); });

  test('GET / redirects browsers to /dashboard and gives JSON clients an index; the pages need no token', async () => {
    const redirect = await fetch(`${served.url}/`, { redirect: 'manual', headers: { accept: 'text/html,application/xhtml+xml,*/*' } });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), '/dashboard');
    const index = await call(`${served.url}/`, { headers: { accept: 'application/json' } });
    assert.equal(index.status, 200);
    assert.equal(index.body.pages.dashboard, '/dashboard');
    assert.equal(index.body.api.dashboard_stream, '/v1/dashboard/stream');
    const page = await call(`${served.url}/dashboard`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    assert.match(page.body, /data-metric="jobs-succeeded"/);
  });

  test('the bundles are named by content hash and cached for good; revalidation is a 304; unknown names are 404', async () => {
    const page = await call(`${served.url}/dashboard`);
    const bundles = [...(page.body as string).matchAll(/\/dashboard\/assets\/(app-[0-9a-f]{8}\.(?:js|css))/g)].map((m) => m[1]!);
    assert.equal(bundles.length, 2);
    for (const name of bundles) {
      const first = await fetch(`${served.url}/dashboard/assets/${name}`);
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.match(first.headers.get('content-type') ?? '', name.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      assert.ok((await first.arrayBuffer()).byteLength > 1000);
      const again = await fetch(`${served.url}/dashboard/assets/${name}`, { headers: { 'if-none-match': first.headers.get('etag')! } });
      assert.equal(again.status, 304);
    }
    for (const bad of ['app-00000000.js', 'app-1.js', '..%2Fdashboard.html', 'app-abcdef12.html']) {
      const reply = await call(`${served.url}/dashboard/assets/${bad}`);
      assert.equal(reply.status, 404, bad);
      assert.equal(reply.body.error.code, 'NOT_FOUND');
    }
  });

  test('the stream and the frame route need the token; frames count finished jobs and list failures with their code', async () => {
    const refused = await call(`${served.url}/v1/dashboard/stream`);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, 'UNAUTHORIZED');
    await assert.rejects(readFrames({ baseUrl: served.url }, () => {}), (err: unknown) => err instanceof PacketFSError && err.code === 'UNAUTHORIZED');
    assert.equal((await call(`${served.url}/v1/dashboard`)).status, 401);

    const headers = { authorization: `Bearer ${token}` };
    const jobs = [...Array.from({ length: 20 }, () => ({ program: { op: 'crc32c', data: NINE_DIGITS_B64 } })),
      { job_id: 'dash-bad-url', program: { op: 'crc32c', data_url: 'http://127.0.0.1:1/nothing' } }];
    const submitted = await call(`${served.url}/v1/jobs`, { json: { jobs }, headers });
    assert.equal(submitted.status, 202);
    // the rate averages complete seconds: it moves once the second the jobs finished in is over
    const one = await eventually('the frame route counts the 20 jobs', async () => {
      const reply = await call(`${served.url}/v1/dashboard`, { headers });
      return reply.body.totals?.succeeded === 20 ? reply : undefined;
    });
    assert.equal(one.status, 200);
    assert.equal(one.headers.get('cache-control'), 'no-store');
    const frame = await frameWhere(served.url, (f) => f.totals.succeeded >= 20 && f.totals.failed >= 1 && f.jobs_per_second > 0, token);
    assert.equal(frame.dispatchers.length, 1);
    assert.equal(frame.dispatchers[0]!.store, 'memory');
    assert.ok(frame.jobs_per_second > 0);
    assert.ok(frame.latency_p50_ms !== null && frame.latency_p99_ms! >= frame.latency_p50_ms);
    assert.ok(frame.series_succeeded.reduce((a, b) => a + b, 0) >= 20);
    assert.deepEqual(frame.substrates.map((s) => s.name).sort(), ['browser', 'local', 'volunteer']);
    assert.equal(frame.substrates.find((s) => s.name === 'local')!.succeeded, 20);
    assert.deepEqual(frame.failures.map((f) => [f.job_id, f.code]), [['dash-bad-url', 'DATA_URL_FORBIDDEN']]);
  });

  test('packetfs top prints the same numbers once, plain in a pipe, and refuses without the token', async () => {
    const plain = await runCliProcess(['top', '--once', '--server', served.url], { PACKETFS_TOKEN: token });
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^packetfs top — /);
    assert.match(plain.stdout, /succeeded 20 {3}failed 1 /);
    assert.match(plain.stdout, /^local +healthy +closed/m);
    assert.ok(!plain.stdout.includes('\x1b['), 'no escape codes outside a terminal');
    const json = await runCli(['top', '--once', '--json', '--server', served.url, '--token', token]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal((JSON.parse(json.stdout) as DashboardFrame).totals.failed, 1);
    const refused = await runCli(['top', '--once', '--server', served.url]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^packetfs: UNAUTHORIZED: /);
  });
});

test('a running split job is listed with its progress, and the progress only moves forward', async () => {
  const served = await serveDispatcher({ dispatcher: { dashboardIntervalMs: 50, storeKind: 'sqlite' } });
  try {
    const blob = await served.dispatcher.blobs.put(new Uint8Array(16 * 1024 * 1024).fill(7));
    const { job_id } = await served.dispatcher.submitJob({ program: { op: 'counteq', imm: 7, blob: blob.blob_id }, split: { window_bytes: 16 * 1024 } });
    const frame = await frameWhere(served.url, (f) => f.splits.some((s) => s.job_id === job_id));
    const { progress } = frame.splits.find((s) => s.job_id === job_id)!;
    assert.equal(progress.windows_total, 1024);
    assert.equal(progress.bytes_total, 16 * 1024 * 1024);
    assert.ok(progress.windows_done <= progress.windows_total && progress.bytes_done <= progress.bytes_total);
    const result = await served.dispatcher.getResult(job_id, { wait: 60 });
    assert.equal(result?.status, 'succeeded');
    // finished: it leaves the list
    await frameWhere(served.url, (f) => !f.splits.some((s) => s.job_id === job_id));
  } finally {
    await served.close();
  }
});

test('volunteers show by kind, and a node that ran jobs shows its throughput, reputation and state', async () => {
  const served = await serveDispatcher({ dispatcher: { dashboardIntervalMs: 50, storeKind: 'sqlite' } });
  const { node } = await RawNode.register(served.url, { slots: 2 });
  try {
    const ids = await served.dispatcher.submitJobs(Array.from({ length: 4 }, (_, i) => ({ job_id: `v-${i}`, substrates: ['volunteer'], program: { op: 'crc32c', data: NINE_DIGITS_B64 } })));
    for (let answered = 0; answered < ids.length;) {
      const assign = await node.next();
      node.answer(assign.jobs);
      answered += assign.jobs.length;
    }
    for (const { job_id } of ids) assert.equal((await served.dispatcher.getResult(job_id, { wait: 10 }))?.status, 'succeeded');
    const frame = await frameWhere(served.url, (f) => f.top_by_throughput.length === 1 && f.top_by_throughput[0]!.completed === 4);
    assert.deepEqual(frame.nodes_by_kind, { node: 1 });
    assert.equal(frame.nodes_connected, 1);
    const row = frame.top_by_throughput[0]!;
    assert.equal(row.kind, 'node');
    assert.ok(row.throughput_bps !== null && row.throughput_bps > 0);
    assert.equal(typeof row.reputation, 'number');
    assert.equal(typeof row.state, 'string');
    assert.deepEqual(frame.top_by_reputation.map((n) => n.node_id), [row.node_id]);
  } finally {
    await node.close();
    await served.close();
  }
});

test('closing the server ends open streams instead of waiting for them', async () => {
  const served = await serveDispatcher({ dispatcher: { dashboardIntervalMs: 100 } });
  let frames = 0;
  const first = new Promise<void>((resolve) => {
    void readFrames({ baseUrl: served.url }, () => { if (++frames === 1) resolve(); }).catch(() => undefined);
  });
  await first;
  await served.close();
  assert.ok(frames >= 1);
});

test('the 65th concurrent stream is refused with 429 TOO_MANY_STREAMS, and closing a stream frees its slot', async () => {
  const served = await serveDispatcher({ dispatcher: { dashboardIntervalMs: 1000 } });
  const streams: AbortController[] = [];
  const open = async (): Promise<Response> => {
    const controller = new AbortController();
    const response = await fetch(`${served.url}/v1/dashboard/stream`, { signal: controller.signal });
    if (response.status === 200) streams.push(controller);
    else await response.body?.cancel();
    return response;
  };
  try {
    assert.equal(MAX_DASHBOARD_STREAMS, 64);
    const replies = await Promise.all(Array.from({ length: MAX_DASHBOARD_STREAMS }, open));
    assert.deepEqual([...new Set(replies.map((r) => r.status))], [200]);
    const refused = await call(`${served.url}/v1/dashboard/stream`);
    assert.equal(refused.status, 429);
    assert.match(refused.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(Object.keys(refused.body), ['error']);
    assert.equal(refused.body.error.code, 'TOO_MANY_STREAMS');
    assert.match(refused.body.error.message, /64 dashboard streams/);
    // the SDK-side reader reports the same code
    await assert.rejects(readFrames({ baseUrl: served.url }, () => {}), (err: unknown) => err instanceof PacketFSError && err.code === 'TOO_MANY_STREAMS');

    streams.shift()!.abort();
    // the server sees the socket close on its own time: retry until the freed slot is given out
    const again = await eventually('a freed slot', async () => {
      const reply = await open();
      return reply.status === 200 ? reply : undefined;
    });
    assert.equal(again.status, 200);
    assert.equal((await call(`${served.url}/v1/dashboard/stream`)).status, 429, 'only the one slot was freed');
  } finally {
    for (const controller of streams) controller.abort();
    await served.close();
  }
});

test('top --once prints exactly one frame when one network chunk brings several', async () => {
  const server = await startLoopbackServer((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('data: {"n":1}\n\ndata: {"n":2}\n\ndata: {"n":3}\n\n');
  });
  try {
    const run = await runCli(['top', '--once', '--json', '--server', server.url]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown), [{ n: 1 }]);
  } finally {
    await server.close();
  }
});
