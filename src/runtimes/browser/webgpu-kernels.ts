/// <reference types="@webgpu/types" />
import { addSumPure, counteqPure, xorBytesPure } from '../../ops/index.js';
import type { OpResult, OpSpec } from '../../ops/types.js';

/**
 * counteq, xor and add on a WebGPU compute device, for large windows in
 * browsers. A window is uploaded in segments of at most SEGMENT_BYTES; one
 * dispatch per op reduces each segment to one partial per workgroup (256
 * threads, each folding words at a grid stride, then a tree in workgroup
 * memory), and the CPU folds the partials. The 0-3 bytes past the last whole
 * word are done on the CPU. Each workgroup covers at most 16 KiB of a
 * segment, so an add partial stays below 2^32 (16 KiB × 255).
 *
 * State: the device and a reusable upload buffer; `lost` once the device is
 * lost, after which the kernels refuse work (the caller falls back to CPU).
 */
export const GPU_OPS: ReadonlySet<string> = new Set(['counteq', 'xor', 'add']);

const SEGMENT_BYTES = 64 << 20;
const WORKGROUP = 256;
const WORDS_PER_WORKGROUP = 4096;
const MODE = { counteq: 0, xor: 1, add: 2 } as const;

const SHADER = /* wgsl */ `
struct Params { mode: u32, imm: u32, words: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read_write> partials: array<u32>;
var<workgroup> acc_shared: array<u32, ${WORKGROUP}>;

fn word_value(x: u32) -> u32 {
  var v = 0u;
  for (var k = 0u; k < 32u; k += 8u) {
    let b = (x >> k) & 0xffu;
    if (params.mode == 0u) { v += select(0u, 1u, b == params.imm); }
    else { v += (b + params.imm) & 0xffu; }
  }
  return v;
}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * ${WORKGROUP}u;
  var acc = 0u;
  for (var i = gid.x; i < params.words; i += stride) {
    if (params.mode == 1u) { acc ^= data[i]; } else { acc += word_value(data[i]); }
  }
  acc_shared[lid.x] = acc;
  workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s >>= 1u) {
    if (lid.x < s) {
      let other = acc_shared[lid.x + s];
      acc_shared[lid.x] = select(acc_shared[lid.x] + other, acc_shared[lid.x] ^ other, params.mode == 1u);
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) { partials[wid.x] = acc_shared[0]; }
}`;

export interface GpuKernels {
  /** adapter description, for status reports */
  readonly adapter: string;
  /** Runs counteq/xor/add ops (only those: see GPU_OPS) over `bytes`; results as runOps gives them. */
  run(ops: OpSpec[], bytes: Uint8Array): Promise<OpResult[]>;
  destroy(): void;
}

/**
 * A device and pipeline, or null where WebGPU gives no adapter or device.
 * `segmentBytes` (a multiple of 4) lowers the upload segment, for tests.
 */
export async function createGpuKernels(gpu: GPU, opts: { segmentBytes?: number } = {}): Promise<GpuKernels | null> {
  const adapter = await gpu.requestAdapter();
  if (adapter === null) return null;
  const device = await adapter.requestDevice();
  let lost = false;
  void device.lost.then(() => { lost = true; });
  const pipeline = await device.createComputePipelineAsync({
    layout: 'auto',
    compute: { module: device.createShaderModule({ code: SHADER }), entryPoint: 'main' },
  });
  const segmentBytes = Math.min(opts.segmentBytes ?? SEGMENT_BYTES, device.limits.maxStorageBufferBindingSize) & ~3;
  let upload: GPUBuffer | null = null;
  const info = adapter.info;

  async function runSegment(ops: OpSpec[], bytes: Uint8Array, start: number, length: number): Promise<number[]> {
    const words = length >>> 2;
    if (upload === null) upload = device.createBuffer({ size: segmentBytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(upload, 0, bytes.buffer, bytes.byteOffset + start, length);
    const groups = Math.max(1, Math.ceil(words / WORDS_PER_WORKGROUP));
    const encoder = device.createCommandEncoder();
    const reads: GPUBuffer[] = [];
    const scratch: GPUBuffer[] = [];
    for (const { op, imm } of ops) {
      const params = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(params, 0, new Uint32Array([MODE[op as keyof typeof MODE], imm, words, 0]));
      const partials = device.createBuffer({ size: groups * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
      const read = device.createBuffer({ size: groups * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: upload } }, { binding: 1, resource: { buffer: params } }, { binding: 2, resource: { buffer: partials } }],
      }));
      pass.dispatchWorkgroups(groups);
      pass.end();
      encoder.copyBufferToBuffer(partials, 0, read, 0, groups * 4);
      reads.push(read);
      scratch.push(params, partials);
    }
    device.queue.submit([encoder.finish()]);
    try {
      return await Promise.all(ops.map(async ({ op }, i) => {
        const read = reads[i]!;
        await read.mapAsync(GPUMapMode.READ);
        const values = new Uint32Array(read.getMappedRange());
        let acc = 0;
        if (op === 'xor') for (const v of values) acc ^= v;
        else for (const v of values) acc += v;
        read.unmap();
        return acc;
      }));
    } finally {
      for (const b of [...reads, ...scratch]) b.destroy();
    }
  }

  return {
    adapter: [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown adapter',
    async run(ops, bytes) {
      if (lost) throw new Error('the WebGPU device was lost');
      const whole = bytes.length & ~3;
      const totals = ops.map(() => 0);
      for (let start = 0; start < whole; start += segmentBytes) {
        const partial = await runSegment(ops, bytes, start, Math.min(segmentBytes, whole - start));
        partial.forEach((v, i) => { totals[i] = ops[i]!.op === 'xor' ? (totals[i]! ^ v) >>> 0 : totals[i]! + v; });
      }
      const tail = bytes.subarray(whole);
      return ops.map(({ op, imm }, i): OpResult => {
        const t = totals[i]!;
        if (op === 'counteq') return { count: t + counteqPure(tail, imm), bytes: bytes.length };
        if (op === 'add') return { sum: t + addSumPure(tail, imm), bytes: bytes.length };
        const w = t ^ xorBytesPure(tail);
        return { xor: (w ^ (w >>> 8) ^ (w >>> 16) ^ (w >>> 24) ^ (bytes.length % 2 === 1 ? imm : 0)) & 0xff, bytes: bytes.length };
      });
    },
    destroy() {
      upload?.destroy();
      device.destroy();
    },
  };
}
