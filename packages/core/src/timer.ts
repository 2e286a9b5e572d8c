/**
 * One-shot timers as channels: {@link after}, {@link Timer} and {@link afterFunc},
 * with Go 1.23's semantics.
 *
 * Go 1.23 made timer channels synchronous: a timer's channel is unbuffered (len
 * and cap are 0), and a fired value is only ever received if no Stop or Reset
 * came in between. Here that is literal. When the timer fires, its value goes to
 * a receiver already waiting on `C`; if none is waiting, the timer parks the
 * value as a blocked sender on `C`, exactly like a goroutine stuck in `C <- now`.
 * A receiver arriving later takes it from there; `stop()` and `reset()` withdraw
 * it, so no stale value is ever received after they return.
 *
 * Host timers: a stopped, expired or fired timer holds no host timer. A pending
 * timer's host timer keeps a Node process alive only while a receive is blocked
 * on `C`: a program waiting on a timer is not finished (and not deadlocked, see
 * {@link run}), while a timer nobody waits for does not hold the process open.
 *
 * @module
 */
import { Alarm, checkDuration, wallNow } from "./alarm.js";
import { nilChan, type Chan, type RecvChan } from "./chan.js";
import { DISPOSE } from "./dispose.js";
import { describe } from "./errors.js";
import { go } from "./go.js";
import { MODE_VOID, Waiter, type Selector } from "./waiter.js";
import { watchedChan, type Watcher } from "./watched-chan.js";

const IDLE = 0; // stopped or expired: nothing pending, no host timer
const SCHEDULED = 1; // counting down (or waiting forever for an infinite duration)
const FIRED = 2; // fired, its value parked as a blocked sender on C

/** The engine behind a {@link Timer}. */
class TimerCore implements Selector, Watcher {
  state = IDLE;
  readonly ch: Chan<Date, never> | null;
  readonly fn: (() => unknown) | null;
  readonly alarm: Alarm;
  /** The parked sender holding a fired value nobody has received yet. */
  pending: Waiter | null = null;

  constructor(fn: (() => unknown) | null) {
    this.fn = fn;
    this.ch = fn === null ? watchedChan<Date, never>(this, "timer") : null;
    // An afterFunc's callback is work the program expects to happen: keep Node
    // alive for it. A channel timer is referenced only while someone waits.
    this.alarm = new Alarm(() => this.expire(), fn !== null);
  }

  start(ms: number): void {
    this.state = SCHEDULED;
    // Go 1.23 delivers an expired timer's value to any receive that looks, at
    // once: for d <= 0 the value is there before the constructor returns.
    if (ms === 0) this.expire();
    else if (ms !== Infinity) this.alarm.start(ms);
  }

  expire(): void {
    this.state = IDLE;
    if (this.fn !== null) {
      go(this.fn);
      return;
    }
    const ch = this.ch as Chan<Date, never>;
    const now = new Date(wallNow());
    if (ch._offer(now)) return;
    const w = new Waiter(MODE_VOID, now, this, 0);
    ch._sendq.push(w);
    this.pending = w;
    this.state = FIRED;
  }

  stop(): boolean {
    if (this.state === SCHEDULED) {
      this.alarm.stop();
    } else if (this.state === FIRED) {
      const w = this.pending as Waiter;
      this.pending = null;
      if (w.queue !== null) w.queue.remove(w);
      w.value = undefined;
    } else {
      return false;
    }
    this.state = IDLE;
    return true;
  }

  /** Selector: a receiver took the parked value; the timer has now expired. */
  fire(): boolean {
    this.pending = null;
    this.state = IDLE;
    return true;
  }

  /** Selector: the channel was closed under the parked value (only by misuse). */
  fail(): boolean {
    return this.fire();
  }

  watched(): void {
    this.alarm.setRef(true);
  }

  unwatched(): void {
    this.alarm.setRef(false);
  }
}

// afterFunc hands its callback to the constructor through this slot, so the
// public constructor keeps Go's NewTimer signature.
let nextFn: (() => unknown) | null = null;

/**
 * Go's `time.Timer`: a single event. When the duration elapses, the current time
 * is delivered on {@link Timer.C} (Go 1.23 semantics: see the module notes), or,
 * for a timer made by {@link afterFunc}, the function runs.
 *
 * Durations are milliseconds. Negative ones count as 0 (fire at once, as in Go);
 * `Infinity` never fires. Delays beyond 2^31-1 ms are supported.
 *
 * Differences from Go: a pending timer's host timer keeps a Node process alive
 * only while a receive is blocked on `C` (Go instead keeps any pending timer and
 * reports a deadlock only once none is left); timers are not garbage collected
 * while pending, but hold nothing once stopped or expired; the value becomes
 * receivable when the host timer callback runs, which a busy event loop can
 * delay past the deadline (Go 1.23 hands it to any receive after the deadline),
 * and no JavaScript timer fires while synchronous code runs (no preemption).
 *
 * @example
 * ```ts
 * import { Timer, Chan, select, recv } from "@gochan/core";
 * const results = new Chan<string>();
 * const timeout = new Timer(1000);
 * const r = await select([recv(results), recv(timeout.C)]);
 * if (r.index === 1) console.log("timed out at", r.value);
 * else timeout.stop(); // releases the host timer at once
 * ```
 */
