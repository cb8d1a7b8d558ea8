import type { NodeCapabilities } from '../../node-protocol/index.js';
import type { GpuReport } from './gpu-offload.js';

/**
 * What a browser node reports in `register` (node protocol v1). Detected,
 * never assumed: a missing API reads as false, not as an error.
 */
export type BrowserCapabilities = NodeCapabilities;

interface NavigatorExtras {
  hardwareConcurrency?: number;
  deviceMemory?: number;
  gpu?: unknown;
  userAgent?: string;
}

/**
 * `gpu` is the worker pool's WebGPU setup: webgpu is then true only for a
 * working device (used or not, see gpu-offload.ts); without it, whether
 * navigator.gpu exists at all.
 */
export function detectCapabilities(gpu?: GpuReport): BrowserCapabilities {
  const nav = (globalThis.navigator ?? {}) as NavigatorExtras;
  const caps: BrowserCapabilities = {
    cores: logicalCores(),
    wasm: typeof WebAssembly === 'object' && typeof WebAssembly.instantiate === 'function',
    shared_array_buffer: typeof SharedArrayBuffer === 'function',
    webgl2: hasWebGl2(),
    webgpu: gpu === undefined ? nav.gpu !== undefined : gpu.status !== 'unavailable',
    user_agent: String(nav.userAgent ?? '').slice(0, 512),
  };
  if (typeof nav.deviceMemory === 'number') caps.device_memory_gb = nav.deviceMemory;
  return caps;
}

export function logicalCores(): number {
  const n = (globalThis.navigator as NavigatorExtras | undefined)?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? Math.floor(n) : 1;
}

/** WebGL2 needs a canvas: OffscreenCanvas in workers, a detached <canvas> on pages. */
function hasWebGl2(): boolean {
  try {
    if (typeof OffscreenCanvas === 'function') return new OffscreenCanvas(1, 1).getContext('webgl2') !== null;
    if (typeof document === 'object') return document.createElement('canvas').getContext('webgl2') !== null;
  } catch {
    // a browser that refuses a GL context (policy, blocklisted GPU) has no usable WebGL2
  }
  return false;
}
