import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { packageRoot } from '../../src/server/routes/browser-assets.js';
import { loadOpsVectors } from '../ops/vectors.js';
import { CHROMIUM_PATH, ensureBrowserAssets } from './chromium.js';

/**
 * The kernels in a real Chromium Web Worker: the WebAssembly SIMD kernels load
 * there and pass the ops vectors (as do the pure ones), and the WebGPU path —
 * on Chromium's software adapter, SwiftShader, enabled by the two flags below —
 * gives the CPU's answers, is used only when its calibration was faster, and
 * reaches the pool's metrics (which feed the `webgpu` capability).
 */
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

describe('kernels in Chromium', () => {
  let browser: Browser;
  let server: http.Server;
  let origin: string;
  let page: Page;

  before(async () => {
    const root = packageRoot();
    await ensureBrowserAssets();
    const bundled = await build({
      entryPoints: [join(root, 'test/browser/kernels-entry.ts')], bundle: true, write: false, platform: 'browser', format: 'iife', target: 'es2022', logLevel: 'warning',
    });
    const files: Record<string, Buffer> = {
      '/kernels-entry.js': Buffer.from(bundled.outputFiles[0]!.contents),
      '/browser-runtime.mjs': await readFile(join(root, 'dist/browser/browser-runtime.mjs')),
      '/packetfs-worker.js': await readFile(join(root, 'dist/browser/packetfs-worker.js')),
    };
    server = http.createServer((req, res) => {
      const body = files[req.url ?? ''];
      if (body === undefined) res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>kernels</title>');
      else res.writeHead(200, { 'content-type': 'text/javascript' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', ...WEBGPU_FLAGS] });
    page = await browser.newPage();
    await page.goto(`${origin}/`);
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });

  it('WebAssembly and pure kernels pass the vectors; WebGPU matches the CPU', async () => {
    const cases = loadOpsVectors().cases.map((c) => ({ op: c.op, imm: c.imm, data_b64: c.data_b64, result: c.result }));
    const report = await page.evaluate((payload) => new Promise<any>((resolve) => {
      const worker = new window.Worker('/kernels-entry.js');
      worker.onmessage = (e: MessageEvent) => resolve(e.data);
      worker.onerror = (e: ErrorEvent) => resolve({ error: e.message });
      worker.postMessage(payload);
    }), { cases });
    assert.equal(report.error, undefined);
    assert.deepEqual(report.mismatches, []);
    assert.deepEqual(report.kernels, { 'wasm-simd': 'wasm-simd', ts: 'ts' });
    assert.equal(report.forced.status, 'used', `SwiftShader's WebGPU adapter should come up with ${WEBGPU_FLAGS.join(' ')}`);
    assert.equal(report.gpuChecked, 6);
    assert.ok(['used', 'slower'].includes(report.calibrated.status), JSON.stringify(report.calibrated));
    assert.ok(report.calibrated.gpuGbPerSec > 0 && report.calibrated.cpuGbPerSec > 0);
    assert.equal(report.calibrated.status === 'used', report.calibrated.gpuGbPerSec > report.calibrated.cpuGbPerSec);
  });

  it("the runtime's worker pool reports its WebGPU setup and still computes right", async () => {
    const metrics = await page.evaluate(async () => {
      const { PacketFSBrowserCompute } = await import('/browser-runtime.mjs' as string);
      const compute = new PacketFSBrowserCompute(null, { workerUrl: '/packetfs-worker.js', maxWorkers: 1 });
      await compute.initialize();
      const job = await compute.submitJob({ op: 'counteq', imm: 49, data: 'MTIzNDU2Nzg5' });
      const m = compute.getMetrics();
      compute.terminate();
      return { gpu: m.gpu, job };
    });
    // the device comes up on SwiftShader; its calibration (16 MiB, four runs on a software GPU) may outlast
    // the 10 s setup bound on a loaded machine, which is reported as `unavailable` with the adapter and no speeds
    assert.equal(typeof metrics.gpu.adapter, 'string', JSON.stringify(metrics.gpu));
    if (metrics.gpu.status === 'unavailable') assert.equal(metrics.gpu.gpuGbPerSec, undefined, JSON.stringify(metrics.gpu));
    else assert.ok(['used', 'slower'].includes(metrics.gpu.status), JSON.stringify(metrics.gpu));
    assert.deepEqual(metrics.job.result, { count: 1, bytes: 9 });
  });
});