export class Timer implements Disposable {
  /**
   * The channel on which the fire time is delivered: unbuffered, receive-only,
   * never closed (its zero-value type is `never`, so `recv()` resolves a `Date`).
   * For a timer made by {@link afterFunc} it is the nil channel (as in Go).
   */
  readonly C: RecvChan<Date, never>;
  readonly #core: TimerCore;

  /**
   * Starts a timer that delivers the current time on `C` after `ms` milliseconds:
   * Go's `time.NewTimer(d)`.
   * @throws TypeError naming the value if `ms` is not a number or is NaN.
   */
  constructor(ms: number) {
    const fn = nextFn;
    nextFn = null;
    const d = checkDuration(ms, fn === null ? "Timer" : "afterFunc");
    this.#core = new TimerCore(fn);
    this.C = this.#core.ch ?? nilChan<Date, never>();
    this.#core.start(d);
  }

  /**
   * Prevents the timer from firing: Go's `Timer.Stop`. Returns true if the call
   * stopped the timer, false if it had already expired or been stopped. A fired
   * value that nobody has received yet counts as not expired: it is withdrawn and
   * `stop()` returns true, so after `stop()` no stale value can be received (Go
   * 1.23). It does not close `C`. For an {@link afterFunc} timer, false means the
   * function has already been started.
   *
   * @example
   * ```ts
   * import { Timer } from "@gochan/core";
   * const t = new Timer(5000);
   * console.log(t.stop(), t.stop()); // true false
   * ```
   */
  stop(): boolean {
    return this.#core.stop();
  }

  /**
   * Changes the timer to expire after `ms` milliseconds from now: Go's
   * `Timer.Reset`. Returns true if the timer had been active (pending, or fired
   * with its value not yet received), false if it had expired or been stopped.
   * Any unreceived value is discarded first, so a receive after `reset()` only
   * sees the new expiry.
   *
   * @throws TypeError naming the value if `ms` is not a number or is NaN.
   *
   * @example
   * ```ts
   * import { Timer } from "@gochan/core";
   * const idle = new Timer(30_000);
   * // on activity, push the deadline back:
   * idle.reset(30_000);
   * ```
   */
  reset(ms: number): boolean {
    const d = checkDuration(ms, "Timer.reset");
    const core = this.#core;
    const active = core.stop();
    core.start(d);
    return active;
  }

  /**
   * `using t = new Timer(ms)`: stops the timer when the scope ends, Go's
   * `defer t.Stop()`. The same as {@link Timer.stop}, result ignored.
   *
   * @example
   * ```ts
   * import { Timer, Chan, select, recv } from "@gochan/core";
   * async function reply(replies: Chan<string>): Promise<string> {
   *   using timeout = new Timer(1000); // Go: defer timeout.Stop()
   *   const r = await select([recv(replies), recv(timeout.C)]);
   *   return r.index === 0 ? String(r.value) : "timed out";
   * }
   * ```
   */
  [DISPOSE](): void {
    this.#core.stop();
  }
}

/**
 * Go's `time.After(d)`: a receive-only channel on which the current time is
 * delivered once, after `ms` milliseconds. Equivalent to `new Timer(ms).C`.
 * Use it as a select case with `recv(after(ms))`. The channel is never closed,
 * so its type says `recv()` resolves a `Date`.
 *
 * The underlying timer cannot be stopped early; while nobody waits on the
 * channel it does not keep a Node process alive, and it releases its host timer
 * once fired. Use {@link Timer} to stop it early. In a busy select loop, make
 * one {@link Timer} and `reset()` it per iteration rather than calling `after()`
 * each time: every `after()` holds a host timer until its duration has passed
 * (Go before 1.23 had the same pitfall; Go 1.23 collects unreferenced timers).
 *
 * @throws TypeError naming the value if `ms` is not a number or is NaN.
 *
 * @example
 * ```ts
 * import { Chan, after, select, recv } from "@gochan/core";
 * const replies = new Chan<string>();
 * const r = await select([recv(replies), recv(after(500))]);
 * console.log(r.index === 1 ? "no reply within 500 ms" : r.value);
 * ```
 */
export function after(ms: number): RecvChan<Date, never> {
  checkDuration(ms, "after");
  return new Timer(ms).C;
}

/**
 * Go's `time.AfterFunc(d, f)`: after `ms` milliseconds, starts `fn` as its own
 * task (with {@link go}, so an error it throws is never lost). Returns a
 * {@link Timer} whose `stop()` cancels the call if it has not started yet and
 * whose `reset()` schedules it again; its `C` is the nil channel.
 *
 * Unlike a channel timer, a pending afterFunc keeps a Node process alive, like
 * `setTimeout`.
 *
 * @throws TypeError naming the value if `ms` is not a number or is NaN, or if
 *   `fn` is not a function.
 *
 * @example
 * ```ts
 * import { afterFunc } from "@gochan/core";
 * const t = afterFunc(1000, () => console.log("one second later"));
 * // changed our mind:
 * if (t.stop()) console.log("cancelled before it ran");
 * ```
 */
export function afterFunc(ms: number, fn: () => unknown): Timer {
  if (typeof fn !== "function") throw new TypeError(`afterFunc: expected a function, got ${describe(fn)}`);
  checkDuration(ms, "afterFunc");
  nextFn = fn;
  return new Timer(ms);
}
