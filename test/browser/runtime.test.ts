import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { installErrorHandling } from '../../src/server/error-handler.js';
import { registerBrowserAssetRoutes } from '../../src/server/routes/browser-assets.js';
import { runOps } from '../../src/ops/index.js';
import { NINE_DIGITS_B64, NINE_DIGITS_CRC32C, serveDispatcher, type Served } from '../server/harness.js';
import { ensureBrowserAssets, launchChromium } from './chromium.js';

/**
 * The runtime inside a page, in real headless Chromium: the <script> global
 * and the ES module, submitJob in Web Workers, and the Service Worker
 * (runtime cache, POST /execute, GET /health).
 */
/** The global the <script> build sets, as seen from page.evaluate callbacks. */
declare const PacketFSBrowserCompute: typeof import('../../src/runtimes/browser/browser-compute.js').PacketFSBrowserCompute;

let served: Served;
let browser: Browser;

before(async () => {
  await ensureBrowserAssets();
  served = await serveDispatcher();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await served?.close();
});

/** A same-origin page of the dispatcher that loaded /browser-runtime.js (the volunteer page, not started). */
async function openRuntimePage(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${served.url}/volunteer`);
  return page;
}

test('the assets are public (even with an API token), typed, and the Service Worker may claim the origin', async () => {
  const guarded = await serveDispatcher({ server: { token: 'api-secret' } });
  try {
    for (const path of ['/browser-runtime.js', '/browser-runtime.mjs', '/packetfs-worker.js', '/packetfs-sw.js', '/volunteer']) {
      const response = await fetch(`${guarded.url}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get('content-type') ?? '', path === '/volunteer' ? /^text\/html/ : /^text\/javascript/);
      assert.match(response.headers.get('cache-control') ?? '', /max-age=\d+/);
      if (path === '/packetfs-sw.js') assert.equal(response.headers.get('service-worker-allowed'), '/');
      await response.arrayBuffer();
    }
  } finally {
    await guarded.close();
  }
});

test('the <script> global runs submitJob in Web Workers with the server op code, and getResult/getMetrics report it', async () => {
  const page = await openRuntimePage();
  try {
    const out = await page.evaluate(async (data) => {
      const c = new PacketFSBrowserCompute(null, { cpuShare: 0.5 });
      const initialized = await c.initialize();
      const ok = await c.submitJob({ ops: ['crc32c', 'fnv64', { op: 'add', imm: 3 }], data }, { timeout: 5000 });
      const bad = await c.submitJob({ op: 'counteq', imm: 300, data });
      return { initialized, ok, bad, again: c.getResult(ok.jobId), metrics: c.getMetrics() };
    }, NINE_DIGITS_B64);
    const nine = Buffer.from('123456789');
    assert.equal(out.ok.success, true);
    assert.deepEqual(out.ok.result, runOps([{ op: 'crc32c', imm: 0 }, { op: 'fnv64', imm: 0 }, { op: 'add', imm: 3 }], nine));
    assert.equal((out.ok.result as { crc32c: number }[])[0]!.crc32c, NINE_DIGITS_CRC32C);
    assert.equal(out.ok.bytesProcessed, 9);
    assert.equal(typeof out.ok.executionTimeMs, 'number');
    assert.deepEqual(out.again, out.ok);
    assert.equal(out.bad.success, false);
    assert.equal(out.bad.error?.code, 'INVALID_JOB');
    assert.equal(out.bad.error?.path, 'program.imm');
    assert.equal(out.metrics.jobsCompleted, 1);
    assert.equal(out.metrics.jobsFailed, 1);
    assert.ok(out.metrics.workers >= 1);
    // the original runtime's API: initialize() resolves true; getMetrics() carries its keys
    assert.equal(out.initialized, true);
    const m = out.metrics;
    assert.deepEqual([m.jobsExecuted, m.totalBytesProcessed, m.successRate, m.avgBytesPerJob], [2, 9, 0.5, 4.5]);
    assert.equal(m.totalExecutionTimeMs, m.executionTimeMs);
    assert.equal(m.avgExecutionTimeMs, m.executionTimeMs / 2);
  } finally {
    await page.close();
  }
});

test('the ES module build imports, submitJob reads a blob window with Range, connectToCoordinator() joins the page origin', async () => {
  const page = await openRuntimePage();
  const bytes = randomBytes(300_000);
  const blob = await served.dispatcher.blobs.put(bytes);
  try {
    const result = await page.evaluate(async (id) => {
      const url = '/browser-runtime.mjs';
      const mod = await import(url) as { PacketFSBrowserCompute: typeof PacketFSBrowserCompute; default: unknown };
      const c = new mod.PacketFSBrowserCompute();
      const r = await c.submitJob({ op: 'counteq', imm: 7, blob: id, offset: 1000, length: 200_000 });
      // as in the original, no argument: here the page's own origin, the dispatcher that served it
      const nodeId = await c.connectToCoordinator();
      c.terminate();
      return { r, nodeId, same: mod.default === mod.PacketFSBrowserCompute };
    }, blob.blob_id);
    assert.equal(result.same, true);
    assert.equal(result.r.success, true, JSON.stringify(result.r.error));
    assert.deepEqual(result.r.result, runOps([{ op: 'counteq', imm: 7 }], bytes.subarray(1000, 201_000))[0]);
    assert.equal(result.r.bytesProcessed, 200_000);
    assert.match(result.nodeId, /^\S+$/, 'connectToCoordinator() registered with the page origin');
  } finally {
    await page.close();
  }
});

