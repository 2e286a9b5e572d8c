/**
 * The one place that touches the host's timer API: a restartable alarm whose
 * handle can be referenced or not, and which supports delays past the host's
 * 32-bit limit.
 *
 * Hosts differ: Node returns a Timeout object with `ref()`/`unref()`, browsers a
 * number. Everything is feature-detected at call time (never captured at load
 * time, so test fake timers installed later still apply). A delay beyond
 * 2^31-1 ms (which Node would silently turn into 1 ms) is waited for in chunks.
 *
 * Inside a synctest bubble (see bubble-hook.ts) the alarm and the clocks below
 * are virtual: an alarm made in a bubble is armed on the bubble's clock, which
 * advances only when every task in the bubble is blocked.
 *
 * @internal
 * @module
 */
import { currentBubble, type BubbleHook, type VirtualTimer } from "./bubble-hook.js";
import { describe } from "./errors.js";

/** Node's and browsers' largest setTimeout delay. */
const MAX_DELAY = 2 ** 31 - 1;

interface RefHandle {
  ref?: () => unknown;
  unref?: () => unknown;
}

function applyRef(handle: unknown, on: boolean): void {
  const h = handle as RefHandle;
  if (on) {
    if (typeof h.ref === "function") h.ref();
  } else if (typeof h.unref === "function") {
    h.unref();
  }
}

/** A monotonic clock in milliseconds where the host has one: the bubble's clock inside a bubble. */
export function monotonicNow(): number {
  const bubble = currentBubble;
  if (bubble !== null) return bubble.now();
  const p = (globalThis as { performance?: { now?: () => number } }).performance;
  return p !== undefined && typeof p.now === "function" ? p.now() : Date.now();
}

/** The wall clock, `Date.now()`: the bubble's clock inside a bubble. */
export function wallNow(): number {
  const bubble = currentBubble;
  return bubble !== null ? bubble.now() : Date.now();
}

/**
 * Validates a duration in milliseconds the way the timer functions accept it:
 * any number but NaN. Negative durations count as 0 (Go fires at once for
 * d <= 0); `Infinity` means "never".
 * @throws TypeError naming the value if it is not a number or is NaN.
 */
export function checkDuration(ms: unknown, who: string): number {
  if (typeof ms !== "number" || Number.isNaN(ms)) {
    throw new TypeError(`${who}: duration must be a number of milliseconds, got ${describe(ms)} (${typeof ms})`);
  }
  return ms < 0 ? 0 : ms;
}

/**
 * A one-shot alarm: `start(ms)` (re)arms it, `stop()` disarms it, and it calls
 * `onFire` once the delay has elapsed. While disarmed it holds no host handle.
 * Whether an armed alarm keeps a Node process alive is `setRef`'s decision.
 */
export class Alarm implements VirtualTimer {
  /** The host handle, or the alarm itself while armed on a bubble's clock. */
  private handle: unknown = null;
  /** The bubble this alarm was made in: its clock is the one the alarm is armed on. */
  private readonly bubble: BubbleHook | null = currentBubble;
  /** Milliseconds still to wait after the current chunk (delays past 2^31-1). */
  private left = 0;
  private refed: boolean;
  private readonly onFire: () => void;
  private readonly expired: () => void;

  constructor(onFire: () => void, refed: boolean) {
    this.onFire = onFire;
    this.refed = refed;
    this.expired = () => {
      this.handle = null;
      if (this.left > 0) this.arm(this.left);
      else this.onFire();
    };
  }

  /** Whether a host timer is pending. */
  get armed(): boolean {
    return this.handle !== null;
  }

  /** Arms the alarm for `ms` (finite, >= 0) from now, replacing any pending one. */
  start(ms: number): void {
    this.stop();
    this.arm(ms);
  }

  /** Disarms the alarm and releases its host handle. */
  stop(): void {
    if (this.handle === null) return;
    if (this.bubble !== null) this.bubble.disarm(this);
    else globalThis.clearTimeout(this.handle as number);
    this.handle = null;
  }

  /** Whether the pending handle (and any later one) keeps a Node process alive. */
  setRef(on: boolean): void {
    if (this.refed === on) return;
    this.refed = on;
    if (this.handle !== null && this.bubble === null) applyRef(this.handle, on);
  }

  /** The bubble's clock reached this alarm. @internal */
  fire(): void {
    this.left = 0;
    this.expired();
  }

  private arm(ms: number): void {
    if (this.bubble !== null) {
      this.handle = this;
      this.bubble.arm(this, ms);
      return;
    }
    const chunk = ms > MAX_DELAY ? MAX_DELAY : ms;
    this.left = ms - chunk;
    const handle: unknown = globalThis.setTimeout(this.expired, chunk);
    if (!this.refed) applyRef(handle, false);
    this.handle = handle;
  }
}
