import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher } from '../../src/dispatcher/dispatcher.js';
import type { DispatcherOptions } from '../../src/dispatcher/options.js';
import { silentLogger } from '../../src/logger.js';
import { childJobId } from '../../src/job/split-spec.js';
import { ScriptedSubstrate } from '../helpers/scripted-substrate.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { until } from '../helpers/eventually.js';
import { refCounteq, refCrc32c, refFnv64 } from '../ops/reference.js';

/**
 * A split job's life: data_url servers that serve ranges, ignore them, or
 * change size mid-job; cancelling mid-split; a window failing on one
 * substrate and succeeding on another; a window failing for good.
 */
interface DataUrlServer {
  url: string;
  /** the bytes served; replace to change the file mid-job */
  data: Uint8Array;
  /** false: answer every request 200 with the whole file */
  ranges: boolean;
  /** window requests (not the size probe) wait for this when set */
  gate: Promise<void> | null;
  /** window requests are answered this much later */
  delayMs: number;
  windowRequests: number;
  close(): Promise<void>;
}

async function startDataUrlServer(data: Uint8Array): Promise<DataUrlServer> {
  const state: DataUrlServer = { url: '', data, ranges: true, gate: null, delayMs: 0, windowRequests: 0, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const serve = (): void => {
      const bytes = state.data;
      const match = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (!state.ranges || match === null) {
        res.writeHead(200, { 'content-length': String(bytes.length) }).end(bytes);
        return;
      }
      const start = Number(match[1]);
      const end = Math.min(match[2] === '' ? bytes.length - 1 : Number(match[2]), bytes.length - 1);
      if (start >= bytes.length) {
        res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
        return;
      }
      res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${bytes.length}`, 'content-length': String(end - start + 1) })
        .end(bytes.subarray(start, end + 1));
    };
    if (req.headers.range === 'bytes=0-0') return serve();
    state.windowRequests++;
    const later = (): void => { setTimeout(serve, state.delayMs); };
    if (state.gate === null) return later();
    void state.gate.then(later);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/file.bin`;
  state.close = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return state;
}

const pattern = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed + (i >>> 8)) & 0xff);

