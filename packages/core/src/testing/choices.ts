/**
 * Where a bubble's choices come from: select's pick among ready cases, the
 * order in which the receivers released by one `close()` resume, and the order
 * in which timers due at the same virtual instant fire.
 *
 * A seed gives a pseudo-random but reproducible stream. A schedule (an array
 * of non-negative integers, e.g. from `fc.array(fc.nat())`) is read one choice
 * at a time, each capped at the last candidate, and then reads as 0; 0 always means "the first candidate in the
 * natural order" (source order for select, FIFO for waiters and timers), so
 * when fast-check shrinks a failing schedule it shrinks toward the plainest
 * run that still fails.
 *
 * @internal
 * @module
 */

/** Reads choices from a seed or a schedule. */
export class Choices {
  readonly #schedule: readonly number[] | null;
  #next = 0;
  #state: number;

  constructor(source: number | readonly number[]) {
    if (typeof source === "number") {
      this.#schedule = null;
      this.#state = source >>> 0;
    } else {
      this.#schedule = source;
      this.#state = 0;
    }
  }

  /** An index in [0, n): which of `n` candidates goes next. `n` >= 1. */
  choose(n: number): number {
    if (n <= 1) return 0;
    if (this.#schedule === null) return Math.floor(this.#float() * n);
    // Capped, not wrapped: a larger choice never means an earlier candidate, so
    // shrinking a choice toward 0 walks the candidates in order.
    return Math.min(this.#schedule[this.#next++] ?? 0, n - 1);
  }

  /**
   * Select's random source. Select keeps the k-th ready case (k >= 2) over the
   * one it holds when `random() * k < 1`: from a schedule, each such step is a
   * yes/no choice (0: keep the earlier case), so the all-zero schedule picks
   * the first ready case in source order.
   */
  random(): number {
    if (this.#schedule === null) return this.#float();
    return this.choose(2) === 1 ? 0 : 1 - 2 ** -53;
  }

  /** mulberry32, the generator select uses outside bubbles. */
  #float(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
