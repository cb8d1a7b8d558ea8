import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually } from '../helpers/redis-server.js';
import { call, NINE_DIGITS_B64, serveDispatcher, type Served } from '../server/harness.js';
import { ensureBrowserAssets, launchChromium } from './chromium.js';
import { testOutputDir } from './test-output.js';

/**
 * /volunteer as an installable app, in real headless Chromium: a valid
 * manifest with real PNG icons, a consent screen before anything runs, its
 * own Service Worker with an offline page, pauses on battery and (if chosen)
 * while hidden, and counters that keep counting across Stop/Start.
 */
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

/** Width and height from a PNG's IHDR chunk (after checking the signature). */
function pngSize(bytes: Buffer): { width: number; height: number } {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(bytes.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

test('the manifest linked from /volunteer is valid: name, start_url in scope, standalone, theme colour, 192 and 512 PNG icons', async () => {
  const page = await browser.newPage();
  try {
    await page.goto(`${served.url}/volunteer`);
    const href = await page.$eval('link[rel="manifest"]', (l) => (l as HTMLLinkElement).href);
    const reply = await call(href);
    assert.equal(reply.status, 200);
    assert.match(reply.headers.get('content-type') ?? '', /^application\/manifest\+json/);
    const manifest = typeof reply.body === 'string' ? JSON.parse(reply.body) : reply.body;
    assert.equal(typeof manifest.name, 'string');
    assert.ok(manifest.name.length > 0 && manifest.short_name.length <= 12);
    assert.equal(manifest.display, 'standalone');
    assert.match(manifest.theme_color, /^#[0-9a-f]{6}$/i);
    assert.match(manifest.background_color, /^#[0-9a-f]{6}$/i);
    const start = new URL(manifest.start_url, href);
    assert.ok(start.pathname.startsWith(new URL(manifest.scope, href).pathname), 'start_url is inside the scope');
    assert.equal(start.pathname, '/volunteer');
    const sizes = new Set<string>();
    for (const icon of manifest.icons as Array<{ src: string; sizes: string; type: string }>) {
      const png = await fetch(new URL(icon.src, href));
      assert.equal(png.status, 200);
      assert.equal(png.headers.get('content-type'), 'image/png');
      const { width, height } = pngSize(Buffer.from(await png.arrayBuffer()));
      assert.equal(`${width}x${height}`, icon.sizes);
      sizes.add(icon.sizes);
    }
    assert.deepEqual([...sizes].sort(), ['192x192', '512x512']);
  } finally {
    await page.close();
  }
});

test('consent comes first; once given, the app Service Worker registers, controls /volunteer and serves the offline page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${served.url}/volunteer`);
    assert.equal(await page.isVisible('#consent'), true);
    assert.equal(await page.isVisible('#toggle'), false);
    assert.equal(await page.evaluate(() => navigator.serviceWorker.getRegistrations().then((r) => r.length)), 0);
    await page.click('#agree');
    await page.waitForSelector('body[data-sw="registered"]', { timeout: 15_000 });
    assert.equal(await page.isVisible('#toggle'), true);
    const registration = await page.evaluate(async () => {
      const r = await navigator.serviceWorker.getRegistration('/volunteer');
      const worker = r?.active ?? r?.waiting ?? r?.installing;
      return { scope: r?.scope, script: worker?.scriptURL };
    });
    assert.equal(registration.scope, `${served.url}/volunteer`);
    assert.equal(registration.script, `${served.url}/volunteer-sw.js`);
    // consent is remembered: a reload goes straight to the controls, now under the Service Worker
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.reload();
    assert.equal(await page.isVisible('#toggle'), true);
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL), `${served.url}/volunteer-sw.js`);

    await page.screenshot({ path: join(await testOutputDir(), 'volunteer-desktop.png'), fullPage: true });

    await context.setOffline(true);
    await page.goto(`${served.url}/volunteer`);
    await page.waitForSelector('body[data-page="offline"]', { timeout: 10_000 });
    assert.match(await page.textContent('h1') ?? '', /offline/i);
  } finally {
    await context.setOffline(false);
    await context.close();
  }
});

/** A Battery API the test drives: `window.__battery.set(charging, level)` fires the change events. */
async function fakeBattery(context: BrowserContext, charging: boolean, level: number): Promise<void> {
  await context.addInitScript(([c, l]) => {
    const battery = new EventTarget() as EventTarget & { charging: boolean; level: number; set(c: boolean, l: number): void };
    battery.charging = c;
    battery.level = l;
    battery.set = (nc: boolean, nl: number) => {
      battery.charging = nc;
      battery.level = nl;
      battery.dispatchEvent(new Event('chargingchange'));
      battery.dispatchEvent(new Event('levelchange'));
    };
    Object.defineProperty(navigator, 'getBattery', { value: () => Promise.resolve(battery) });
    (window as unknown as { __battery: typeof battery }).__battery = battery;
  }, [charging, level] as const);
}

const state = (page: Page): Promise<string | undefined> => page.evaluate(() => document.body.dataset.state);

/** Runs `count` jobs on the browser substrate (the page's node) to completion. */
async function runOnBrowser(count: number): Promise<void> {
  const ids = await served.dispatcher.submitJobs(Array.from({ length: count }, () => ({ substrates: ['browser'], program: { op: 'crc32c', data: NINE_DIGITS_B64 } })));
  for (const { job_id } of ids) assert.equal((await served.dispatcher.getResult(job_id, { wait: 15 }))?.status, 'succeeded');
}

