import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Dispatcher } from '../../src/dispatcher/dispatcher.js';
import type { DispatcherOptions } from '../../src/dispatcher/options.js';
import { silentLogger } from '../../src/logger.js';
import { ScriptedSubstrate } from '../helpers/scripted-substrate.js';
import { until } from '../helpers/eventually.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const crcJob = (extra: Record<string, unknown> = {}) => ({ program: { op: 'crc32c', data: b64('123456789') }, ...extra });

describe('dispatcher', () => {
  let dir: string;
  const open: Dispatcher[] = [];
  let made = 0;
  async function make(opts: DispatcherOptions): Promise<Dispatcher> {
    const d = await Dispatcher.create({ dataDir: join(dir, String(made++)), storeKind: 'memory', logger: silentLogger, threads: 1, probeIntervalMs: 50, ...opts });
    open.push(d);
    return d;
  }
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'pfs-disp-')); });
  // each test's dispatchers close when it ends: left open, every one kept probing its substrates every 50 ms
  afterEach(async () => { await Promise.all(open.splice(0).map((d) => d.close())); });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a job on the local substrate and stores the contracts §4 record', async () => {
    const d = await make({ threads: 1 });
    const { job_id, created, status } = await d.submitJob(crcJob());
    assert.equal(created, true);
    assert.equal(status, 'queued');
    const r = await d.getResult(job_id, { wait: 10 });
    assert.ok(r);
    assert.equal(r.status, 'succeeded');
    assert.equal(r.success, true);
    assert.equal(r.substrate, 'local');
    assert.deepEqual(r.result, { crc32c: 3808858755, bytes: 9 });
    assert.equal(r.bytes_processed, 9);
    assert.equal(r.attempts, 1);
    assert.equal(r.error, null);
    assert.equal(r.cost_usd, 0);
    assert.ok(Date.parse(r.completed_at) > 0);
    const m = await d.getMetrics(10);
    assert.equal(m.metrics[0]!.job_id, job_id);
    assert.equal(m.substrates.local!.succeeded, 1);
    assert.match(await d.prometheus(), /packetfs_jobs_total\{substrate="local",status="succeeded"\} 1/);
  });

  it('returns an array of results for an ops list, in order', async () => {
    const d = await make({ threads: 1 });
    const { job_id } = await d.submitJob({ program: { ops: [{ op: 'crc32c' }, { op: 'counteq', imm: 49 }], data: b64('123456789') } });
    const r = await d.getResult(job_id, { wait: 10 });
    assert.deepEqual(r!.result, [{ crc32c: 3808858755, bytes: 9 }, { count: 1, bytes: 9 }]);
  });

  it('retries a failing attempt with backoff and records every attempt error', async () => {
    const flaky = new ScriptedSubstrate('flaky').failNext(2);
    const d = await make({ local: false, substrates: [flaky], });
    const { job_id } = await d.submitJob(crcJob());
    const r = await d.getResult(job_id, { wait: 20 });
    assert.equal(r!.status, 'succeeded');
    assert.equal(r!.attempts, 3);
    assert.equal(r!.attempt_errors!.length, 2);
    assert.deepEqual(r!.attempt_errors!.map((e) => [e.attempt, e.substrate, e.code]), [[1, 'flaky', 'SUBSTRATE_FAILED'], [2, 'flaky', 'SUBSTRATE_FAILED']]);
  });

  it('dead-letters a job whose attempts run out and lists it as failed', async () => {
    const broken = new ScriptedSubstrate('broken').failNext(100);
    const d = await make({ local: false, substrates: [broken] });
    const { job_id } = await d.submitJob(crcJob({ max_attempts: 2 }));
    const r = await d.getResult(job_id, { wait: 20 });
    assert.equal(r!.status, 'failed');
    assert.equal(r!.success, false);
    assert.equal(r!.attempts, 2);
    assert.equal(r!.error!.code, 'SUBSTRATE_FAILED');
    assert.equal(r!.attempt_errors!.length, 2);
    const page = await d.listJobs({ status: 'failed', limit: 10 });
    assert.deepEqual(page.jobs.map((j) => j.job_id), [job_id]);
  });

  it('does not retry an error that a retry cannot fix', async () => {
    const d = await make({ threads: 1 });
    const { job_id } = await d.submitJob({ program: { op: 'counteq', blob: '0'.repeat(32) } });
    const r = await d.getResult(job_id, { wait: 10 });
    assert.equal(r!.status, 'failed');
    assert.equal(r!.attempts, 1);
    assert.equal(r!.error!.code, 'BLOB_NOT_FOUND');
  });

  it('fails over to the next-ranked substrate after a failure', async () => {
    const cheap = new ScriptedSubstrate('cheap', { latency_ms: 1 }).failNext(100);
    const backup = new ScriptedSubstrate('backup', { latency_ms: 500 });
    const d = await make({ local: false, substrates: [cheap, backup] });
    const { job_id } = await d.submitJob(crcJob());
    const r = await d.getResult(job_id, { wait: 20 });
    assert.equal(r!.status, 'succeeded');
    assert.equal(r!.substrate, 'backup');
    assert.equal(r!.attempts, 2);
    assert.equal(r!.attempt_errors![0]!.substrate, 'cheap');
    assert.deepEqual(cheap.executed, [job_id]);
  });

  it('enforces timeout_s on a substrate that never answers', async () => {
    const stuck = new ScriptedSubstrate('stuck').hang();
    const d = await make({ local: false, substrates: [stuck] });
    const { job_id } = await d.submitJob(crcJob({ timeout_s: 0.2, max_attempts: 1 }));
    const r = await d.getResult(job_id, { wait: 20 });
    assert.equal(r!.status, 'failed');
    assert.equal(r!.error!.code, 'TIMEOUT');
  });

  it('aborts a slow data_url fetch at the job timeout on the local substrate', async () => {
    const server: Server = createServer(() => { /* never answers */ });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const d = await make({ threads: 1, allowPrivateDataUrls: true });
      const { job_id } = await d.submitJob({ program: { op: 'counteq', data_url: `http://127.0.0.1:${port}/x`, length: 10 }, timeout_s: 0.3, max_attempts: 1 });
      const r = await d.getResult(job_id, { wait: 20 });
      assert.equal(r!.status, 'failed');
      assert.equal(r!.error!.code, 'TIMEOUT');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('refuses a loopback data_url unless the operator allows it', async () => {
    const d = await make({ threads: 1 });
    const { job_id } = await d.submitJob({ program: { op: 'counteq', data_url: 'http://127.0.0.1:9/x' } });
    const r = await d.getResult(job_id, { wait: 10 });
    assert.equal(r!.status, 'failed');
    assert.equal(r!.error!.code, 'DATA_URL_FORBIDDEN');
    assert.equal(r!.attempts, 1);
  });

  it('cancels a queued and a running job; a late result does not overwrite cancelled', async () => {
    const gate = new ScriptedSubstrate('gate', { max_concurrent_jobs: 1 }).hold();
    const d = await make({ local: false, substrates: [gate] });
    const running = await d.submitJob(crcJob());
    const queued = await d.submitJob(crcJob());
    await until('the job to run', async () => (await d.getJob(running.job_id))!.status === 'running');
    assert.equal(await d.cancel(queued.job_id), 'cancelled');
    assert.equal(await d.cancel(running.job_id), 'cancelled');
    gate.release();
    const r1 = await d.getResult(running.job_id, { wait: 5 });
    const r2 = await d.getResult(queued.job_id, { wait: 5 });
    assert.equal(r1!.status, 'cancelled');
    assert.equal(r2!.status, 'cancelled');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await d.getResult(running.job_id))!.status, 'cancelled');
    assert.equal(await d.cancel(running.job_id), 'finished');
    assert.equal(await d.cancel('no-such-job'), 'not_found');
    assert.deepEqual(gate.executed, [running.job_id]);
  });

  it('runs higher priority jobs first', async () => {
    const gate = new ScriptedSubstrate('gate', { max_concurrent_jobs: 1 }).hold();
    const d = await make({ local: false, substrates: [gate] });
    const first = await d.submitJob(crcJob({ job_id: 'first' }));
    await until('the job to run', async () => (await d.getJob(first.job_id))!.status === 'running');
    await d.submitJobs([crcJob({ job_id: 'low', priority: -5 }), crcJob({ job_id: 'mid' }), crcJob({ job_id: 'high', priority: 9 })]);
    gate.release();
    for (const id of ['first', 'high', 'mid', 'low']) await d.getResult(id, { wait: 10 });
    assert.deepEqual(gate.executed, ['first', 'high', 'mid', 'low']);
  });

  it('treats a client job_id as an idempotency key', async () => {
    const sub = new ScriptedSubstrate('once');
    const d = await make({ local: false, substrates: [sub] });
    const a = await d.submitJob(crcJob({ job_id: 'same-id' }));
    await d.getResult('same-id', { wait: 10 });
    const b = await d.submitJob(crcJob({ job_id: 'same-id' }));
    assert.equal(a.created, true);
    assert.equal(b.created, false);
    assert.equal(b.status, 'succeeded');
    assert.deepEqual(sub.executed, ['same-id']);
  });

  it('fails a job no substrate can ever run with NO_SUBSTRATE', async () => {
    const d = await make({ threads: 1 });
    const { job_id } = await d.submitJob(crcJob({ requires_gpu: true }));
    const r = await d.getResult(job_id, { wait: 10 });
    assert.equal(r!.status, 'failed');
    assert.equal(r!.error!.code, 'NO_SUBSTRATE');
  });

  it('rejects invalid jobs with a code and the field path, storing nothing', async () => {
    const d = await make({ threads: 1 });
    await assert.rejects(d.submitJobs([crcJob(), { program: { op: 'counteq', imm: 300, data: '' } }]), (e: { code: string; path: string }) => e.code === 'INVALID_JOB' && e.path === 'jobs[1].program.imm');
    assert.equal((await d.listJobs({ status: 'queued', limit: 10 })).jobs.length, 0);
  });

  it('drains: in-flight work finishes, new submits are refused with SHUTTING_DOWN', async () => {
    const gate = new ScriptedSubstrate('gate').hold();
    const d = await make({ local: false, substrates: [gate] });
    const { job_id } = await d.submitJob(crcJob());
    await until('the job to run', async () => (await d.getJob(job_id))!.status === 'running');
    const draining = d.drain();
    await assert.rejects(d.submitJob(crcJob()), (e: { code: string }) => e.code === 'SHUTTING_DOWN');
    gate.release();
    await draining;
    assert.equal((await d.getResult(job_id))!.status, 'succeeded');
  });

  it('runs a large batch with every result correct', async () => {
    const d = await make({ threads: 2 });
    const jobs = Array.from({ length: 3000 }, (_, i) => ({ job_id: `bulk-${i}`, program: { op: 'counteq', imm: i % 256, data: Buffer.from([i % 256, i % 256, 7]).toString('base64') } }));
    await d.submitJobs(jobs);
    for (let i = 0; i < jobs.length; i++) {
      const r = await d.getResult(`bulk-${i}`, { wait: 30 });
      assert.deepEqual(r!.result, { count: i % 256 === 7 ? 3 : 2, bytes: 3 }, `bulk-${i}`);
    }
  });
});

