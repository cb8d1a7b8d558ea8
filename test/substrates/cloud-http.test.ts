import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher } from '../../src/dispatcher/dispatcher.js';
import type { DispatcherOptions } from '../../src/dispatcher/options.js';
import { silentLogger } from '../../src/logger.js';
import { startHttpWorker, type HttpWorker } from '../../src/runtimes/http-server/index.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { CloudflareSubstrate } from '../../src/substrates/cloudflare/cloudflare-substrate.js';
import { CloudRunSubstrate } from '../../src/substrates/cloudrun/cloudrun-substrate.js';
import { FlySubstrate } from '../../src/substrates/fly/fly-substrate.js';
import { VercelSubstrate } from '../../src/substrates/vercel/vercel-substrate.js';
import type { Substrate } from '../../src/substrates/substrate.js';
import { checkedJobs, execRequests } from '../fixtures/cloud-jobs.js';
import { startFlyMachinesApi } from '../fixtures/fly-machines-api.js';
import { startMetadataServer } from '../fixtures/gce-metadata-server.js';
import { freePort } from '../fixtures/loopback-server.js';

/**
 * The HTTP adapters end to end: a dispatcher places jobs on the adapter,
 * which posts them to the real Node HTTP worker server (the runtime Fly and
 * Cloud Run run), with each provider's authentication.
 */
const TOKEN = 'worker-token-for-tests';