test('the Service Worker registers, caches the runtime, and answers POST /execute and GET /health', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${served.url}/volunteer`);
    const state = await page.evaluate(async () => {
      const c = new PacketFSBrowserCompute('/packetfs-sw.js');
      await c.initialize();
      if (!navigator.serviceWorker.controller) {
        await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
      }
      return c.getMetrics().serviceWorker;
    });
    assert.equal(state, 'registered');

    // (no named functions inside evaluate: tsx would wrap them in a helper the page does not have)
    const answers = await page.evaluate(async (data) => {
      const bodies = [{ op: 'crc32c', data }, { program: { ops: ['xor', 'counteq'], imm: 0x31, data }, timeout: 2000 }, { program: { op: 'nope', data } }];
      const [bare, wrapped, invalid] = await Promise.all(bodies.map(async (body) => {
        const r = await fetch('/execute', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: r.status, body: await r.json() };
      }));
      // the original's clients, their exact bodies: its runtime's submitJob and its dispatcher's BrowserAdapter
      const originals = await Promise.all([
        { jobId: 'job-1700000000000-abc123def', program: { op: 'crc32c', data }, timeout: 30000 },
        { type: 'execute', job_id: 'c0ffee00-0000-4000-8000-000000000002', program: { op: 'counteq', imm: 49, data } },
      ].map(async (body) => (await fetch('/execute', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()));
      // and its postMessage API, answered on a MessageChannel port
      const ask = (message: unknown) => new Promise<any>((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (event) => resolve(event.data);
        navigator.serviceWorker.controller!.postMessage(message, [channel.port2]);
      });
      const posted = await ask({ type: 'execute', jobId: 'pm-1', program: { op: 'xor', imm: 1, data }, timeout: 5000 });
      const postedHealth = await ask({ type: 'health' });
      const cache = await caches.open((await caches.keys())[0]!);
      return {
        bare: bare!, wrapped: wrapped!, invalid: invalid!, originals, posted, postedHealth,
        health: await fetch('/health').then((r) => r.json()),
        cached: (await cache.keys()).map((r) => new URL(r.url).pathname).sort(),
      };
    }, NINE_DIGITS_B64);
    const [camel, adapter] = answers.originals;
    assert.deepEqual([camel.jobId, camel.success, camel.result, camel.results],
      ['job-1700000000000-abc123def', true, { crc32c: NINE_DIGITS_CRC32C, bytes: 9 }, { crc32c: NINE_DIGITS_CRC32C, bytes: 9 }]);
    assert.deepEqual([adapter.jobId, adapter.results], ['c0ffee00-0000-4000-8000-000000000002', { count: 1, bytes: 9 }]);
    const xor = runOps([{ op: 'xor', imm: 1 }], Buffer.from('123456789'))[0];
    assert.deepEqual([answers.posted.type, answers.posted.jobId, answers.posted.success, answers.posted.data, answers.posted.results, answers.posted.bytesProcessed],
      ['result', 'pm-1', true, xor, xor, 9]);
    assert.equal(answers.postedHealth.status, 'healthy');
    assert.equal(typeof answers.postedHealth.capabilities.cores, 'number');
    assert.equal(answers.bare.status, 200);
    assert.equal(answers.bare.body.success, true);
    assert.deepEqual(answers.bare.body.result, { crc32c: NINE_DIGITS_CRC32C, bytes: 9 });
    assert.deepEqual(answers.wrapped.body.result, runOps([{ op: 'xor', imm: 0x31 }, { op: 'counteq', imm: 0x31 }], Buffer.from('123456789')));
    assert.equal(answers.invalid.status, 400);
    assert.equal(answers.invalid.body.success, false);
    assert.equal(answers.invalid.body.error.code, 'INVALID_JOB');
    assert.equal(answers.invalid.body.error.path, 'program.op');
    assert.equal(answers.health.status, 'healthy');
    assert.deepEqual(answers.cached, ['/browser-runtime.js', '/browser-runtime.mjs', '/packetfs-worker.js']);

    // a reload gets the runtime from the Service Worker's cache
    const fromSw = new Promise<boolean>((resolve) => page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/browser-runtime.js') resolve(r.fromServiceWorker());
    }));
    await page.reload();
    assert.equal(await fromSw, true);
  } finally {
    await context.close();
  }
});

test('with a node token, the volunteer page joins only with #token=… and says why it could not', async () => {
  const guarded = await serveDispatcher({ dispatcher: { nodeToken: 'join-code' } });
  const context = await browser.newContext();
  try {
    const refused = await context.newPage();
    await refused.goto(`${guarded.url}/volunteer?autostart=1`);
    await refused.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('could not join'), null, { timeout: 15_000 });
    assert.match(await refused.textContent('#status') ?? '', /UNAUTHORIZED/);

    const joined = await context.newPage();
    await joined.goto(`${guarded.url}/volunteer?autostart=1#token=join-code`);
    await joined.waitForFunction(() => document.body.dataset.state === 'registered', null, { timeout: 15_000 });
  } finally {
    await context.close();
    await guarded.close();
  }
});

test('without built assets the routes answer 503 and say how to build them', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'packetfs-no-assets-'));
  const app = Fastify();
  installErrorHandling(app);
  registerBrowserAssetRoutes(app, { assetsDir: empty });
  try {
    const reply = await app.inject({ method: 'GET', url: '/browser-runtime.js' });
    assert.equal(reply.statusCode, 503);
    assert.match(reply.json().error.message, /npm run build/);
  } finally {
    await app.close();
    await rm(empty, { recursive: true, force: true });
  }
});
