/**
 * Binary min-heap of values ordered by a numeric key (an epoch-ms deadline in
 * the memory and SQLite stores, a path length in the simulation's min-cost
 * flow). Keys and values live in parallel arrays so a push costs
 * no wrapper object. Entries cannot be removed or re-keyed one by one:
 * callers invalidate lazily, checking a popped value against their own
 * state, and drop dead entries in bulk with retain() when they pile up.
 */
export class MinHeap<T> {
  private readonly keys: number[] = [];
  private readonly values: T[] = [];

  get size(): number {
    return this.keys.length;
  }

  /** The smallest key, or Infinity when empty (so `peekKey() <= now` needs no size check). */
  peekKey(): number {
    return this.keys.length === 0 ? Infinity : (this.keys[0] as number);
  }

  push(key: number, value: T): void {
    const keys = this.keys;
    const values = this.values;
    let i = keys.length;
    keys.push(key);
    values.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentKey = keys[parent] as number;
      if (parentKey <= key) break;
      keys[i] = parentKey;
      values[i] = values[parent] as T;
      i = parent;
    }
    keys[i] = key;
    values[i] = value;
  }

  pop(): T | undefined {
    const keys = this.keys;
    const values = this.values;
    if (keys.length === 0) return undefined;
    const top = values[0] as T;
    const lastKey = keys.pop() as number;
    const lastValue = values.pop() as T;
    if (keys.length > 0) {
      keys[0] = lastKey;
      values[0] = lastValue;
      this.siftDown(0);
    }
    return top;
  }

  /** Empties the heap, keeping its arrays' capacity for reuse. */
  clear(): void {
    this.keys.length = 0;
    this.values.length = 0;
  }

  /** Keeps only the values `keep` accepts and restores heap order: O(n), for occasional bulk clean-up. */
  retain(keep: (value: T) => boolean): void {
    const keys = this.keys;
    const values = this.values;
    let n = 0;
    for (let i = 0; i < keys.length; i++) {
      if (!keep(values[i] as T)) continue;
      keys[n] = keys[i] as number;
      values[n] = values[i] as T;
      n++;
    }
    keys.length = n;
    values.length = n;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftDown(start: number): void {
    const keys = this.keys;
    const values = this.values;
    const size = keys.length;
    const key = keys[start] as number;
    const value = values[start] as T;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && (keys[right] as number) < (keys[left] as number) ? right : left;
      if ((keys[child] as number) >= key) break;
      keys[i] = keys[child] as number;
      values[i] = values[child] as T;
      i = child;
    }
    keys[i] = key;
    values[i] = value;
  }
}