describe('split job lifecycle', () => {
  let dir: string;
  const open: Dispatcher[] = [];
  async function make(opts: DispatcherOptions = {}): Promise<Dispatcher> {
    const d = await Dispatcher.create({ dataDir: join(dir, String(open.length)), storeKind: 'memory', threads: 1, logger: silentLogger, nodes: false, allowPrivateDataUrls: true, probeIntervalMs: 50, ...opts });
    open.push(d);
    return d;
  }
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'pfs-split-life-')); });
  after(async () => {
    await Promise.all(open.map((d) => d.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a data_url that answers 206 window by window, fnv64 chained in order', async () => {
    const d = await make();
    const data = pattern(50_000);
    const server = await startDataUrlServer(data);
    try {
      await d.submitJob({ job_id: 'u206', program: { ops: ['crc32c', 'fnv64', { op: 'counteq', imm: 9 }], data_url: server.url, offset: 3 }, split: { window_bytes: 4096 } });
      const record = await d.getResult('u206', { wait: 20 });
      assert.equal(record?.status, 'succeeded', JSON.stringify(record?.error));
      const range = data.subarray(3);
      assert.deepEqual(record.result, [
        { crc32c: refCrc32c(range), bytes: range.length },
        { fnv64: refFnv64(range), bytes: range.length },
        { count: refCounteq(range, 9), bytes: range.length },
      ]);
      assert.equal(server.windowRequests, Math.ceil(range.length / 4096));
      // window 1 started from window 0's state
      const second = await d.getJob(childJobId('u206', 1));
      const first = await d.getJob(childJobId('u206', 0));
      const state0 = (first!.result!.result as Array<{ fnv64?: string }>)[1]!.fnv64;
      assert.equal(state0, refFnv64(data.subarray(3, 3 + 4096)));
      assert.equal((second!.result!.result as Array<{ fnv64?: string }>)[1]!.fnv64, refFnv64(data.subarray(3, 3 + 8192)));
    } finally {
      await server.close();
    }
  });

  it('refuses to split a data_url whose server ignores Range, and runs it as one window', async () => {
    const d = await make();
    const data = pattern(20_000);
    const server = await startDataUrlServer(data);
    server.ranges = false;
    try {
      await d.submitJob({ job_id: 'norange', program: { op: 'crc32c', data_url: server.url }, split: { window_bytes: 1000 } });
      const refused = await d.getResult('norange', { wait: 10 });
      assert.equal(refused?.status, 'failed');
      assert.equal(refused.error?.code, 'DATA_FETCH_FAILED');
      assert.match(refused.error!.message, /ignores Range/);
      assert.equal(refused.error!.path, 'program.data_url');
      assert.equal(server.windowRequests, 0);
      await d.submitJob({ job_id: 'norange-one', program: { op: 'crc32c', data_url: server.url }, split: 'auto' });
      const whole = await d.getResult('norange-one', { wait: 10 });
      assert.deepEqual(whole?.result, { crc32c: refCrc32c(data), bytes: data.length });
    } finally {
      await server.close();
    }
  });

  it('fails clearly when the data_url changes size mid-job', async () => {
    const d = await make();
    const server = await startDataUrlServer(pattern(40_000));
    let release!: () => void;
    server.gate = new Promise((r) => { release = r; });
    try {
      await d.submitJob({ job_id: 'resized', program: { op: 'crc32c', data_url: server.url }, split: { window_bytes: 10_000 } });
      await until('the first window request', () => server.windowRequests >= 1);
      server.data = pattern(25_000, 2);
      release();
      const record = await d.getResult('resized', { wait: 20 });
      assert.equal(record?.status, 'failed');
      assert.equal(record.error?.code, 'DATA_FETCH_FAILED');
      assert.match(record.error!.message, /changed size during the split job \(40000 bytes when it started, 25000 now\)/);
    } finally {
      await server.close();
    }
  });

  it('cancelling the parent mid-split cancels its outstanding windows and writes nothing after', async () => {
    const d = await make();
    const server = await startDataUrlServer(pattern(200_000));
    let release!: () => void;
    server.gate = new Promise((r) => { release = r; });
    try {
      await d.submitJob({ job_id: 'cancel-me', program: { op: 'crc32c', data_url: server.url }, split: { window_bytes: 1000 } });
      await until('windows to start', () => server.windowRequests >= 1);
      const running = await d.getJob('cancel-me');
      assert.equal(running?.status, 'running');
      assert.equal(running.progress?.windows_total, 200);
      assert.equal(await d.cancel('cancel-me'), 'cancelled');
      release();
      const record = await d.getResult('cancel-me', { wait: 5 });
      assert.equal(record?.status, 'cancelled');
      // every window that existed ends up finished: cancelled, or done before the cancel landed. The
      // parent's run cancels them as it stops, after cancel() answered, each a commit of its own: wait, bounded
      const windowsOf = async (status: 'cancelled' | 'queued') =>
        (await d.listJobs({ status, limit: 1000, children: true })).jobs.filter((j) => j.job_id.startsWith('cancel-me~'));
      await until('the outstanding windows to be cancelled', async () => (await windowsOf('cancelled')).length > 0 && (await windowsOf('queued')).length === 0);
      const cancelledWindows = await windowsOf('cancelled');
      assert.ok(cancelledWindows.length > 0);
      for (const w of cancelledWindows) assert.equal((await d.getJob(w.job_id))?.parent_id, 'cancel-me');
      assert.deepEqual(await windowsOf('queued'), []);
      // the parent record stays cancelled; no new windows appear
      const later = await d.getResult('cancel-me', { wait: 0 });
      assert.equal(later?.status, 'cancelled');
    } finally {
      release();
      await server.close();
    }
  });

  it('a window that fails on one substrate is retried on another and the result is still exact', async () => {
    const flaky = new ScriptedSubstrate('flaky', { latency_ms: 0, max_concurrent_jobs: 64 }).failNext(10_000);
    const d = await make({ substrates: [flaky] });
    const data = pattern(30_000);
    const blob = await d.blobs.put(data);
    await d.submitJob({ job_id: 'failover', program: { op: 'crc32c', blob: blob.blob_id }, split: { window_bytes: 3000 }, max_attempts: 3 });
    const record = await d.getResult('failover', { wait: 20 });
    assert.equal(record?.status, 'succeeded', JSON.stringify(record?.error));
    assert.deepEqual(record.result, { crc32c: refCrc32c(data), bytes: data.length });
    assert.ok(flaky.executed.length > 0, 'the flaky substrate got windows');
    assert.deepEqual(record.split_substrates, { local: 10 });
    const failedOver = await d.getJob(flaky.executed[0]!);
    assert.equal(failedOver?.result?.substrate, 'local');
    assert.equal(failedOver.result?.attempt_errors?.[0]?.substrate, 'flaky');
  });

  it('a window that fails for good fails the parent with its range and error', async () => {
    const broken = new ScriptedSubstrate('broken').failNext(10_000, 'SUBSTRATE_FAILED');
    const d = await make({ substrates: [broken], local: false });
    const blob = await d.blobs.put(pattern(5000));
    await d.submitJob({ job_id: 'doomed', program: { op: 'crc32c', blob: blob.blob_id }, split: { window_bytes: 2000 }, max_attempts: 2 });
    const record = await d.getResult('doomed', { wait: 20 });
    assert.equal(record?.status, 'failed');
    assert.equal(record.error?.code, 'SUBSTRATE_FAILED');
    assert.match(record.error!.message, /^window \d of 3 \(bytes \d+\.\.\d+\) failed after 2 attempts: broken scripted failure/);
    assert.ok(record.progress!.windows_failed >= 1);
  });
});


