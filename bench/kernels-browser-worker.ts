import { measureKernels } from './kernels-measure.js';

/**
 * Bundled (esbuild, browser) and started as a Web Worker by kernels-bench.ts
 * in headless Chromium: measures the kernels there and posts the rows.
 */
const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<{ sizeMiB: number }>) => void) | null; postMessage(m: unknown): void };
scope.onmessage = (event) => {
  try {
    scope.postMessage({ rows: measureKernels({ sizeMiB: event.data.sizeMiB }) });
  } catch (err) {
    scope.postMessage({ error: String(err) });
  }
};
