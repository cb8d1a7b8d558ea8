import { compileKernelsModule, kernelImplementation, OP_NAMES, runOp, runOps, useWasmKernels, type OpResult, type OpSpec } from '../../src/ops/index.js';
import { setupGpuOffload } from '../../src/runtimes/browser/gpu-offload.js';

/**
 * Bundled by kernels.test.ts and run as a Web Worker in headless Chromium:
 * checks the ops vectors under the WebAssembly and the pure kernels, and
 * counteq/xor/add on the WebGPU device (forced on, whatever its speed)
 * against the CPU, then reports mismatches rather than asserting here.
 */
interface Case { op: OpSpec['op']; imm: number; data_b64: string; result: Record<string, unknown> }
const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<{ cases: Case[] }>) => void) | null; postMessage(m: unknown): void };

function pseudoRandom(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x & 0x83; }
  return out;
}

function withoutBytes(r: OpResult): Record<string, unknown> {
  const { bytes: _bytes, ...fields } = r;
  return fields;
}

scope.onmessage = async ({ data: { cases } }) => {
  const mismatches: string[] = [];
  const kernels: Record<string, string> = {};
  for (const mode of ['wasm-simd', 'ts'] as const) {
    useWasmKernels(mode === 'ts' ? null : compileKernelsModule());
    kernels[mode] = kernelImplementation();
    cases.forEach((c, i) => {
      const got = withoutBytes(runOp({ op: c.op, imm: c.imm }, Uint8Array.from(atob(c.data_b64), (ch) => ch.charCodeAt(0))));
      if (JSON.stringify(got) !== JSON.stringify(c.result)) mismatches.push(`${mode} cases[${i}] ${c.op}: ${JSON.stringify(got)} != ${JSON.stringify(c.result)}`);
    });
  }
  useWasmKernels(compileKernelsModule());
  // 1 MiB upload segments, so the larger windows cross segment boundaries.
  // setup bounds of 60 s: on a loaded 2-core machine SwiftShader's device and calibration can outlast the
  // runtime's 10 s default, which would report `unavailable` and hide the verdict this test checks
  const forced = await setupGpuOffload({ force: true, segmentBytes: 1 << 20, setupTimeoutMs: 60_000 });
  let gpuChecked = 0;
  if (forced.report.status === 'used') {
    const ops: OpSpec[] = [{ op: 'counteq', imm: 0x83 }, { op: 'xor', imm: 7 }, { op: 'add', imm: 200 }];
    const backing = pseudoRandom((2 << 20) + 64, 99);
    for (const [offset, length] of [[0, 0], [1, 3], [3, 1000], [2, (1 << 20) + 5], [1, (2 << 20) + 1], [0, 2 << 20]] as const) {
      const window = backing.subarray(offset, offset + length);
      if (!forced.wants(ops, window.length)) mismatches.push(`gpu did not want length=${length}`);
      const gpu = await forced.run(ops, window);
      const cpu = runOps(ops, window);
      if (JSON.stringify(gpu) !== JSON.stringify(cpu)) mismatches.push(`gpu offset=${offset} length=${length}: ${JSON.stringify(gpu)} != ${JSON.stringify(cpu)}`);
      gpuChecked++;
    }
    if (forced.wants([{ op: 'crc32c', imm: 0 }], backing.length)) mismatches.push('gpu wanted crc32c, which it has no kernel for');
  }
  const calibrated = await setupGpuOffload({ calibrationBytes: 2 << 20, setupTimeoutMs: 60_000 });
  scope.postMessage({ mismatches, kernels, gpuChecked, forced: forced.report, calibrated: calibrated.report, ops: OP_NAMES.length });
};
