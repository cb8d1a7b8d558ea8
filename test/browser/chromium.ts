import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserServer } from 'playwright-core';
import type { buildBrowser } from '../../scripts/build-browser.mjs';
import { packageRoot } from '../../src/server/routes/browser-assets.js';

/** Debian's Chromium, headless, with everything that would phone home turned off. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];

/**
 * The Chromium of a test file: the one `scripts/run-tests.mjs` started for the
 * whole run when it names it (PACKETFS_TEST_CHROMIUM_WS), else one of its own.
 * Each file works in its own contexts and `close()` on a shared browser only
 * ends them and the connection; a start costs about 1.4 s of CPU, paid once
 * per run instead of once per file.
 */
export function launchChromium(): Promise<Browser> {
  const shared = process.env.PACKETFS_TEST_CHROMIUM_WS;
  if (shared !== undefined && shared !== '') return chromium.connect(shared);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** The shared Chromium for a test run (scripts/run-tests.mjs): a browser server that files connect to. */
export function launchChromiumServer(): Promise<BrowserServer> {
  return chromium.launchServer({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

let built: Promise<string[]> | null = null;

/**
 * Bundles the runtime into dist/browser (where the server reads it) once per
 * process. The build script is found from the package root at run time, so
 * this works from test/ (tsx) and from the compiled dist/test/ alike.
 */
export function ensureBrowserAssets(): Promise<string[]> {
  built ??= (async () => {
    const script = pathToFileURL(join(packageRoot(), 'scripts', 'build-browser.mjs')).href;
    const mod = await import(script) as { buildBrowser: typeof buildBrowser };
    return mod.buildBrowser();
  })();
  return built;
}

