/**
 * Call sites for `run()`'s reports, captured at a bounded cost.
 *
 * A stack can only be captured synchronously, at the call: once an operation
 * has parked, nothing in JavaScript can ask where it came from. And capturing
 * one is expensive: measured on Node 20, `new Error()` or
 * `Error.captureStackTrace` costs 2-4 µs whatever `Error.stackTraceLimit` is,
 * 10-20 times an unbuffered hand-off. Capturing on every parked operation made
 * channel-heavy programs 10-30x slower under `run()`.
 *
 * So the default samples. Every operation is captured while a credit lasts: a
 * burst of {@link BURST} at the start, refilled by one per {@link REFILL_MS} of
 * wall time. A program that parks less often than that (most programs, and
 * every small one) gets every call site; a busy one gets at most
 * 1000 / REFILL_MS = 100 captures a second. In a busy program a capture costs
 * far more than the figure above (measured 28 µs each, with the async frames
 * it walks and the stack it keeps alive, in the stateful-goroutine program on
 * a loaded machine): one per 2 ms cost that program ~10% of its CPU time, so
 * the refill is one per 10 ms, a fifth of those captures.
 *
 * Out of credit, a capture attempt costs a decrement and a compare, and the
 * clock is read once per {@link CHECK_EVERY} attempts. An attempt is made on
 * every parked operation and every spawn, so it must cost next to nothing: a
 * credit check and a counter in a method call each time cost the seed's
 * dispatcher ~5% of its CPU time.
 *
 * @internal
 * @module
 */

/** Captures granted at the start. */
export const BURST = 64;
/** One more capture is granted per this many milliseconds of wall time. */
export const REFILL_MS = 10;
/** Out of credit, the clock is read once per this many capture attempts. */
export const CHECK_EVERY = 64;

/** The countdown when off: the largest small integer, so that the counter stays one (V8 keeps a larger number boxed). */
const OFF_WINDOW = 0x3fffffff;

/** How call sites are captured: never, sampled (the default), or on every operation. */
export type CallSiteMode = "off" | "sampled" | "all";

/** Captures call sites as `mode` says. */
export class CallSites {
  readonly mode: CallSiteMode;
  /**
   * Attempts left until the next one takes the slow path (which grants a
   * capture or reads the clock): every other attempt costs one decrement and a
   * compare. 1 while there is credit (every attempt captures), CHECK_EVERY out
   * of credit, OFF_WINDOW when off.
   */
  #wait = 1;
  /** What `#wait` was set to last: the attempts since then are `#window - #wait`. */
  #window = 1;
  #credit = BURST;
  #last: number;
  /** Attempts that got no stack before the current window. */
  #skipped = 0;
  readonly #clock: () => number;

  constructor(mode: CallSiteMode, clock: () => number = () => performance.now()) {
    this.mode = mode;
    this.#clock = clock;
    this.#last = clock();
  }

  /** Attempts that got no stack. */
  get skipped(): number {
    return this.#skipped + this.#window - this.#wait;
  }

  /** A stack captured here, or null (mode off, or out of credit). */
  capture(): Error | null {
    if (--this.#wait > 0) return null;
    return this.#decide();
  }

  /** The slow path of {@link capture}: the attempts the window let through were skipped; this one is decided here. */
  #decide(): Error | null {
    this.#skipped += this.#window - 1;
    const sampled = this.mode === "sampled";
    if (this.mode === "all" || (sampled && (this.#credit > 0 || this.#refill()))) {
      if (sampled) this.#credit--;
      this.#window = this.#wait = sampled && this.#credit === 0 ? CHECK_EVERY : 1;
      return new Error("call site");
    }
    this.#skipped++;
    this.#window = this.#wait = sampled ? CHECK_EVERY : OFF_WINDOW;
    return null;
  }

  /** Grants what the time since the last refill earned; whether any credit came. */
  #refill(): boolean {
    const now = this.#clock();
    const earned = Math.floor((now - this.#last) / REFILL_MS);
    if (earned <= 0) return false;
    this.#credit = Math.min(BURST, earned);
    this.#last = now;
    return true;
  }
}
