import { Fifo } from './fifo.js';

interface Lane<T> {
  fifo: Fifo<T>;
  /** items in `fifo` that were removed lazily and are not yet popped */
  removed: number;
}

/** A lane is compacted once it holds this many removed items and they outnumber the live ones. */
const COMPACT_AT = 1024;

/**
 * Ready items by priority: one FIFO ("lane") per distinct priority plus the
 * distinct priorities sorted highest first, so take() costs O(taken + lanes).
 * Priorities are bounded integers (−1000..1000), so there are few lanes and
 * empty ones are kept rather than re-sorted in and out.
 *
 * Removal is lazy: a removed item stays in its lane and isLive() filters it
 * out when it reaches the head. noteRemoved() counts such items and compacts
 * a lane once they dominate it, so cancelling many jobs cannot pin memory.
 */
export class ReadyQueue<T> {
  private readonly lanes = new Map<number, Lane<T>>();
  /** distinct priorities, descending */
  private readonly priorities: number[] = [];

  constructor(private readonly isLive: (item: T) => boolean) {}

  push(priority: number, item: T): void {
    let lane = this.lanes.get(priority);
    if (lane === undefined) {
      lane = { fifo: new Fifo<T>(), removed: 0 };
      this.lanes.set(priority, lane);
      this.insertPriority(priority);
    }
    lane.fifo.push(item);
  }

  /** Pops up to `max` live items: highest priority first, FIFO within one priority. */
  take(max: number): T[] {
    const out: T[] = [];
    for (let p = 0; p < this.priorities.length && out.length < max; p++) {
      const lane = this.lanes.get(this.priorities[p] as number) as Lane<T>;
      while (out.length < max) {
        const item = lane.fifo.shift();
        if (item === undefined) break;
        if (this.isLive(item)) out.push(item);
        else if (lane.removed > 0) lane.removed--;
      }
    }
    return out;
  }

  /** Records that an item of this priority was removed lazily (isLive now says false for it). */
  noteRemoved(priority: number): void {
    const lane = this.lanes.get(priority);
    if (lane === undefined) return;
    lane.removed++;
    if (lane.removed >= COMPACT_AT && lane.removed * 2 > lane.fifo.size) {
      lane.fifo.retain(this.isLive);
      lane.removed = 0;
    }
  }

  private insertPriority(priority: number): void {
    const list = this.priorities;
    let i = 0;
    while (i < list.length && (list[i] as number) > priority) i++;
    list.splice(i, 0, priority);
  }
}
