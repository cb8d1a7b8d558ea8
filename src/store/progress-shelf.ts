import type { SplitProgress } from '../split/split-progress.js';

/**
 * Where the dispatcher coordinating a split job leaves the job's progress,
 * so every dispatcher sharing the store can show it (GET /v1/jobs/:id and
 * its events stream), not only the coordinating one. Written in batches
 * (the coordinator flushes every changed entry a few times a second, never
 * once per window).
 *
 * An entry's life: `publish` while the job runs, each write keeping it for
 * ttlMs (a coordinator that dies leaves it to expire; whoever takes the job
 * next publishes again) → either `remove` when the job's result is written
 * (the result record carries the final progress) or `keepFinal` when the job
 * was cancelled (the cancelled record is written by the store, which knows
 * nothing of progress; the entry is then kept as long as result records and
 * shown with that record).
 */
export interface ProgressShelf {
  publish(entries: readonly ProgressEntry[], ttlMs: number): Promise<void>;
  keepFinal(entry: ProgressEntry): Promise<void>;
  read(jobId: string): Promise<SplitProgress | null>;
  remove(jobIds: readonly string[]): Promise<void>;
}

export interface ProgressEntry {
  job_id: string;
  progress: SplitProgress;
}

/**
 * The shelf of a store only one process uses (memory, SQLite): a map with
 * expiries, swept as it is written. Bounded by the split jobs that process
 * runs at once plus the cancelled ones within the result TTL (at most
 * MAX_FINAL of those, oldest dropped first).
 */
export class LocalProgressShelf implements ProgressShelf {
  private readonly entries = new Map<string, { progress: SplitProgress; expiresAt: number }>();
  private readonly finals: string[] = [];

  constructor(private readonly finalTtlMs: number, private readonly now: () => number = Date.now) {}

  async publish(entries: readonly ProgressEntry[], ttlMs: number): Promise<void> {
    const expiresAt = this.now() + ttlMs;
    for (const e of entries) this.entries.set(e.job_id, { progress: { ...e.progress }, expiresAt });
  }

  async keepFinal(entry: ProgressEntry): Promise<void> {
    this.entries.set(entry.job_id, { progress: { ...entry.progress }, expiresAt: this.now() + this.finalTtlMs });
    this.finals.push(entry.job_id);
    if (this.finals.length > MAX_FINAL) this.entries.delete(this.finals.shift()!);
  }

  async read(jobId: string): Promise<SplitProgress | null> {
    const entry = this.entries.get(jobId);
    if (entry === undefined) return null;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(jobId);
      return null;
    }
    return { ...entry.progress };
  }

  async remove(jobIds: readonly string[]): Promise<void> {
    for (const id of jobIds) this.entries.delete(id);
  }
}

const PROGRESS_FIELDS = ['windows_total', 'windows_done', 'windows_failed', 'bytes_total', 'bytes_done'] as const;

/** A progress read back from a shared store (written by another process): its five counters, or null when it is not one. */
export function parseProgress(text: string): SplitProgress | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const out: SplitProgress = { windows_total: 0, windows_done: 0, windows_failed: 0, bytes_total: 0, bytes_done: 0 };
  for (const field of PROGRESS_FIELDS) {
    const n = v[field];
    if (!Number.isSafeInteger(n) || (n as number) < 0) return null;
    out[field] = n as number;
  }
  return out;
}

/** Cancelled split parents whose last progress a one-process shelf keeps. */
const MAX_FINAL = 10_000;
