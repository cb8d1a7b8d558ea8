/**
 * The JavaScript side of the WebAssembly kernels (kernels.wat). WebAssembly
 * reads only its own linear memory, so a window elsewhere is copied through
 * the module's private 1 MiB scratch buffer one chunk at a time (the chunk
 * stays in cache for the kernel); a window that already lies in that memory —
 * a blob read straight into the `arena` — runs in place with no copy at all.
 *
 * One instance per module graph, i.e. per thread: worker threads and Web
 * Workers each instantiate their own. Kernels run synchronously to the end,
 * so the scratch buffer is never used by two calls at once; the arena belongs
 * to whoever reads into it (see data/blob-scan.ts), never to the copies.
 */

interface KernelExports {
  memory: WebAssembly.Memory;
  scratch_ptr: WebAssembly.Global;
  scratch_len: WebAssembly.Global;
  arena_ptr: WebAssembly.Global;
  arena_len: WebAssembly.Global;
  counteq(ptr: number, len: number, imm: number): number;
  xor(ptr: number, len: number): number;
  add(ptr: number, len: number, imm: number): number;
  crc32c(ptr: number, len: number, prev: number): number;
  fnv64(ptr: number, len: number, state: bigint): bigint;
}

/** The kernels over any Uint8Array; callers have validated imm and the fnv state. */
export interface WasmKernels {
  /** 1 MiB of the module's memory for callers: bytes written here are read in place */
  readonly arena: Uint8Array;
  counteq(bytes: Uint8Array, imm: number): number;
  /** XOR of the bytes, imm not applied */
  xorBytes(bytes: Uint8Array): number;
  addSum(bytes: Uint8Array, imm: number): number;
  crc32c(bytes: Uint8Array, prev: number): number;
  /** FNV-1a 64 state after the bytes, as an unsigned 64-bit value */
  fnv64(bytes: Uint8Array, state: bigint): bigint;
}

/** Instantiates the kernels from a compiled module (synchronous: the module has no imports). */
export function instantiateKernels(module: WebAssembly.Module): WasmKernels {
  const k = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
  const memory = k.memory.buffer;
  const scratchPtr = k.scratch_ptr.value as number;
  const scratchLen = k.scratch_len.value as number;
  const scratch = new Uint8Array(memory, scratchPtr, scratchLen);
  const arena = new Uint8Array(memory, k.arena_ptr.value as number, k.arena_len.value as number);

  /**
   * Runs `kernel` over `bytes` chunk by chunk, carrying `acc` from chunk to
   * chunk. A view into the module's memory needs no copy.
   */
  function each<T>(bytes: Uint8Array, initial: T, kernel: (ptr: number, len: number, acc: T) => T): T {
    if (bytes.buffer === memory) return kernel(bytes.byteOffset, bytes.length, initial);
    let acc = initial;
    for (let at = 0; at < bytes.length; at += scratchLen) {
      const chunk = bytes.subarray(at, at + scratchLen);
      scratch.set(chunk);
      acc = kernel(scratchPtr, chunk.length, acc);
    }
    return acc;
  }

  return {
    arena,
    counteq: (bytes, imm) => each(bytes, 0, (ptr, len, acc) => acc + (k.counteq(ptr, len, imm) >>> 0)),
    xorBytes: (bytes) => each(bytes, 0, (ptr, len, acc) => acc ^ k.xor(ptr, len)),
    addSum: (bytes, imm) => each(bytes, 0, (ptr, len, acc) => acc + k.add(ptr, len, imm)),
    crc32c: (bytes, prev) => each(bytes, prev, (ptr, len, acc) => k.crc32c(ptr, len, acc) >>> 0),
    fnv64: (bytes, state) => BigInt.asUintN(64, each(bytes, BigInt.asIntN(64, state), (ptr, len, acc) => k.fnv64(ptr, len, acc))),
  };
}
