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
 * An attempt is made on every parked operation and every spawn, so it must
 * cost next to nothing: a credit check and a counter in a method call each
 * time cost the seed's dispatcher ~5% of its CPU time. So an attempt is a
 * load and a branch, and out of credit nothing else: the refill comes
 * from a timer (unref'd: it never keeps a process alive) that runs only while
 * the credit is below the burst. Reading the clock instead, once per
 * 64 attempts out of credit, cost the gen/sq/merge pipeline ~4% of its time
 * (in one process, alternating with and without sampling, 10 rounds each, 1
 * December 2026): it was most of what sampling cost. A busy chain that never
 * yields to the event loop (`yieldEvery: Infinity`) gets no refill while it
 * runs; with the default time slice it yields every 10 ms, as often as the
 * refill comes.
 *
 * @internal
 * @module
 */

/** Captures granted at the start. */
export const BURST = 64;
/** One more capture is granted per this many milliseconds of wall time. */
export const REFILL_MS = 10;

/**
 * Starts calling `tick` every `ms` milliseconds without keeping the process
 * alive; returns what stops it. {@link CallSites} takes another (a test's).
 */
export type Ticker = (tick: () => void, ms: number) => () => void;

/** setInterval, unref'd where the host can (Node, Bun; Deno through `Deno.unrefTimer`). */
export const unrefInterval: Ticker = (tick, ms) => {
  const handle = setInterval(tick, ms) as unknown;
  if (typeof handle === "object" && handle !== null && typeof (handle as { unref?: unknown }).unref === "function") {
    (handle as { unref(): void }).unref();
  } else {
    const deno = (globalThis as { Deno?: { unrefTimer?: (id: unknown) => void } }).Deno;
    deno?.unrefTimer?.(handle);
  }
  return () => clearInterval(handle as Parameters<typeof clearInterval>[0]);
};

/** How call sites are captured: never, sampled (the default), or on every operation. */
export type CallSiteMode = "off" | "sampled" | "all";

/** Captures call sites as `mode` says. */
export class CallSites {
  readonly mode: CallSiteMode;
  /**
   * Whether an attempt now captures: always when "all", never when "off",
   * while there is credit when "sampled". An attempt that does not is this
   * one load and branch, small enough that V8 inlines it into every channel
   * operation without crowding out what else it inlines there.
   */
  #due: boolean;
  #credit = BURST;
  readonly #ticker: Ticker;
  /** Stops the refill timer while it runs (credit below the burst), else null. */
  #stop: (() => void) | null = null;
  readonly #tick = (): void => {
    this.#refill();
  };

  /** `ticker`: what runs the refill timer (a test's; by default an unref'd setInterval). */
  constructor(mode: CallSiteMode, ticker: Ticker = unrefInterval) {
    this.mode = mode;
    this.#due = mode !== "off";
    this.#ticker = ticker;
  }

  /** Whether the next attempt captures a stack. */
  get due(): boolean {
    return this.#due;
  }

  /** Whether the refill timer is running. */
  get refilling(): boolean {
    return this.#stop !== null;
  }

  /** A stack captured here, or null (mode off, or out of credit). */
  capture(): Error | null {
    return this.#due ? this.#grant() : null;
  }

  /** The slow path of {@link capture}: a stack, and in "sampled" mode one credit less. */
  #grant(): Error {
    if (this.mode === "sampled") {
      // State first: the credit is settled before the timer starts.
      if (--this.#credit === 0) this.#due = false;
      if (this.#stop === null) this.#stop = this.#ticker(this.#tick, REFILL_MS);
    }
    return new Error("call site");
  }

  /** The timer's tick: one more credit, up to the burst, where the timer stops. */
  #refill(): void {
    this.#due = true;
    if (++this.#credit < BURST) return;
    const stop = this.#stop;
    this.#stop = null;
    if (stop !== null) stop();
  }
}
