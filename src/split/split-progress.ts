/**
 * Progress of a split job, as GET /v1/jobs/:id and the events stream show it.
 * A window is done when its child job succeeded, failed when its child failed
 * for good; bytes count the windows done. At the end of a successful split
 * windows_done == windows_total and bytes_done == bytes_total.
 */
export interface SplitProgress {
  windows_total: number;
  windows_done: number;
  windows_failed: number;
  bytes_total: number;
  bytes_done: number;
}

export function emptyProgress(): SplitProgress {
  return { windows_total: 0, windows_done: 0, windows_failed: 0, bytes_total: 0, bytes_done: 0 };
}

type Listener = (progress: SplitProgress) => void;

/**
 * The live progress of the split jobs this process coordinates, with
 * listeners for the events stream. State per job id: absent (not a split
 * job here, or finished: its result record then carries the final progress)
 * → present from submit or lease until the coordinator writes the result.
 */
export class ProgressBoard {
  private readonly live = new Map<string, SplitProgress>();
  private readonly listeners = new Map<string, Set<Listener>>();

  get(jobId: string): SplitProgress | undefined {
    const p = this.live.get(jobId);
    return p === undefined ? undefined : { ...p };
  }

  /** Publishes a new value (a copy is kept) and tells the listeners. */
  set(jobId: string, progress: SplitProgress): void {
    this.live.set(jobId, { ...progress });
    for (const listener of this.listeners.get(jobId) ?? []) listener({ ...progress });
  }

  /** Only when absent: a queued split job shows zeros until its coordinator starts. */
  register(jobId: string): void {
    if (!this.live.has(jobId)) this.live.set(jobId, emptyProgress());
  }

  delete(jobId: string): void {
    this.live.delete(jobId);
  }

  /** Every split job in progress here (the dashboard lists them with a progress bar each). */
  entries(): IterableIterator<[string, SplitProgress]> {
    return this.live.entries();
  }

  /** Calls `listener` on every change of this job's progress until the returned function is called. */
  subscribe(jobId: string, listener: Listener): () => void {
    let set = this.listeners.get(jobId);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(jobId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(jobId);
    };
  }
}
