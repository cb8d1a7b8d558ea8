import { addSum, compileKernelsModule, counteq, crc32c, fnv64, kernelImplementation, useWasmKernels, xorFold } from '../src/ops/index.js';
import { pseudoRandomBytes } from './kernels-measure.js';

/**
 * A Cloudflare Worker for the kernels bench (bundled like the real worker, so
 * it gets kernels.wasm as a module import). workerd freezes its clocks while
 * a request computes, so the bench times requests from outside:
 * GET /?op=counteq&impl=wasm-simd|ts&mib=32&reps=N runs the op N times over the
 * same bytes; the time of N=R minus N=0 is R runs of the op.
 */
const IMM = 42;
let data: Uint8Array | null = null;

const OPS: Record<string, (bytes: Uint8Array) => unknown> = {
  counteq: (b) => counteq(b, IMM),
  crc32c: (b) => crc32c(b),
  fnv64: (b) => fnv64(b),
  xor: (b) => xorFold(b, IMM),
  add: (b) => addSum(b, IMM),
};

export default {
  fetch(request: Request): Response {
    const url = new URL(request.url);
    const mib = Number(url.searchParams.get('mib') ?? 32);
    if (data === null || data.length !== mib << 20) data = pseudoRandomBytes(mib << 20);
    const op = OPS[url.searchParams.get('op') ?? ''];
    if (op === undefined) return new Response(JSON.stringify({ kernels: kernelImplementation() }));
    useWasmKernels(url.searchParams.get('impl') === 'ts' ? null : compileKernelsModule());
    const reps = Number(url.searchParams.get('reps') ?? 1);
    let result: unknown = null;
    for (let i = 0; i < reps; i++) result = op(data);
    return new Response(JSON.stringify({ result: String(result), kernels: kernelImplementation() }));
  },
};