describe('split jobs on the Redis store, across a dispatcher restart', () => {
  let redis: RedisServer;
  let dir: string;
  before(async () => {
    redis = await startRedis();
    dir = await mkdtemp(join(tmpdir(), 'pfs-split-redis-'));
  });
  after(async () => {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a restarted dispatcher resumes the split: finished windows are not run again', { timeout: 30_000 }, async () => {
    const opts = { dataDir: dir, redisUrl: redis.url, logger: silentLogger, nodes: false, probeIntervalMs: 50, leaseMs: 1000, allowPrivateDataUrls: true } as const;
    const first = await Dispatcher.create({ ...opts, threads: 1 });
    const data = pattern(40_000, 3);
    const server = await startDataUrlServer(data);
    // fnv64 chains the windows one after another; 50 ms each keeps the split running while we stop
    server.delayMs = 50;
    await first.submitJob({ job_id: 'resumed', program: { ops: ['crc32c', 'fnv64'], data_url: server.url }, split: { window_bytes: 2_000 } });
    // stop the dispatcher once two windows are done
    await until('two windows to finish', async () => ((await first.getJob('resumed'))?.progress?.windows_done ?? 0) >= 2, 20_000);
    const doneBefore = (await first.getJob(childJobId('resumed', 0)))?.result?.completed_at;
    await first.close();
    const second = await Dispatcher.create({ ...opts, threads: 1 });
    try {
      const record = await second.getResult('resumed', { wait: 20 });
      assert.equal(record?.status, 'succeeded', JSON.stringify(record?.error));
      assert.deepEqual(record.result, [{ crc32c: refCrc32c(data), bytes: data.length }, { fnv64: refFnv64(data), bytes: data.length }]);
      assert.equal(record.attempts, 2, 'the second dispatcher took the parent over');
      assert.equal(record.attempt_errors?.[0]?.code, 'SHUTTING_DOWN');
      assert.equal(server.windowRequests, 20, 'each window was read once');
      assert.equal((await second.getJob(childJobId('resumed', 0)))?.result?.completed_at, doneBefore, 'window 0 ran once');
      assert.equal((await second.getJob(childJobId('resumed', 19)))?.parent_id, 'resumed');
    } finally {
      await second.close();
      await server.close();
    }
  });
});

