import {
  addSum, addSumPure, compileKernelsModule, counteq, counteqPure, crc32c, crc32cPure, fnv64, fnv64Pure, xorBytesPure, xorFold,
} from '../src/ops/index.js';
import { instantiateKernels } from '../src/ops/wasm/wasm-kernels.js';

/**
 * Kernel throughput in whatever runtime imports this (Node main thread, a
 * worker thread, a Chromium Web Worker): every op × implementation over the
 * same `sizeMiB` of pseudo-random bytes, best of `runs` interleaved rounds
 * after a warm-up, plus
 * a memcpy of the same size as the runtime's own copy ceiling.
 *   ts                  the pure TypeScript kernels
 *   wasm-simd           the WebAssembly kernels on the array (copied through
 *                       their 1 MiB scratch, as any window from elsewhere is)
 *   wasm-simd in place  the same kernels on data already in their arena (the
 *                       zero-copy blob path): the kernel alone, cache-resident
 *   ops export          what `packetfs-compute/ops` picks here by itself
 * plus any extra implementations the caller passes (Node's native ones).
 */
export interface KernelRow {
  op: string;
  impl: string;
  gbPerSec: number;
}

/** An extra implementation row: `run` is called on the bench's bytes. */
export interface ExtraKernel {
  op: string;
  impl: string;
  run: (data: Uint8Array) => unknown;
}

const IMM = 42;

/** Deterministic bytes (xorshift32), so every runtime hashes the same data. */
export function pseudoRandomBytes(length: number): Uint8Array {
  const data = new Uint8Array(length);
  const words = new Uint32Array(data.buffer, 0, length >>> 2);
  let x = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    words[i] = x;
  }
  return data;
}

export function measureKernels(opts: { sizeMiB: number; runs?: number; extra?: ExtraKernel[] }): KernelRow[] {
  const runs = opts.runs ?? 5;
  const data = pseudoRandomBytes(opts.sizeMiB << 20);
  const module = compileKernelsModule();
  const wasm = module === null ? null : instantiateKernels(module);
  const cases: Array<{ op: string; impl: string; run: () => unknown }> = [
    { op: 'counteq', impl: 'ts', run: () => counteqPure(data, IMM) },
    { op: 'crc32c', impl: 'ts', run: () => crc32cPure(data) },
    { op: 'fnv64', impl: 'ts', run: () => fnv64Pure(data) },
    { op: 'xor', impl: 'ts', run: () => xorBytesPure(data) },
    { op: 'add', impl: 'ts', run: () => addSumPure(data, IMM) },
  ];
  if (wasm !== null) {
    const basis = 0xcbf29ce484222325n;
    cases.push(
      { op: 'counteq', impl: 'wasm-simd', run: () => wasm.counteq(data, IMM) },
      { op: 'crc32c', impl: 'wasm-simd', run: () => wasm.crc32c(data, 0) },
      { op: 'fnv64', impl: 'wasm-simd', run: () => wasm.fnv64(data, basis) },
      { op: 'xor', impl: 'wasm-simd', run: () => wasm.xorBytes(data) },
      { op: 'add', impl: 'wasm-simd', run: () => wasm.addSum(data, IMM) },
    );
    // The arena holds 1 MiB: run over it sizeMiB times for the same byte count.
    const arena = wasm.arena;
    arena.set(data.subarray(0, arena.length));
    const inPlace = (kernel: () => unknown) => () => { let r: unknown; for (let i = 0; i < opts.sizeMiB; i++) r = kernel(); return r; };
    cases.push(
      { op: 'counteq', impl: 'wasm-simd in place', run: inPlace(() => wasm.counteq(arena, IMM)) },
      { op: 'crc32c', impl: 'wasm-simd in place', run: inPlace(() => wasm.crc32c(arena, 0)) },
      { op: 'fnv64', impl: 'wasm-simd in place', run: inPlace(() => wasm.fnv64(arena, basis)) },
      { op: 'xor', impl: 'wasm-simd in place', run: inPlace(() => wasm.xorBytes(arena)) },
      { op: 'add', impl: 'wasm-simd in place', run: inPlace(() => wasm.addSum(arena, IMM)) },
    );
  }
  for (const { op, impl, run } of opts.extra ?? []) cases.push({ op, impl, run: () => run(data) });
  cases.push(
    { op: 'counteq', impl: 'ops export', run: () => counteq(data, IMM) },
    { op: 'crc32c', impl: 'ops export', run: () => crc32c(data) },
    { op: 'fnv64', impl: 'ops export', run: () => fnv64(data) },
    { op: 'xor', impl: 'ops export', run: () => xorFold(data, IMM) },
    { op: 'add', impl: 'ops export', run: () => addSum(data, IMM) },
  );
  const copy = new Uint8Array(data.length);
  cases.push({ op: 'memcpy', impl: 'TypedArray.set', run: () => copy.set(data) });

  // Storing every result is a side effect the optimiser must keep, so no run can be dropped.
  // Rounds go over every case in turn, so a burst of load elsewhere hits all cases alike.
  const sink: unknown[] = cases.map(({ run }) => run());
  const best = cases.map(() => Infinity);
  for (let r = 0; r < runs; r++) {
    cases.forEach(({ run }, i) => {
      const start = performance.now();
      sink.push(run());
      best[i] = Math.min(best[i]!, performance.now() - start);
    });
  }
  return cases.map(({ op, impl }, i) => ({ op, impl, gbPerSec: Math.round((data.length / (best[i]! / 1000) / 1e9) * 1000) / 1000 }));
}
