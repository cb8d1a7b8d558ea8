import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { call, NINE_DIGITS_B64, serveDispatcher, type Served } from '../server/harness.js';
import { ensureBrowserAssets, launchChromium } from './chromium.js';
import { testOutputDir } from './test-output.js';

/**
 * The dashboard in real headless Chromium against a real dispatcher: it
 * loads without a console error, its numbers move while jobs run, a failed
 * job shows with its code and opens its attempt errors, and the token flow
 * keeps the token out of URLs and the console.
 */
let served: Served;
let browser: Browser;

before(async () => {
  await ensureBrowserAssets();
  // private data_urls allowed: a job reading a closed loopback port fails retryably (several attempts)
  served = await serveDispatcher({ dispatcher: { dashboardIntervalMs: 250, allowPrivateDataUrls: true, storeKind: 'sqlite' } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await served?.close();
});

const metric = (page: Page, name: string): Promise<string> => page.$eval(`[data-metric="${name}"]`, (e) => e.textContent ?? '');

async function submit(url: string, jobs: unknown[], headers: Record<string, string> = {}): Promise<void> {
  const reply = await call(`${url}/v1/jobs`, { json: { jobs }, headers });
  assert.equal(reply.status, 202, JSON.stringify(reply.body));
}

test('the dashboard loads clean, its numbers move while jobs run, and a failed job opens with its attempt errors', async () => {
  const problems: string[] = [];
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  try {
    await page.goto(`${served.url}/`);
    assert.equal(new URL(page.url()).pathname, '/dashboard');
    await page.waitForSelector('body[data-connection="live"]', { timeout: 15_000 });
    assert.equal(await metric(page, 'jobs-succeeded'), '0');
    await page.waitForSelector('[data-substrate="local"]');
    assert.deepEqual(await page.$$eval('[data-substrate]', (rows) => rows.map((r) => r.getAttribute('data-substrate')).sort()), ['browser', 'local', 'volunteer']);

    await submit(served.url, Array.from({ length: 400 }, () => ({ program: { op: 'crc32c', data: NINE_DIGITS_B64 } })));
    await page.waitForFunction(() => document.querySelector('[data-metric="jobs-succeeded"]')!.textContent === '400', null, { timeout: 15_000 });
    // the rate averages complete seconds: it moves once the second the jobs finished in is over
    await page.waitForFunction(() => Number(document.querySelector('[data-metric="jobs-per-second"]')!.textContent) > 0, null, { timeout: 15_000 });
    assert.ok(Number(await page.$eval('[data-substrate="local"] td:nth-child(8)', (e) => e.textContent!.replace(/,/g, ''))) >= 400);
    for (const name of ['queue-depth', 'nodes-connected', 'cost-usd', 'jobs-failed']) {
      assert.ok(Number.isFinite(Number(await metric(page, name))), `${name} is a number`);
    }
    const chartPoints = await page.$$eval('#chart canvas', (c) => c.length);
    assert.equal(chartPoints, 1);

    await submit(served.url, [{ job_id: 'dash-ui-fail', max_attempts: 2, program: { op: 'crc32c', data_url: 'http://127.0.0.1:1/missing.bin' } }]);
    const row = await page.waitForSelector('[data-failure="dash-ui-fail"]', { timeout: 15_000 });
    const code = await row.$eval('[data-code]', (e) => e.textContent);
    assert.equal(code, 'DATA_FETCH_FAILED');
    assert.equal(await metric(page, 'jobs-failed'), '1');
    await row.$eval('a', (a) => (a as HTMLAnchorElement).click());
    await page.waitForSelector('#job-panel:not([hidden]) [data-attempt="2"]', { timeout: 10_000 });
    const attempts = await page.$$eval('#job-panel [data-attempt] code', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(attempts, ['DATA_FETCH_FAILED', 'DATA_FETCH_FAILED']);
    assert.match(await page.textContent('#job-body') ?? '', /status\s*failed/);

    const dir = await testOutputDir();
    await page.screenshot({ path: join(dir, 'dashboard-desktop-job.png') });
    await page.click('#job-close');
    await page.screenshot({ path: join(dir, 'dashboard-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);   // one layout pass for the chart's ResizeObserver; nothing is asserted on timing
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the phone layout scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: join(dir, 'dashboard-phone.png'), fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('with a token the page asks once, keeps it in sessionStorage only, and says when it is wrong', async () => {
  const token = 'dash-browser-token-42';
  const guarded = await serveDispatcher({ server: { token }, dispatcher: { dashboardIntervalMs: 250 } });
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleText: string[] = [];
  const urls: string[] = [];
  page.on('console', (m) => consoleText.push(m.text()));
  page.on('request', (r) => urls.push(r.url()));
  try {
    await page.goto(`${guarded.url}/dashboard`);
    await page.waitForSelector('body[data-connection="locked"]', { timeout: 15_000 });
    assert.equal(await page.isVisible('#token-panel'), true);
    await page.fill('#token-input', 'not-the-token');
    await page.click('#token-form button');
    await page.waitForFunction(() => document.getElementById('token-error')!.textContent === 'that token was refused', null, { timeout: 15_000 });
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);

    await page.fill('#token-input', token);
    await page.click('#token-form button');
    await page.waitForSelector('body[data-connection="live"]', { timeout: 15_000 });
    assert.equal(await page.isVisible('#token-panel'), false);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('packetfs.dashboard.token')), token);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    await submit(guarded.url, [{ program: { op: 'crc32c', data: NINE_DIGITS_B64 } }], { authorization: `Bearer ${token}` });
    await page.waitForFunction(() => document.querySelector('[data-metric="jobs-succeeded"]')!.textContent === '1', null, { timeout: 15_000 });

    // a reload in the same tab does not ask again
    await page.reload();
    await page.waitForSelector('body[data-connection="live"]', { timeout: 15_000 });
    assert.equal(await page.isVisible('#token-panel'), false);
    // "forget token" locks the page again
    await page.click('#forget-token');
    await page.waitForSelector('body[data-connection="locked"]', { timeout: 15_000 });

    assert.ok(urls.length > 0);
    for (const url of urls) assert.ok(!url.includes(token), `token in a URL: ${url}`);
    for (const text of consoleText) assert.ok(!text.includes(token), `token in the console: ${text}`);
  } finally {
    await context.close();
    await guarded.close();
  }
});
