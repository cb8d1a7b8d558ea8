import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { runOps } from '../../src/ops/index.js';
import { serveDispatcher, type Served } from '../server/harness.js';
import { ensureBrowserAssets, launchChromium } from './chromium.js';
import { startHoldServer } from './hold-server.js';
import { mixedJobs } from './jobs.js';
import { until } from '../helpers/eventually.js';

/**
 * Volunteer tabs in real headless Chromium against a real dispatcher:
 * the page at /volunteer?autostart=1 joins over /v1/nodes/ws and runs jobs
 * pinned to the `browser` substrate in its Web Workers.
 */
let served: Served;
let browser: Browser;

before(async () => {
  await ensureBrowserAssets();
  // This file tests the page runtime and churn: slow start, speculative re-runs and canaries have tests of their own.
  // The local threads check the tabs' results (docs/trust.md), so they must be allowed to read the loopback test servers too.
  served = await serveDispatcher({ dispatcher: { threads: 2, nodePool: { initialGrant: 1024, speculativeMinMs: 60_000 }, canaryRate: 0, allowPrivateDataUrls: true } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await served?.close();
});

interface PageMetrics { jobsCompleted: number; jobsFailed: number; remoteJobs: number; inFlight: number; nodeId: string | null; workers: number }

async function openVolunteer(query = ''): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${served.url}/volunteer?autostart=1${query}`);
  await page.waitForFunction(() => document.body.dataset.state === 'registered', null, { timeout: 15_000 });
  return page;
}

function metrics(page: Page): Promise<PageMetrics> {
  return page.evaluate(() => (window as unknown as { packetfs: { getMetrics(): PageMetrics } }).packetfs.getMetrics());
}

async function submit(jobs: unknown[]): Promise<string[]> {
  const response = await fetch(`${served.url}/v1/jobs`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobs }),
  });
  assert.equal(response.status, 202);
  return ((await response.json()) as { job_ids: string[] }).job_ids;
}

test('a volunteer tab runs 400 jobs of all five ops, inline and blob windows via Range, all correct', async () => {
  const page = await openVolunteer('&slotsPerWorker=16');
  try {
    const bytes = randomBytes(1024 * 1024);
    const blob = await served.dispatcher.blobs.put(bytes);
    // 400: the mix cycles through every op, shorthand and list, inline and blob every 30 jobs; more only repeats it
    const jobs = mixedJobs(400, { id: blob.blob_id, bytes }, ['browser']);
    const ids = await submit(jobs.map((j) => j.job));
    const records = await Promise.all(ids.map((id) => served.dispatcher.getResult(id, { wait: 60 })));
    for (let i = 0; i < records.length; i++) {
      const rec = records[i];
      assert.equal(rec?.status, 'succeeded', `job ${i}: ${JSON.stringify(rec?.error)}`);
      assert.equal(rec.substrate, 'browser');
      assert.deepEqual(rec.result, jobs[i]!.expected, `job ${i} (${JSON.stringify(jobs[i]!.job).slice(0, 120)})`);
    }
    const m = await metrics(page);
    // at-least-once: a job whose result came late may have run twice, never less than once
    assert.ok(m.remoteJobs >= 400 && m.jobsCompleted >= 400, JSON.stringify(m));
    assert.ok(m.workers >= 1);
  } finally {
    await page.close();
  }
});

test('closing a tab with 200 jobs in flight on it: every job finishes on another tab', async () => {
  const body = randomBytes(64 * 1024);
  const hold = await startHoldServer(body);
  const first = await openVolunteer('&slotsPerWorker=128');
  let second: Page | undefined;
  try {
    const firstNode = (await metrics(first)).nodeId;
    // 128 slots per worker split the node's memory finely: these jobs ask for little
    const jobs = Array.from({ length: 200 }, (_, i) => ({
      program: { ops: ['crc32c', { op: 'counteq', imm: i & 255 }], data_url: hold.url, offset: i * 37, length: 4096 + i },
      substrates: ['browser'], required_memory_mb: 16,
    }));
    const ids = await submit(jobs);
    await first.waitForFunction(() => (window as unknown as { packetfs: { getMetrics(): PageMetrics } }).packetfs.getMetrics().inFlight === 200,
      null, { timeout: 20_000 });
    await until('the first tab fetches its windows', () => hold.requests > 0, 20_000);

    second = await openVolunteer();
    await first.close();
    hold.release();

    const records = await Promise.all(ids.map((id) => served.dispatcher.getResult(id, { wait: 60 })));
    for (let i = 0; i < records.length; i++) {
      const rec = records[i];
      const window = body.subarray(i * 37, i * 37 + 4096 + i);
      assert.equal(rec?.status, 'succeeded', `job ${i}: ${JSON.stringify(rec?.error)}`);
      assert.equal(rec.substrate, 'browser');
      assert.notEqual(rec.node, firstNode, `job ${i} finished on the closed tab`);
      assert.ok(rec.attempts >= 2, `job ${i} was retried after the tab closed`);
      assert.deepEqual(rec.result, runOps([{ op: 'crc32c', imm: 0 }, { op: 'counteq', imm: i & 255 }], window));
    }
    assert.equal((await metrics(second)).remoteJobs, 200);
  } finally {
    if (!first.isClosed()) await first.close();
    await second?.close();
    await hold.close();
  }
});

test('a tab answers each job as it finishes: inline jobs free their slots while windows of the same batch are still held', async () => {
  const body = randomBytes(16 * 1024);
  const hold = await startHoldServer(body);
  const page = await openVolunteer('&slotsPerWorker=8');
  try {
    const nodeId = (await metrics(page)).nodeId;
    const nodeView = () => served.dispatcher.nodes!.views().find((n) => n.node_id === nodeId)!;
    // interleaved, so each worker's slice of the batch holds both kinds
    const jobs = Array.from({ length: 8 }, (_, i) => (i % 2 === 0
      ? { program: { op: 'crc32c', data_url: hold.url, offset: i * 100, length: 1000 }, substrates: ['browser'], required_memory_mb: 16 }
      : { program: { op: 'counteq', imm: 7, data: Buffer.from(body.subarray(i, i + 64)).toString('base64') }, substrates: ['browser'], required_memory_mb: 16 }));
    const ids = await submit(jobs);
    await until('the tab fetches its windows', () => hold.requests > 0, 20_000);
    // the dispatcher got the four inline answers (their slots are free again) while the windows are held
    await until('the inline jobs are answered', () => nodeView().completed >= 4, 20_000);
    assert.equal(nodeView().in_flight, 4);
    hold.release();
    const records = await Promise.all(ids.map((id) => served.dispatcher.getResult(id, { wait: 20 })));
    records.forEach((rec, i) => {
      assert.equal(rec?.status, 'succeeded', JSON.stringify(rec?.error));
      const expected = i % 2 === 0
        ? runOps([{ op: 'crc32c', imm: 0 }], body.subarray(i * 100, i * 100 + 1000))[0]
        : runOps([{ op: 'counteq', imm: 7 }], body.subarray(i, i + 64))[0];
      assert.deepEqual(rec.result, expected);
    });
  } finally {
    await page.close();
    await hold.close();
  }
});
