/**
 * Periodic timers as channels: {@link tick} and {@link Ticker}, with Go 1.23's
 * semantics.
 *
 * A ticker's channel is unbuffered, like a Go 1.23 timer channel. Each tick goes
 * to a receiver already waiting; if none is waiting, the tick is parked as a
 * blocked sender on `C` for the next receiver. While one tick is parked, further
 * ticks are dropped (the receiver gets the older one, as in Go), so a slow
 * receiver never faces a backlog. `stop()` and `reset()` withdraw a parked tick:
 * no stale tick is received after they return.
 *
 * Ticks stay on the grid start + k * period: a late host callback does not shift
 * the later ticks, and ticks that fell due while the host was busy are dropped.
 *
 * @module
 */
import { DISPOSE } from "./dispose.js";
import { Alarm, checkDuration, monotonicNow as now, wallNow } from "./alarm.js";
import { nilChan, type Chan, type RecvChan } from "./chan.js";
import { describe } from "./errors.js";
import { MODE_VOID, Waiter, type Selector } from "./waiter.js";
import { watchedChan, type Watcher } from "./watched-chan.js";

/** The smallest delay Node's and browsers' timers honour, in milliseconds. */
const MIN_HOST_DELAY = 1;

function checkInterval(ms: unknown, who: string): number {
  const d = checkDuration(ms, who);
  if (!(typeof ms === "number" && ms > 0)) {
    throw new RangeError(`non-positive interval for ${who}: ${describe(ms)}`);
  }
  return d;
}

/** The engine behind a {@link Ticker}. */
class TickerCore implements Selector, Watcher {
  readonly ch: Chan<Date, never>;
  readonly alarm: Alarm;
  period = 0;
  /** When the pending tick falls due, on the {@link now} clock. */
  due = 0;
  running = false;
  /** The parked sender holding a tick nobody has received yet. */
  pending: Waiter | null = null;

  constructor() {
    this.ch = watchedChan<Date, never>(this, "ticker");
    this.alarm = new Alarm(() => this.expire(), false);
  }

  start(period: number): void {
    this.running = true;
    this.period = period;
    if (period === Infinity) return;
    this.due = now() + period;
    this.alarm.start(period);
  }

  expire(): void {
    const t = now();
    // Next tick on the grid, skipping any that fell due while the host was busy.
    let next = this.due + this.period;
    if (next <= t) next += (Math.floor((t - next) / this.period) + 1) * this.period;
    // A period too small to move the grid (Number.MIN_VALUE next to a clock in
    // the millions) makes the step count overflow to Infinity: tick again after
    // the host's smallest delay rather than never.
    if (!(next > t && next < Infinity)) next = t + MIN_HOST_DELAY;
    this.due = next;
    this.alarm.start(next - t);
    if (this.pending !== null) return; // a slow receiver: drop this tick
    const ch = this.ch;
    const date = new Date(wallNow());
    if (ch._offer(date)) return;
    const w = new Waiter(MODE_VOID, date, this, 0);
    ch._sendq.push(w);
    this.pending = w;
  }

  stop(): void {
    this.running = false;
    this.alarm.stop();
    const w = this.pending;
    if (w !== null) {
      this.pending = null;
      if (w.queue !== null) w.queue.remove(w);
      w.value = undefined;
    }
  }

  /** Selector: a receiver took the parked tick. */
  fire(): boolean {
    this.pending = null;
    return true;
  }

  /** Selector: the channel was closed under the parked tick (only by misuse). */
  fail(): boolean {
    this.pending = null;
    return true;
  }

  watched(): void {
    this.alarm.setRef(true);
  }

  unwatched(): void {
    this.alarm.setRef(false);
  }
}

/**
 * Go's `time.Ticker`: delivers the current time on {@link Ticker.C} every
 * `ms` milliseconds, dropping ticks for a slow receiver (Go 1.23 semantics: see
 * the module notes). Stop it when done to release its host timer.
 *
 * Host timers: a running ticker keeps a Node process alive only while a receive
 * is blocked on `C`, so a forgotten ticker nobody reads does not hold the process
 * open (Go would keep running it; Go 1.23 collects it once unreferenced).
 *
 * @example
 * ```ts
 * import { Ticker } from "@gochan/core";
 * const ticker = new Ticker(1000);
 * for (let i = 0; i < 3; i++) {
 *   const t = await ticker.C.recv();
 *   console.log("tick at", t);
 * }
 * ticker.stop();
 * ```
 */
