import { PacketFSError } from '../errors.js';
import type { JobSpec } from '../job/types.js';
import type { JobStore, QueueDepth } from '../store/job-store.js';

/**
 * Back-pressure at submit: new work is refused with 503 QUEUE_FULL (and
 * Retry-After) once the queue holds maxQueuedJobs unfinished jobs, or, where
 * the store tracks it, maxInlineBytes of inline data. The store's depth is
 * read at most every refreshMs (a Redis round trip otherwise per submit);
 * jobs this process submitted since are added to it, so a burst cannot slip
 * past between two reads.
 */
export interface QueueBoundsOptions {
  /** unfinished jobs (queued, delayed, running); default 1,000,000 */
  maxQueuedJobs?: number;
  /** inline data of unfinished jobs, base64 characters; default 256 MiB */
  maxInlineBytes?: number;
  refreshMs?: number;
  now?: () => number;
}

export const DEFAULT_MAX_QUEUED_JOBS = 1_000_000;
export const DEFAULT_MAX_INLINE_BYTES = 256 * 1024 * 1024;

export class QueueBounds {
  readonly maxQueuedJobs: number;
  readonly maxInlineBytes: number;
  private readonly refreshMs: number;
  private readonly now: () => number;
  private depth: QueueDepth | null = null;
  private readAt = -Infinity;
  private jobsSince = 0;
  private bytesSince = 0;

  constructor(private readonly store: JobStore, opts: QueueBoundsOptions = {}) {
    this.maxQueuedJobs = opts.maxQueuedJobs ?? DEFAULT_MAX_QUEUED_JOBS;
    this.maxInlineBytes = opts.maxInlineBytes ?? DEFAULT_MAX_INLINE_BYTES;
    this.refreshMs = opts.refreshMs ?? (store.kind === 'memory' ? 0 : 250);
    this.now = opts.now ?? Date.now;
  }

  /** Throws QUEUE_FULL when these jobs would take the queue past a bound. */
  async admit(jobs: readonly JobSpec[]): Promise<void> {
    const now = this.now();
    if (this.depth === null || now - this.readAt >= this.refreshMs) {
      this.depth = await this.store.depth();
      this.readAt = now;
      this.jobsSince = 0;
      this.bytesSince = 0;
    }
    let bytes = 0;
    for (const job of jobs) bytes += job.program.data?.length ?? 0;
    const d = this.depth;
    const queued = d.queued + d.delayed + d.running + this.jobsSince;
    if (queued + jobs.length > this.maxQueuedJobs) {
      throw new PacketFSError('QUEUE_FULL', `the queue holds ${queued} unfinished jobs; it takes at most ${this.maxQueuedJobs} (max_queued_jobs). Retry later.`);
    }
    if (d.inline_bytes !== undefined && d.inline_bytes + this.bytesSince + bytes > this.maxInlineBytes && bytes > 0) {
      throw new PacketFSError('QUEUE_FULL', `queued jobs hold ${d.inline_bytes + this.bytesSince} bytes of inline data; the queue takes at most ${this.maxInlineBytes} (max_queued_bytes). Upload large data as a blob, or retry later.`);
    }
    this.jobsSince += jobs.length;
    this.bytesSince += bytes;
  }
}
