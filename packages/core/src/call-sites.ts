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
 * the refill is one per 10 ms, a fifth of those captures. Out of credit, a capture attempt costs an increment and
 * a compare; the clock is read once per {@link CHECK_EVERY} attempts.
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

/** How call sites are captured: never, sampled (the default), or on every operation. */
export type CallSiteMode = "off" | "sampled" | "all";

/** Captures call sites as `mode` says. */
export class CallSites {
  readonly mode: CallSiteMode;
  #credit = BURST;
  #attempts = 0;
  #last: number;
  /** Attempts that got no stack. */
  skipped = 0;
  readonly #clock: () => number;

  constructor(mode: CallSiteMode, clock: () => number = () => performance.now()) {
    this.mode = mode;
    this.#clock = clock;
    this.#last = clock();
  }

  /** A stack captured here, or null (mode off, or out of credit). */
  capture(): Error | null {
    if (this.mode === "sampled") {
      if (this.#credit > 0 || this.#refill()) {
        this.#credit--;
        return new Error("call site");
      }
      this.skipped++;
      return null;
    }
    return this.mode === "all" ? new Error("call site") : null;
  }

  /** Grants what the time since the last refill earned; whether any credit came. */
  #refill(): boolean {
    if (++this.#attempts < CHECK_EVERY) return false;
    this.#attempts = 0;
    const now = this.#clock();
    const earned = Math.floor((now - this.#last) / REFILL_MS);
    if (earned <= 0) return false;
    this.#credit = Math.min(BURST, earned);
    this.#last = now;
    return true;
  }
}
