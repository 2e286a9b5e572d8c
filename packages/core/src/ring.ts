/**
 * A growable ring buffer: the channel's element buffer. It starts small and doubles
 * up to the channel's capacity, so a channel of capacity 2^31-1 costs nothing until
 * it is filled. push and shift are O(1) amortised.
 *
 * @internal
 * @module
 */
export class Ring<T> {
  private items: (T | undefined)[];
  private head = 0;
  /** Number of buffered items. */
  length = 0;
  /** The most items it holds: the channel's capacity. */
  readonly cap: number;

  constructor(capacity: number) {
    this.cap = capacity;
    this.items = new Array<T | undefined>(capacity < 16 ? Math.max(capacity, 1) : 16);
  }

  push(value: T): void {
    let items = this.items;
    if (this.length === items.length) items = this.grow();
    let i = this.head + this.length;
    if (i >= items.length) i -= items.length;
    items[i] = value;
    this.length++;
  }

  /** The oldest item, left in place; the caller checks `length > 0`. */
  peek(): T {
    return this.items[this.head] as T;
  }

  /** Removes and returns the oldest item; the caller checks `length > 0`. */
  shift(): T {
    const items = this.items;
    const value = items[this.head] as T;
    items[this.head] = undefined; // drop the reference for the GC
    this.head = this.head + 1 === items.length ? 0 : this.head + 1;
    this.length--;
    return value;
  }

  private grow(): (T | undefined)[] {
    const old = this.items;
    const next = new Array<T | undefined>(old.length * 2);
    for (let k = 0; k < this.length; k++) {
      let i = this.head + k;
      if (i >= old.length) i -= old.length;
      next[k] = old[i];
    }
    this.items = next;
    this.head = 0;
    return next;
  }
}