test('with "pause while hidden" chosen, hiding the page pauses the node and showing it resumes', async () => {
  const context = await browser.newContext();
  // headless pages are never hidden: the page's visibility is driven here, `window.__visibility.set(state)` fires the event
  await context.addInitScript(() => {
    let current: DocumentVisibilityState = 'visible';
    Object.defineProperty(document, 'visibilityState', { get: () => current });
    Object.defineProperty(document, 'hidden', { get: () => current === 'hidden' });
    (window as unknown as { __visibility: { set(v: DocumentVisibilityState): void } }).__visibility = {
      set(v) { current = v; document.dispatchEvent(new Event('visibilitychange')); },
    };
  });
  const page = await context.newPage();
  const setVisibility = (v: string) => page.evaluate((value) => (window as unknown as { __visibility: { set(v: string): void } }).__visibility.set(value), v);
  try {
    await page.goto(`${served.url}/volunteer?autostart=1`);
    await page.waitForSelector('body[data-state="registered"]', { timeout: 15_000 });
    // not chosen (the default): hiding changes nothing
    await setVisibility('hidden');
    assert.equal(await state(page), 'registered');
    await setVisibility('visible');
    await page.check('#pause-hidden');
    await setVisibility('hidden');
    await page.waitForSelector('body[data-state="paused"]', { timeout: 15_000 });
    assert.equal(await page.textContent('#status'), 'paused: page hidden');
    await eventually('the paused page leaving the dispatcher', async () => (served.dispatcher.nodes!.views().length === 0 ? true : undefined));
    await setVisibility('visible');
    await page.waitForSelector('body[data-state="registered"]', { timeout: 15_000 });
    assert.equal(await page.evaluate(() => localStorage.getItem('packetfs.volunteer.pauseHidden')), 'true');
  } finally {
    await context.close();
  }
});

test('on battery below the threshold the node pauses (leaves the dispatcher) and resumes when charging', async () => {
  const context = await browser.newContext();
  await fakeBattery(context, false, 0.2);
  const page = await context.newPage();
  try {
    await page.goto(`${served.url}/volunteer?autostart=1`);
    await page.waitForSelector('body[data-state="paused"]', { timeout: 15_000 });
    assert.equal(await page.textContent('#status'), 'paused: battery at 20 %');
    assert.equal(served.dispatcher.nodes!.views().length, 0);
    await page.evaluate(() => (window as unknown as { __battery: { set(c: boolean, l: number): void } }).__battery.set(true, 0.2));
    await page.waitForSelector('body[data-state="registered"]', { timeout: 15_000 });
    // "only while charging": unplugging pauses whatever the level
    await page.check('#only-charging');
    await page.evaluate(() => (window as unknown as { __battery: { set(c: boolean, l: number): void } }).__battery.set(false, 0.9));
    await page.waitForSelector('body[data-state="paused"]', { timeout: 15_000 });
    assert.equal(await page.textContent('#status'), 'paused: not charging');
  } finally {
    await context.close();
  }
});

test('time donated and jobs done keep counting across Stop and Start; the phone layout fits', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  const donated = () => page.evaluate(() => (window as unknown as { packetfs: { getMetrics(): { donatedMs: number } } }).packetfs.getMetrics().donatedMs);
  try {
    await page.goto(`${served.url}/volunteer?autostart=1`);
    await page.waitForSelector('body[data-state="registered"]', { timeout: 15_000 });
    await runOnBrowser(3);
    await page.waitForFunction(() => document.getElementById('jobs')!.textContent === '3', null, { timeout: 15_000 });
    await page.waitForFunction(() => (window as unknown as { packetfs: { getMetrics(): { donatedMs: number } } }).packetfs.getMetrics().donatedMs >= 1000, null, { timeout: 15_000 });
    await page.click('#toggle');
    assert.equal(await state(page), 'stopped');
    const stopped = await donated();
    assert.ok(stopped >= 1000, String(stopped));
    await page.waitForFunction(() => document.getElementById('donated')!.textContent !== '0 s');
    await page.click('#toggle');
    await page.waitForSelector('body[data-state="registered"]', { timeout: 15_000 });
    assert.ok(await donated() >= stopped, 'time donated did not reset on Start');
    assert.equal(await page.textContent('#jobs'), '3', 'jobs done did not reset on Start');
    await runOnBrowser(2);
    await page.waitForFunction(() => document.getElementById('jobs')!.textContent === '5', null, { timeout: 15_000 });
    // a CPU-share change starts a runtime of the new size; the page's counters carry over
    const before = await page.textContent('#donated');
    await page.$eval('#share', (input) => {
      (input as HTMLInputElement).value = '50';
      input.dispatchEvent(new Event('change'));
    });
    await page.waitForSelector('body[data-state="registered"]', { timeout: 15_000 });
    assert.equal(await page.evaluate(() => localStorage.getItem('packetfs.volunteer.share')), '0.5');
    assert.equal(await page.textContent('#share-text'), '50 %');
    assert.notEqual(await page.textContent('#donated'), '0 s', `was ${before}`);
    assert.equal(await page.textContent('#jobs'), '5', 'jobs done carry over a CPU-share change');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the phone layout scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: join(await testOutputDir(), 'volunteer-phone.png'), fullPage: true });
  } finally {
    await context.close();
  }
});
