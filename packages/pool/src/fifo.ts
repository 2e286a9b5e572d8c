/**
 * A growable ring buffer FIFO: the line of blocked submitters. Removal of a
 * member that is not at the head is lazy (the caller marks it dead and counts
 * it); `compact` drops the dead in one O(n) pass, which the caller runs once
 * they outnumber the living, so every operation is O(1) amortised and dead
 * entries never hold more than half the memory.
 *
 * @internal
 * @module
 */
export class Fifo<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(16);
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
    return value;
  }

  /** Keeps only the entries for which `alive` holds, in order. */
  compact(alive: (value: T) => boolean): void {
    const old = this.items;
    const kept: (T | undefined)[] = new Array<T | undefined>(Math.max(16, old.length));
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
