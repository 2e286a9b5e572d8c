/**
 * A growable ring buffer FIFO: the line of blocked submitters. Removal of a
 * member that is not at the head is lazy (the caller marks it dead and counts
 * it); `compact` drops the dead in one O(n) pass, which the caller runs once
 * they outnumber the living, so every operation is O(1) amortised and dead
 * entries never hold more than half the memory. The backing array shrinks
 * by half whenever it is less than a quarter full, so a line that once held
 * 500,000 blocked submitters does not keep their array once it is short again.
 *
 * @internal
 * @module
 */
/** The smallest backing array. */
const MIN = 16;

export class Fifo<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(MIN);
  private head = 0;
  /** Entries, dead ones included. */
  length = 0;

  push(value: T): void {
    let items = this.items;
    if (this.length === items.length) items = this.grow();
    let i = this.head + this.length;
    if (i >= items.length) i -= items.length;
    items[i] = value;
    this.length++;
  }

  /** The oldest entry, or undefined. */
  peek(): T | undefined {
    return this.length === 0 ? undefined : this.items[this.head];
  }

  /** Removes and returns the oldest entry, or undefined. */
  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const items = this.items;
    const value = items[this.head];
    items[this.head] = undefined;
    this.head = this.head + 1 === items.length ? 0 : this.head + 1;
    this.length--;
    if (items.length > MIN && this.length < items.length >> 2) this.resize(items.length >> 1);
    return value;
  }

  /** The size of the backing array (for tests of the memory kept). */
  get capacity(): number {
    return this.items.length;
  }

  /** Keeps only the entries for which `alive` holds, in order. */
  compact(alive: (value: T) => boolean): void {
    const old = this.items;
    const kept: (T | undefined)[] = new Array<T | undefined>(old.length);
    let n = 0;
    for (let k = 0; k < this.length; k++) {
      let i = this.head + k;
      if (i >= old.length) i -= old.length;
      const v = old[i] as T;
      if (alive(v)) kept[n++] = v;
    }
    this.items = kept;
    this.head = 0;
    this.length = n;
    let size = kept.length;
    while (size > MIN && n < size >> 2) size >>= 1;
    if (size !== kept.length) this.resize(size);
  }

  private grow(): (T | undefined)[] {
    return this.resize(this.items.length * 2);
  }

  /** Moves the entries to a new array of `size` (at least `length`). */
  private resize(size: number): (T | undefined)[] {
    const old = this.items;
    const next = new Array<T | undefined>(size);
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
