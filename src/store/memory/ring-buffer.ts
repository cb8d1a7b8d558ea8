/** Keeps the newest `capacity` items; reads them newest first. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  /** slot the next push writes */
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.capacity === 0) return;
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Up to `limit` items, newest first. */
  newest(limit: number): T[] {
    const n = Math.max(0, Math.min(Math.floor(limit), this.count));
    const out: T[] = new Array<T>(n);
    let slot = this.next;
    for (let i = 0; i < n; i++) {
      slot = slot === 0 ? this.capacity - 1 : slot - 1;
      out[i] = this.items[slot] as T;
    }
    return out;
  }

  /** Replaces the newest item that matches; false when none does. */
  replaceNewest(matches: (item: T) => boolean, item: T): boolean {
    let slot = this.next;
    for (let i = 0; i < this.count; i++) {
      slot = slot === 0 ? this.capacity - 1 : slot - 1;
      if (matches(this.items[slot] as T)) {
        this.items[slot] = item;
        return true;
      }
    }
    return false;
  }
}