describe('HTTP compute adapters', () => {
  let dir: string;
  let worker: HttpWorker;
  const closers: Array<() => Promise<void>> = [];

  async function dispatcherWith(substrate: Substrate, opts: DispatcherOptions = {}): Promise<Dispatcher> {
    const d = await Dispatcher.create({ dataDir: join(dir, substrate.name), storeKind: 'memory', logger: silentLogger, local: false, substrates: [substrate], probeIntervalMs: 100, ...opts });
    closers.push(() => d.close());
    return d;
  }

  async function runChecked(d: Dispatcher, name: string, count: number): Promise<void> {
    // within the edge runtimes' declared limits (128 MB, 25 s); the defaults (256 MB, 30 s) would fit nowhere here
    const jobs = checkedJobs(count, name, { required_memory_mb: 128, required_duration_s: 10 });
    await d.submitJobs(jobs.map((j) => j.job));
    const results = await Promise.all(jobs.map((j) => d.getResult(j.job.job_id, { wait: 30 })));
    results.forEach((r, i) => {
      assert.equal(r?.status, 'succeeded', JSON.stringify(r));
      assert.equal(r.substrate, name);
      assert.deepEqual(r.result, jobs[i]!.expected);
    });
    const metrics = await d.getMetrics(count);
    assert.equal(metrics.substrates[name]?.succeeded, count);
    assert.equal(typeof metrics.substrates[name]?.total_cost_usd, 'number');
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pfs-cloud-http-'));
    worker = await startHttpWorker({ port: 0, host: '127.0.0.1', token: TOKEN, allowPrivate: true, handleSignals: false });
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
    await worker.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('cloudflare: runs jobs with the bearer token and never shows it', async () => {
    const cf = new CloudflareSubstrate({ name: 'cf', url: worker.url, token: TOKEN, limits: { max_batch: 64 } });
    const d = await dispatcherWith(cf);
    await runChecked(d, 'cf', 500);
    const views = JSON.stringify(await d.listSubstrates());
    assert.ok(!views.includes(TOKEN));
    assert.match(views, /"per_invocation"/);
  });

  it('vercel: a wrong token fails over as a retryable substrate failure', async () => {
    const wrong = new VercelSubstrate({ name: 'vc-wrong', url: worker.url, token: 'not-the-token' });
    const [outcome] = await wrong.execute(execRequests(checkedJobs(1, 'wrong')));
    assert.ok(outcome && !outcome.ok);
    assert.equal(outcome.retryable, true);
    assert.ok(!outcome.error.message.includes('not-the-token'));
    await wrong.close();
    const vc = new VercelSubstrate({ name: 'vc', url: worker.url, token: TOKEN });
    await runChecked(await dispatcherWith(vc), 'vc', 200);
  });

  it('cloudrun: mints one Google ID token from the metadata server and reuses it', async () => {
    const metadata = await startMetadataServer();
    closers.push(() => metadata.close());
    // the service accepts exactly the token the metadata server mints with the service URL as audience
    const port = await freePort();
    const serviceUrl = `http://127.0.0.1:${port}`;
    const service = await startHttpWorker({ port, host: '127.0.0.1', token: metadata.tokenFor(serviceUrl), allowPrivate: true, handleSignals: false });
    closers.push(() => service.close());
    const run = new CloudRunSubstrate({ name: 'run', url: serviceUrl, idToken: { metadataUrl: metadata.url }, limits: { max_batch: 50 } });
    await runChecked(await dispatcherWith(run), 'run', 300);
    assert.equal(metadata.requests, 1);
    assert.deepEqual(new Set(metadata.audiences), new Set([serviceUrl]));
  });

  it('fly: starts stopped machines for the queue, then stops the extras when idle', async () => {
    const api = await startFlyMachinesApi('packetfs', 'fly-api-token', [
      { id: '3d8d9e1b', state: 'stopped' }, { id: '9185e0a7', state: 'stopped' }, { id: '148ed193', state: 'stopped' },
    ]);
    closers.push(() => api.close());
    const fly = new FlySubstrate({
      name: 'fly', url: worker.url, token: TOKEN,
      machines: { app: 'packetfs', apiToken: 'fly-api-token', apiUrl: api.url, min: 1, max: 2, jobsPerMachine: 50, idleStopMs: 0 },
    });
    const d = await dispatcherWith(fly);
    // start() brought the pool to its minimum
    assert.equal(api.machines.filter((m) => m.state === 'started').length, 1);
    await runChecked(d, 'fly', 400);
    // the second machine starts in the background while the first takes jobs: wait for that start, not a guess
    await fly.scalingSettled();
    assert.equal(api.machines.filter((m) => m.state === 'started').length, 2, api.calls.join('\n'));
    assert.ok(api.calls.some((c) => /^GET \/v1\/apps\/packetfs\/machines\/\w+\/wait\?state=started/.test(c)));
    await fly.stopIdleMachines();
    assert.equal(api.machines.filter((m) => m.state === 'started').length, 1);
    assert.ok(api.calls.some((c) => /^POST \/v1\/apps\/packetfs\/machines\/\w+\/stop$/.test(c)));
    assert.equal(fly.activeMachines, 1);
  });

  it('rewrites blob jobs to the public origin; without one they fail without retry', async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const cf = new CloudflareSubstrate({ name: 'cf-blobs', url: worker.url, token: TOKEN, publicOrigin: origin });
    const d = await dispatcherWith(cf, { publicOrigins: [origin] });
    const server: RunningServer = await startServer(d, { host: '127.0.0.1', port });
    closers.push(() => server.close());
    const put = await fetch(`${origin}/v1/blobs`, { method: 'PUT', body: '0123456789abcdef' });
    const { blob_id } = await put.json() as { blob_id: string };
    const small = { required_memory_mb: 128, required_duration_s: 10 };
    const { job_id } = await d.submitJob({ program: { op: 'counteq', imm: 0x61, blob: blob_id, offset: 8, length: 8 }, ...small });
    const viaUrl = await d.submitJob({ program: { op: 'xor', imm: 0, data_url: `/v1/blobs/${blob_id}`, offset: 0, length: 4 }, ...small });
    const r = await d.getResult(job_id, { wait: 30 });
    assert.equal(r?.status, 'succeeded', JSON.stringify(r));
    assert.deepEqual(r.result, { count: 1, bytes: 8 });
    const r2 = await d.getResult(viaUrl.job_id, { wait: 30 });
    assert.deepEqual(r2?.result, { xor: 0x30 ^ 0x31 ^ 0x32 ^ 0x33, bytes: 4 });

    const noOrigin = new CloudflareSubstrate({ name: 'cf-no-origin', url: worker.url, token: TOKEN });
    const [outcome] = await noOrigin.execute([{ job_id: 'b', program: { ops: [{ op: 'crc32c', imm: 0 }], single: true, blob: blob_id, offset: 0, length: null }, deadline: Date.now() + 5000, required_memory_mb: 1 }]);
    assert.ok(outcome && !outcome.ok);
    assert.equal(outcome.retryable, false);
    assert.equal(outcome.error.path, 'program.blob');
    await noOrigin.close();
  });
});
