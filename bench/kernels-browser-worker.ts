import { setupGpuOffload } from '../src/runtimes/browser/gpu-offload.js';
import { measureKernels, type KernelRow } from './kernels-measure.js';

/**
 * Bundled (esbuild, browser) and started as a Web Worker by kernels-bench.ts
 * in headless Chromium: measures the kernels there and posts the rows, plus
 * the WebGPU calibration (counteq on 16 MiB, upload and read-back included,
 * against the CPU kernels in the same worker) when the browser has a device.
 */
const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<{ sizeMiB: number }>) => void) | null; postMessage(m: unknown): void };
scope.onmessage = async (event) => {
  try {
    const rows: KernelRow[] = measureKernels({ sizeMiB: event.data.sizeMiB });
    const { report } = await setupGpuOffload();
    if (report.gpuGbPerSec !== undefined && report.cpuGbPerSec !== undefined) {
      rows.push(
        { op: 'counteq', impl: `webgpu (${report.adapter ?? 'adapter'}, 16 MiB, ${report.status})`, gbPerSec: report.gpuGbPerSec },
        { op: 'counteq', impl: 'cpu kernels in the same calibration', gbPerSec: report.cpuGbPerSec },
      );
    }
    scope.postMessage({ rows });
  } catch (err) {
    scope.postMessage({ error: String(err) });
  }
};