describe('split progress across dispatchers sharing one Redis', () => {
  let redis: RedisServer;
  let dir: string;
  before(async () => {
    redis = await startRedis();
    dir = await mkdtemp(join(tmpdir(), 'pfs-split-shared-'));
  });
  after(async () => {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Polls a dispatcher's view of a job until `check` holds; returns that view's progress. */
  async function progressOn(d: Dispatcher, jobId: string, check: (p: NonNullable<Awaited<ReturnType<Dispatcher['getJob']>>>) => boolean, what: string) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const view = await d.getJob(jobId);
      if (view !== null && check(view)) return view;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(view)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('every dispatcher shows a running split\'s live progress, and a cancelled parent keeps its progress', { timeout: 40_000 }, async () => {
    const opts = { redisUrl: redis.url, logger: silentLogger, nodes: false, probeIntervalMs: 50, allowPrivateDataUrls: true, threads: 1 } as const;
    const a = await Dispatcher.create({ ...opts, dataDir: join(dir, 'a') });
    const b = await Dispatcher.create({ ...opts, dataDir: join(dir, 'b') });
    const data = pattern(40_000, 5);
    const server = await startDataUrlServer(data);
    // fnv64 chains the 20 windows one after another, 40 ms each: about a second of progress to watch
    server.delayMs = 40;
    try {
      await a.submitJob({ job_id: 'shared', program: { ops: ['fnv64'], data_url: server.url }, split: { window_bytes: 2_000 } });
      await progressOn(a, 'shared', () => a.split.runsHere('shared') || b.split.runsHere('shared'), 'a coordinator');
      const coordinator = a.split.runsHere('shared') ? a : b;
      const other = coordinator === a ? b : a;
      // the other process sees the windows advance while the job runs, not only its final record
      const seen = await progressOn(other, 'shared', (v) => v.status === 'running' && (v.progress?.windows_done ?? 0) >= 3, 'live progress on the other dispatcher');
      assert.equal(seen.progress?.windows_total, 20);
      assert.equal(seen.progress?.bytes_total, data.length);
      assert.ok(seen.progress!.bytes_done >= 3 * 2_000);
      const done = await other.getResult('shared', { wait: 20 });
      assert.equal(done?.status, 'succeeded', JSON.stringify(done?.error));
      assert.deepEqual(done.progress, { windows_total: 20, windows_done: 20, windows_failed: 0, bytes_total: data.length, bytes_done: data.length });
      assert.deepEqual((await other.getJob('shared'))?.progress, done.progress);

      // cancelled through the dispatcher that does not coordinate it: both show the cancelled record with its progress
      await a.submitJob({ job_id: 'cut', program: { ops: ['fnv64'], data_url: server.url }, split: { window_bytes: 2_000 } });
      await progressOn(a, 'cut', () => a.split.runsHere('cut') || b.split.runsHere('cut'), 'a coordinator');
      const cutOther = a.split.runsHere('cut') ? b : a;
      const before = await progressOn(cutOther, 'cut', (v) => (v.progress?.windows_done ?? 0) >= 2, 'progress before the cancel');
      assert.equal(await cutOther.cancel('cut'), 'cancelled');
      for (const d of [a, b]) {
        const record = await d.getResult('cut');
        assert.equal(record?.status, 'cancelled');
        assert.ok((record.progress?.windows_done ?? 0) >= before.progress!.windows_done, JSON.stringify(record.progress));
        assert.ok(record.progress!.windows_done < 20);
        assert.equal(record.progress!.windows_total, 20);
        const view = await d.getJob('cut');
        assert.equal(view?.status, 'cancelled');
        assert.deepEqual(view.progress, record.progress);
      }
    } finally {
      await a.close();
      await b.close();
      await server.close();
    }
  });
});
