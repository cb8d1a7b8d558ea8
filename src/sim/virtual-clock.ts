import type { Clock, TimerHandle } from '../util/clock.js';

/**
 * A clock whose time moves only when the simulation says so: timers are
 * events in a queue ordered by (due time, creation order), and `run()` jumps
 * from one due time to the next.
 *
 * Between two due times every promise continuation the fired callbacks
 * started must have run, or code awaiting a store call (the dispatch loop)
 * would see time move under it. A macrotask (setImmediate) only runs once
 * the microtask queue is empty, so one `await setImmediate` after each time
 * step settles everything: the simulated code never does real I/O.
 *
 * State: `pending` holds live timers; cancelled timers stay in the heap and
 * are skipped when they surface (no search on cancel).
 */
class VirtualTimer implements TimerHandle {
  cancelled = false;
  constructor(
    /** re-set when an interval is re-armed */
    public due: number,
    public seq: number,
    readonly fn: () => void,
    /** > 0 for setInterval: re-armed after each firing */
    readonly everyMs: number,
  ) {}

  unref(): this {
    return this;
  }
}

export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly heap: VirtualTimer[] = [];
  private fired = 0;

  constructor(startMs = 0) {
    this.t = startMs;
  }

  readonly now = (): number => this.t;

  /** timer callbacks run so far (a measure of simulation work) */
  get events(): number {
    return this.fired;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.arm(fn, ms, 0);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.arm(fn, ms, Math.max(1, ms));
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle instanceof VirtualTimer) handle.cancelled = true;
  }

  clearInterval(handle: TimerHandle | undefined): void {
    this.clearTimeout(handle);
  }

  /** schedules `fn` at an absolute virtual time (never in the past) */
  at(timeMs: number, fn: () => void): TimerHandle {
    return this.arm(fn, timeMs - this.t, 0);
  }

  /**
   * Fires timers in time order until `done()` is true after a step, or no
   * timer is left, or the next one is past `untilMs`. Resolves with whether
   * `done()` became true.
   */
  async run(done: () => boolean, untilMs = Infinity): Promise<boolean> {
    await settle();
    while (!done()) {
      const next = this.peekLive();
      if (next === undefined || next.due > untilMs) return false;
      this.t = next.due;
      // Fire everything due at this instant, then let the promise chains run.
      while (this.heap.length > 0 && this.heap[0]!.due <= this.t) {
        const timer = this.pop()!;
        if (timer.cancelled) continue;
        this.fired++;
        if (timer.everyMs > 0) {
          // re-armed as the same object, so cancelling the caller's handle stops it
          timer.due = this.t + timer.everyMs;
          timer.seq = this.seq++;
          this.push(timer);
        }
        timer.fn();
      }
      await settle();
    }
    return true;
  }

  private arm(fn: () => void, ms: number, everyMs: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer = new VirtualTimer(this.t + delay, this.seq++, fn, everyMs);
    this.push(timer);
    return timer;
  }

  private peekLive(): VirtualTimer | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap[0];
  }

  private push(timer: VirtualTimer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(timer, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): VirtualTimer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const c = r < heap.length && before(heap[r]!, heap[l]!) ? r : l;
      if (!before(heap[c]!, last)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