export class Ticker implements Disposable {
  /** The channel on which ticks are delivered: unbuffered, receive-only. */
  readonly C: RecvChan<Date, never>;
  readonly #core: TickerCore;

  /**
   * Starts a ticker with the given period in milliseconds: Go's
   * `time.NewTicker(d)`. `Infinity` makes a ticker that never ticks. Any
   * positive period is accepted; one shorter than the host's timers can wait
   * (1 ms) ticks at most once per host timer, dropping the ticks in between.
   * @throws TypeError naming the value if `ms` is not a number or is NaN.
   * @throws RangeError naming the value if `ms <= 0` (Go panics with
   *   "non-positive interval for NewTicker").
   */
  constructor(ms: number) {
    const period = checkInterval(ms, "NewTicker");
    this.#core = new TickerCore();
    this.C = this.#core.ch;
    this.#core.start(period);
  }

  /**
   * Turns the ticker off: Go's `Ticker.Stop`. No tick is delivered after it
   * returns (a tick parked for a receiver is withdrawn); the host timer is
   * released. `C` is not closed, so a receive on it blocks.
   *
   * @example
   * ```ts
   * import { Ticker } from "@gochan/core";
   * const ticker = new Ticker(100);
   * ticker.stop();
   * console.log(ticker.C.tryRecv()); // undefined: no tick, ever
   * ```
   */
  stop(): void {
    this.#core.stop();
  }

  /**
   * Stops the ticker and restarts it with period `ms`: Go's `Ticker.Reset`. The
   * next tick arrives `ms` from now; a tick not yet received is discarded. Works
   * on a stopped ticker too.
   *
   * @throws TypeError naming the value if `ms` is not a number or is NaN.
   * @throws RangeError naming the value if `ms <= 0` (Go panics with
   *   "non-positive interval for Ticker.Reset").
   *
   * @example
   * ```ts
   * import { Ticker } from "@gochan/core";
   * const heartbeat = new Ticker(1000);
   * heartbeat.reset(250); // speed up
   * ```
   */
  reset(ms: number): void {
    const period = checkInterval(ms, "Ticker.Reset");
    this.#core.stop();
    this.#core.start(period);
  }

  /**
   * `using t = new Ticker(ms)`: stops the ticker when the scope ends, Go's
   * `defer ticker.Stop()`. The same as {@link Ticker.stop}.
   *
   * @example
   * ```ts
   * import { Ticker } from "@gochan/core";
   * async function poll(times: number): Promise<void> {
   *   using ticker = new Ticker(100); // Go: defer ticker.Stop()
   *   for (let i = 0; i < times; i++) await ticker.C.recv();
   * }
   * await poll(2);
   * ```
   */
  [DISPOSE](): void {
    this.#core.stop();
  }
}

/**
 * Go's `time.Tick(d)`: a receive-only channel that delivers the current time
 * every `ms` milliseconds, dropping ticks for a slow receiver. As in Go, a
 * duration `<= 0` returns the nil channel (a receive blocks forever).
 *
 * The ticker behind it cannot be stopped: use {@link Ticker} when it must end.
 * While nobody waits on the channel it does not keep a Node process alive, but
 * its host timer keeps firing (Go 1.23 garbage collects an unreferenced ticker;
 * JavaScript cannot tell).
 *
 * @throws TypeError naming the value if `ms` is not a number or is NaN.
 *
 * @example
 * ```ts
 * import { tick, Chan, select, recv } from "@gochan/core";
 * const done = new Chan<void>();
 * const every = tick(1000);
 * for (;;) {
 *   const r = await select([recv(every), recv(done)]);
 *   if (r.index === 1) break;
 *   console.log("still working at", r.value);
 * }
 * ```
 */
export function tick(ms: number): RecvChan<Date, never> {
  checkDuration(ms, "tick");
  if (ms <= 0) return nilChan<Date, never>();
  return new Ticker(ms).C;
}
