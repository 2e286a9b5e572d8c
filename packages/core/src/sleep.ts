/**
 * `sleep`: Go's `time.Sleep`, with an AbortSignal to cut it short.
 *
 * @module
 */
import { Alarm, checkDuration } from "./alarm.js";
import { describe } from "./errors.js";
import { completeVoid } from "./scheduling.js";

/** One pending sleep: its alarm and its abort listener, released together. */
class Sleeper {
  readonly alarm: Alarm;
  readonly signal: AbortSignal | undefined;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;

  constructor(resolve: () => void, reject: (reason: unknown) => void, signal: AbortSignal | undefined) {
    this.resolve = resolve;
    this.reject = reject;
    this.signal = signal;
    // Like setTimeout (and a goroutine in time.Sleep), a sleep keeps Node alive.
    this.alarm = new Alarm(() => this.wake(), true);
  }

  wake(): void {
    if (this.signal !== undefined) this.signal.removeEventListener("abort", this);
    this.resolve();
  }

  /** The signal aborted: release the host timer first, then reject. */
  handleEvent(): void {
    this.alarm.stop();
    (this.signal as AbortSignal).removeEventListener("abort", this);
    this.reject((this.signal as AbortSignal).reason);
  }
}

/**
 * Go's `time.Sleep(d)`: resolves after `ms` milliseconds. As in Go, a zero or
 * negative duration returns at once; `Infinity` never resolves (unless
 * aborted). A pending sleep keeps a Node process alive, like `setTimeout`.
 *
 * Aborting `signal` ends the sleep early: the promise rejects with
 * `signal.reason` and the host timer is cleared at once. An already aborted
 * signal rejects without starting a timer.
 *
 * @throws TypeError naming the value if `ms` is not a number or is NaN, or if
 *   `signal` is given but is not an AbortSignal.
 *
 * @example
 * ```ts
 * import { sleep, background, withTimeout } from "@gochan/core";
 * await sleep(10); // Go: time.Sleep(10 * time.Millisecond)
 *
 * const { ctx, cancel } = withTimeout(background(), 50);
 * try {
 *   await sleep(1000, ctx.signal); // rejects after 50 ms with the context's cause
 * } catch (e) {
 *   console.log(ctx.err()?.message); // "context deadline exceeded"
 * } finally {
 *   cancel();
 * }
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  const d = checkDuration(ms, "sleep");
  if (signal !== undefined && (signal === null || typeof signal.addEventListener !== "function")) {
    throw new TypeError(`sleep: signal must be an AbortSignal, got ${describe(signal)}`);
  }
  if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
  if (d === 0) return completeVoid();
  return new Promise<void>((resolve, reject) => {
    const s = new Sleeper(resolve, reject, signal);
    if (signal !== undefined) signal.addEventListener("abort", s);
    if (d !== Infinity) s.alarm.start(d);
  });
}
