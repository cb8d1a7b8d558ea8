/// <reference types="@webgpu/types" />
import type { OpsOffload } from '../../data/window.js';
import { runOps } from '../../ops/index.js';
import type { OpSpec } from '../../ops/types.js';
import { createGpuKernels, GPU_OPS, type GpuKernels } from './webgpu-kernels.js';

/**
 * Whether a browser worker sends counteq/xor/add over large windows to WebGPU.
 * Set up once per worker: a device, then a calibration that times the GPU
 * (upload, dispatch, read-back) against the CPU kernels on the same 16 MiB;
 * the GPU is used only when it was faster. State: `unavailable` (no
 * navigator.gpu, no adapter or device, or setup failed or timed out),
 * `slower` (works, not used), `used`.
 */
export type GpuStatus = 'unavailable' | 'slower' | 'used';

export interface GpuReport {
  status: GpuStatus;
  adapter?: string;
  /** calibration throughput, GB/s */
  gpuGbPerSec?: number;
  cpuGbPerSec?: number;
}

/** An OpsOffload (data/window.ts) that wants only what the GPU does faster. */
export interface GpuOffload extends OpsOffload {
  readonly report: GpuReport;
}

/** Windows below this stay on the CPU: upload and read-back latency would dominate. */
export const MIN_GPU_BYTES = 4 << 20;
const CALIBRATION_BYTES = 16 << 20;
const SETUP_TIMEOUT_MS = 10_000;

export const NO_GPU: GpuOffload = {
  report: { status: 'unavailable' },
  wants: () => false,
  run: () => Promise.reject(new Error('no WebGPU device')),
};

/**
 * `force` skips the speed test and the size floor; it and the smaller sizes
 * are for correctness tests on a software adapter. `setupTimeoutMs` bounds
 * device creation and calibration each (default 10 s, so a hung device
 * cannot hold a worker's start-up); a test that must see the calibration's
 * verdict on a loaded machine gives it longer.
 */
export async function setupGpuOffload(opts: { force?: boolean; calibrationBytes?: number; segmentBytes?: number; setupTimeoutMs?: number } = {}): Promise<GpuOffload> {
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (gpu === undefined) return NO_GPU;
  let kernels: GpuKernels | null = null;
  try {
    const bound = opts.setupTimeoutMs ?? SETUP_TIMEOUT_MS;
    kernels = await withTimeout(createGpuKernels(gpu, opts.segmentBytes === undefined ? {} : { segmentBytes: opts.segmentBytes }), bound);
    if (kernels === null) return NO_GPU;
    const report = opts.force === true
      ? { status: 'used' as const, adapter: kernels.adapter }
      // A device that hangs in calibration must not hold the worker's start-up forever.
      : await withTimeout(calibrate(kernels, opts.calibrationBytes ?? CALIBRATION_BYTES), bound) ?? { status: 'unavailable' as const, adapter: kernels.adapter };
    const ready = kernels;
    if (report.status !== 'used') ready.destroy();
    return {
      report,
      wants: (ops, length) => report.status === 'used' && Array.isArray(ops) && ops.length > 0 && ops.every((spec) => GPU_OPS.has(spec.op))
        && (opts.force === true || (length !== null && length >= MIN_GPU_BYTES)),
      run: (ops, bytes) => ready.run(ops, bytes),
    };
  } catch {
    kernels?.destroy();
    return NO_GPU;
  }
}

async function calibrate(kernels: GpuKernels, size: number): Promise<GpuReport> {
  const data = new Uint8Array(size);
  for (let i = 0; i < data.length; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
  const ops: OpSpec[] = [{ op: 'counteq', imm: 42 }];
  await kernels.run(ops, data);
  runOps(ops, data);
  let gpuMs = Infinity;
  let cpuMs = Infinity;
  for (let i = 0; i < 3; i++) {
    let start = performance.now();
    await kernels.run(ops, data);
    gpuMs = Math.min(gpuMs, performance.now() - start);
    start = performance.now();
    runOps(ops, data);
    cpuMs = Math.min(cpuMs, performance.now() - start);
  }
  const gbs = (ms: number) => Math.round((data.length / (ms / 1000) / 1e9) * 1000) / 1000;
  return { status: gpuMs < cpuMs ? 'used' : 'slower', adapter: kernels.adapter, gpuGbPerSec: gbs(gpuMs), cpuGbPerSec: gbs(cpuMs) };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
