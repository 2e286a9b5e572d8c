/**
 * The results of a batch (a group, or `pool.map`), by index, until they are
 * handed over as one array.
 *
 * Why not one array grown as jobs are submitted: a batch of 200,000 jobs grew
 * its array by `push(undefined)` per job and copied it on `wait()`, and on
 * Node 20 growing an array that large (each growth allocates a larger backing
 * store in the large-object space and copies the old one) was the costliest
 * line in the CPU profile of a trivial job of a batch, some 15% of the
 * samples of a group or a map. Here the values sit in fixed chunks that
 * never move, and the array handed over is allocated once, at its final size.
 * When the batch's size is known up front (`pool.map` over an array), the
 * values go straight into an array of that size and nothing is copied.
 *
 * Unset indices (a job that failed while collecting errors, one never run)
 * read as `undefined`.
 *
 * @internal
 * @module
 */

/** Values per chunk: small enough to stay out of the large-object space. */
const CHUNK = 1024;
const SHIFT = 10;
const MASK = CHUNK - 1;

export class Results {
  /** The array handed over, when its size was known up front (values past it go to chunks). */
  private flat: unknown[] | null;
  private readonly chunks: (unknown[] | undefined)[] = [];

  /** `size`: how many values are expected (0 if unknown). */
  constructor(size: number) {
    this.flat = size > 0 ? new Array<unknown>(size) : null;
  }

  set(index: number, value: unknown): void {
    const flat = this.flat;
    if (flat !== null && index < flat.length) {
      flat[index] = value;
      return;
    }
    const c = index >> SHIFT;
    let chunk = this.chunks[c];
    if (chunk === undefined) {
      // Chunks may be made out of order (results arrive in any order).
      while (this.chunks.length < c) this.chunks.push(undefined);
      chunk = this.chunks[c] = new Array<unknown>(CHUNK);
    }
    chunk[index & MASK] = value;
  }

  /**
   * The first `count` values as an array. A new array each time, unless the
   * size was known up front and all the values are in the preallocated
   * array: then that array is handed over, and the Results must not be used
   * again (`pool.map` takes its results once; a group, whose size is never
   * known up front, may be waited for again and gets a new array each time).
   */
  take(count: number): unknown[] {
    const flat = this.flat;
    if (flat !== null && count === flat.length && this.chunks.length === 0) {
      this.flat = null;
      return flat;
    }
    const out = new Array<unknown>(count);
    let i = 0;
    if (flat !== null) for (const n = Math.min(count, flat.length); i < n; i++) out[i] = flat[i];
    for (; i < count; i++) {
      const chunk = this.chunks[i >> SHIFT];
      out[i] = chunk === undefined ? undefined : chunk[i & MASK];
    }
    return out;
  }
}
