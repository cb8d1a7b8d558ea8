/**
 * Caps how many requests one substrate instance has open at once; callers
 * beyond the cap wait in FIFO order.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      // hand the slot straight to the next waiter, so `active` never dips and lets a newcomer jump the queue
      const next = this.queue.shift();
      if (next === undefined) this.active--;
      else next();
    }
  }
}
