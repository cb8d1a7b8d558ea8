/**
 * Many strings (JSON texts, ids) moved to the writer thread as one UTF-8
 * buffer whose memory is transferred, not copied, plus where each string
 * ends. Measured on this machine, posting a 400 KB string through a
 * MessagePort costs about 4 ns per character to send and as much again to
 * receive (the structured clone copies it several times); writing it into a
 * buffer costs a fraction of that, and for ASCII text (nearly always: ids
 * are ASCII, and specs and results are unless metadata or error messages
 * carry other characters) it is a plain copy both ways.
 */
export interface TextBatch {
  bytes: Uint8Array;
  /** UTF-16 length of the joined text: equal to bytes.length when it is ASCII */
  chars: number;
  /** end offset of each string in the joined text */
  ends: Float64Array;
}

/**
 * Buffers the writer thread has handed back, for the next batches: without
 * it every batch would allocate a fresh buffer here and leave a dead one to
 * the writer's garbage collector, which runs rarely (its heap hardly grows),
 * so freed memory would pile up there. Bounded: at most POOL_BYTES in all.
 */
export class TextBufferPool {
  private readonly free: ArrayBuffer[] = [];
  private bytes = 0;

  /** A buffer of at least `size` bytes (capacities are powers of two from 64 KiB, so they fit later batches too). */
  take(size: number): Buffer {
    const i = this.free.findIndex((b) => b.byteLength >= size);
    if (i >= 0) {
      const buffer = this.free.splice(i, 1)[0] as ArrayBuffer;
      this.bytes -= buffer.byteLength;
      return Buffer.from(buffer, 0, size);
    }
    let capacity = MIN_BUFFER;
    while (capacity < size) capacity *= 2;
    // its own memory (not Buffer's shared pool), so it can be transferred
    return Buffer.allocUnsafeSlow(capacity).subarray(0, size);
  }

  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength < MIN_BUFFER || this.bytes + buffer.byteLength > POOL_BYTES) return;
    this.free.push(buffer);
    this.bytes += buffer.byteLength;
  }
}

const MIN_BUFFER = 64 * 1024;
const POOL_BYTES = 32 * 1024 * 1024;

export function packTexts(texts: readonly string[], pool: TextBufferPool): TextBatch {
  const ends = new Float64Array(texts.length);
  let end = 0;
  for (let i = 0; i < texts.length; i++) {
    end += (texts[i] as string).length;
    ends[i] = end;
  }
  const text = texts.join('');
  const size = Buffer.byteLength(text, 'utf8');
  const bytes = pool.take(size);
  bytes.write(text, 0, size, size === text.length ? 'latin1' : 'utf8');
  return { bytes, chars: text.length, ends };
}

/** The strings again (slices of one decoded text: no copy each). */
export function unpackTexts(batch: TextBatch): string[] {
  const buf = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  const text = buf.toString(batch.bytes.byteLength === batch.chars ? 'latin1' : 'utf8');
  const out: string[] = new Array<string>(batch.ends.length);
  let start = 0;
  for (let i = 0; i < batch.ends.length; i++) {
    const end = batch.ends[i] as number;
    out[i] = text.slice(start, end);
    start = end;
  }
  return out;
}

/** What to list in postMessage's transfer list for these batches. */
export function transferOf(...batches: TextBatch[]): ArrayBuffer[] {
  return batches.map((b) => b.bytes.buffer as ArrayBuffer);
}
