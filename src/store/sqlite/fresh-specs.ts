import type { JobSpec } from '../../job/types.js';

/**
 * The specs of jobs this process enqueued and has not taken yet, so take()
 * needs no row read for them (a read and a decode cost the dispatcher's
 * thread several µs per job). Bounded: at most `capacity` specs and
 * `maxInline` bytes of inline data; what does not fit is read from its row
 * when taken.
 *
 * Seqs are dense and rising, so the specs live in a ring indexed by
 * seq mod capacity (a power of two): a put, a hit and a removal are array
 * writes, with no Map entry or object per job for the collector to trace.
 * A slot still holding an older job refuses the newer one (the older is
 * nearer the head of its lane, so it is taken first). State per slot:
 * empty (seq 0) or holding the job with that seq; removal empties it.
 */
export class FreshSpecs {
  private readonly mask: number;
  private readonly seqs: Float64Array;
  private readonly enqueuedAts: Float64Array;
  private readonly inlines: Float64Array;
  private readonly jobs: (JobSpec | undefined)[];
  private inlineBytes = 0;

  constructor(capacity: number, private readonly maxInline: number) {
    if (!Number.isInteger(Math.log2(capacity))) throw new Error(`fresh spec capacity must be a power of two, got ${capacity}`);
    this.mask = capacity - 1;
    this.seqs = new Float64Array(capacity);
    this.enqueuedAts = new Float64Array(capacity);
    this.inlines = new Float64Array(capacity);
    this.jobs = new Array<JobSpec | undefined>(capacity).fill(undefined);
  }

  /** Keeps the spec of job `seq` (≥ 1) if there is room for it. */
  put(seq: number, job: JobSpec, enqueuedAt: number, inline: number): void {
    const i = seq & this.mask;
    if (this.seqs[i] !== 0 || this.inlineBytes + inline > this.maxInline) return;
    this.seqs[i] = seq;
    this.jobs[i] = job;
    this.enqueuedAts[i] = enqueuedAt;
    this.inlines[i] = inline;
    this.inlineBytes += inline;
  }

  /** The slot holding job `seq`, or -1. */
  slotOf(seq: number): number {
    const i = seq & this.mask;
    return this.seqs[i] === seq ? i : -1;
  }

  job(slot: number): JobSpec {
    return this.jobs[slot] as JobSpec;
  }

  enqueuedAt(slot: number): number {
    return this.enqueuedAts[slot] as number;
  }

  inline(slot: number): number {
    return this.inlines[slot] as number;
  }

  /** Empties a slot slotOf() returned. */
  remove(slot: number): void {
    this.seqs[slot] = 0;
    this.jobs[slot] = undefined;
    this.inlineBytes -= this.inlines[slot] as number;
  }

  /** Forgets job `seq` if it is here. */
  delete(seq: number): void {
    const slot = this.slotOf(seq);
    if (slot >= 0) this.remove(slot);
  }

  clear(): void {
    this.seqs.fill(0);
    this.jobs.fill(undefined);
    this.inlineBytes = 0;
  }
}
