interface Waiter<R> {
  resolve: (value: R | null) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * In-process waiters for job results, keyed by job id. Every waiter is
 * removed when it settles, by a result or by its timeout, so callers that
 * give up leave nothing behind.
 */
export class ResultWaiters<R> {
  private readonly byId = new Map<string, Waiter<R>[]>();
  private pending = 0;

  /** Number of waiters not yet settled (for diagnostics and leak tests). */
  get size(): number {
    return this.pending;
  }

  /** Resolves with the value given to resolve(id), or null after timeoutMs. */
  wait(id: string, timeoutMs: number): Promise<R | null> {
    return new Promise<R | null>((resolve) => {
      const waiter: Waiter<R> = {
        resolve,
        timer: setTimeout(() => {
          this.remove(id, waiter);
          resolve(null);
        }, timeoutMs),
      };
      const list = this.byId.get(id);
      if (list === undefined) this.byId.set(id, [waiter]);
      else list.push(waiter);
      this.pending++;
    });
  }

  resolve(id: string, value: R): void {
    if (this.pending === 0) return;
    const list = this.byId.get(id);
    if (list === undefined) return;
    this.byId.delete(id);
    this.pending -= list.length;
    for (const waiter of list) {
      clearTimeout(waiter.timer);
      waiter.resolve(value);
    }
  }

  /** Settles every waiter with null (used on close). */
  resolveAllWithNull(): void {
    for (const list of this.byId.values()) {
      for (const waiter of list) {
        clearTimeout(waiter.timer);
        waiter.resolve(null);
      }
    }
    this.byId.clear();
    this.pending = 0;
  }

  private remove(id: string, waiter: Waiter<R>): void {
    const list = this.byId.get(id);
    if (list === undefined) return;
    const i = list.indexOf(waiter);
    if (i === -1) return;
    list.splice(i, 1);
    this.pending--;
    if (list.length === 0) this.byId.delete(id);
  }
}
