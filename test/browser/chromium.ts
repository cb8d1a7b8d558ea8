import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import type { buildBrowser } from '../../scripts/build-browser.mjs';
import { packageRoot } from '../../src/server/routes/browser-assets.js';

/** Debian's Chromium, headless, with everything that would phone home turned off. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
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

