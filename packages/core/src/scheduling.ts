/**
 * Event-loop fairness: how gochan keeps timers and I/O alive without paying for a
 * macrotask on every operation.
 *
 * JavaScript has no preemption. Two tasks that only ever await channel operations
 * run entirely on microtasks, and while the microtask queue is non-empty the event
 * loop never reaches timers or I/O. A busy chain goes on only through a promise
 * gochan settles, so every settlement passes through here and counts against a
 * budget: a fast-path completion (a buffer slot, a waiting peer), a parked
 * operation woken by its peer, an immediate rejection (an aborted signal, a
 * closed channel). Try operations settle no promise; they count too. Once
 * `yieldEvery` operations have been counted, the policy looks at the clock: if
 * at least `timeSlice` ms have passed since the last macrotask turn, every
 * further settlement is deferred until the next macrotask turn, and that turn's
 * flush resets the budget; otherwise the budget simply starts again. While a
 * flush is pending every chain stops at its next settlement, so the microtask
 * queue drains and the deferred list holds at most one entry per chain.
 *
 * The cost is one increment and compare per operation, one clock read per
 * `yieldEvery` operations, and at most one macrotask turn per `timeSlice` ms of
 * busy channel traffic. (A macrotask turn costs far more than the bare
 * `setImmediate` suggests: measured on Node 20, yielding every 1024 operations
 * without the time slice cost 10-20% of an unbuffered hand-off's throughput,
 * and a 1 ms slice 10-18%, mostly in V8's young-generation collections once the
 * program has yielded; see docs/scheduling.md.)
 *
 * The default slice is Go's: Go runs goroutines that wake each other as a unit
 * (`runnext` inherits the time slice) until sysmon preempts them after 10 ms
 * (`forcePreemptNS`), so timers and I/O wait at most about that long behind a
 * busy chain here too.
 *
 * @module
 */

/**
 * Options of the event-loop fairness policy. Read the current values with
 * {@link getScheduling}, change them with {@link configureScheduling}.
 *
 * @example
 * ```ts
 * import { configureScheduling } from "@gochan/core";
 * // Yield to timers and I/O after every 256 operations that completed at once.
 * configureScheduling({ yieldEvery: 256 });
 * ```
 */
export interface SchedulingOptions {
  /**
   * After this many operations completed without waiting, the next ones wait for
   * a macrotask turn (timers and I/O run in between). A positive integer, or
   * `Infinity` to never yield (fastest, but a busy producer/consumer pair then
   * starves timers and I/O completely).
   * @defaultValue 1024
   */
  yieldEvery?: number;
  /**
   * The time slice in milliseconds: once `yieldEvery` operations are spent, the
   * policy yields only if at least this long has passed since the last macrotask
   * turn; otherwise it starts a new budget. `0` yields every time the budget is
   * spent. A non-negative finite number. The default is Go's scheduler slice
   * (10 ms); a smaller one lets timers and I/O run sooner behind busy channel
   * traffic, at a throughput cost (1 ms: about 15% on an unbuffered hand-off).
   * @defaultValue 10
   */
  timeSlice?: number;
  /**
   * Schedules a macrotask. Defaults to `setImmediate` where it exists (Node, Bun,
   * Deno), else a `MessageChannel` post (browsers), else `setTimeout(fn, 0)`.
   */
  macrotask?: (fn: () => void) => void;
}

/** The policy in force, plus how many times it has yielded. */
export interface SchedulingState {
  /** See {@link SchedulingOptions.yieldEvery}. */
  readonly yieldEvery: number;
  /** See {@link SchedulingOptions.timeSlice}. */
  readonly timeSlice: number;
  /** See {@link SchedulingOptions.macrotask}. */
  readonly macrotask: (fn: () => void) => void;
  /** How many macrotask turns the policy has taken since the program started. */
  readonly yields: number;
}

const DEFAULT_YIELD_EVERY = 1024;
const DEFAULT_TIME_SLICE = 10;

const clock: () => number =
  typeof globalThis.performance?.now === "function" ? () => performance.now() : () => Date.now();

function defaultMacrotask(): (fn: () => void) => void {
  const g = globalThis as {
    setImmediate?: (fn: () => void) => unknown;
    MessageChannel?: typeof MessageChannel;
  };
  if (typeof g.setImmediate === "function") {
    const si = g.setImmediate;
    return (fn) => {
      si(fn);
    };
  }
  if (typeof g.MessageChannel === "function") {
    const mc = new g.MessageChannel();
    const queue: (() => void)[] = [];
    mc.port1.onmessage = () => {
      const fn = queue.shift();
      if (fn !== undefined) fn();
    };
    return (fn) => {
      queue.push(fn);
      mc.port2.postMessage(0);
    };
  }
  return (fn) => {
    setTimeout(fn, 0);
  };
}

let yieldEvery = DEFAULT_YIELD_EVERY;
let timeSlice = DEFAULT_TIME_SLICE;
let lastYield = clock();
let macrotask = defaultMacrotask();
let ops = 0;
let yields = 0;
let flushScheduled = false;
// Deferred settlements: [settle, value, settle, value, ...] in order.
let deferred: unknown[] = [];

type Settle = (value: unknown) => void;

const RESOLVED: Promise<void> = Promise.resolve();
let slotResolve: Settle = () => {};
let slotReject: Settle = () => {};

/** A pending promise whose resolvers land in `slotResolve` / `slotReject`. */
function deferredPromise<R>(): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    slotResolve = resolve as Settle;
    slotReject = reject;
  });
}

function flush(): void {
  flushScheduled = false;
  ops = 0;
  yields++;
  lastYield = clock();
  const list = deferred;
  deferred = [];
  for (let i = 0; i < list.length; i += 2) (list[i] as Settle)(list[i + 1]);
}

/**
 * The budget is spent: yield (true) if the time slice is over or a flush is
 * already pending (settlements must stay in order), else start a new budget.
 */
function sliceOver(): boolean {
  if (flushScheduled || timeSlice === 0 || clock() - lastYield >= timeSlice) return true;
  ops = 0;
  return false;
}

function defer(settle: Settle, value: unknown): void {
  deferred.push(settle, value);
  if (!flushScheduled) {
    flushScheduled = true;
    macrotask(flush);
  }
}

/** Settles a parked operation's promise: now, or after a macrotask turn. @internal */
export function wake(settle: Settle, value: unknown): void {
  if (++ops < yieldEvery || !sliceOver()) settle(value);
  else defer(settle, value);
}

/**
 * Counts one operation that completed without waiting against the fairness
 * budget. Core's try operations call it; a library that completes work of
 * its own without core's channels calls it so that its chains take part in
 * the same policy (`@gochan/pool` counts every job start). It never yields by
 * itself: the next operation that settles a promise, a zero `sleep` say,
 * finds the budget spent and checks the time slice.
 *
 * @example
 * ```ts
 * import { sleep } from "@gochan/core";
 * import { countOp } from "@gochan/core/internal";
 * for (let i = 0; i < 10_000; i++) {
 *   countOp(); // one unit of work done synchronously
 *   if (i % 1024 === 1023) await sleep(0); // a macrotask turn once the budget and the time slice are spent
 * }
 * ```
 */
export function countOp(): void {
  ops++;
}

/** A fast-path completion with a value: resolved now, or after a macrotask turn. @internal */
export function completeNow<R>(value: R): Promise<R> {
  if (++ops < yieldEvery || !sliceOver()) return Promise.resolve(value);
  const p = deferredPromise<R>();
  defer(slotResolve, value);
  return p;
}

/** A fast-path completion of a send: resolved now, or after a macrotask turn. @internal */
export function completeVoid(): Promise<void> {
  if (++ops < yieldEvery || !sliceOver()) return RESOLVED;
  const p = deferredPromise<void>();
  defer(slotResolve, undefined);
  return p;
}

/** An operation that fails at once: rejected now, or after a macrotask turn. @internal */
export function failNow<R>(reason: unknown): Promise<R> {
  if (++ops < yieldEvery || !sliceOver()) return Promise.reject(reason);
  const p = deferredPromise<R>();
  defer(slotReject, reason);
  return p;
}

/** How many settlements wait for the next flush (tests check it stays bounded). @internal */
export function deferredCount(): number {
  return deferred.length / 2;
}

/**
 * Changes the event-loop fairness policy and returns the previous options.
 * Options left out keep their current value.
 *
 * @throws RangeError if `yieldEvery` is not a positive integer or `Infinity`, or
 *   `timeSlice` is not a non-negative finite number; TypeError if `macrotask` is
 *   not a function. A rejected call changes nothing.
 *
 * @example
 * ```ts
 * import { configureScheduling } from "@gochan/core";
 * const previous = configureScheduling({ yieldEvery: Infinity }); // a benchmark run
 * // ...
 * configureScheduling(previous);
 * ```
 */
export function configureScheduling(options: SchedulingOptions): Required<SchedulingOptions> {
  const previous = { yieldEvery, timeSlice, macrotask };
  // Validate everything before changing anything: a rejected call changes nothing.
  const n = options.yieldEvery;
  if (n !== undefined && (typeof n !== "number" || !(n === Infinity || (Number.isInteger(n) && n >= 1)))) {
    throw new RangeError(
      `configureScheduling: yieldEvery must be a positive integer or Infinity, got ${String(n)} (${typeof n})`,
    );
  }
  const t = options.timeSlice;
  if (t !== undefined && (typeof t !== "number" || !Number.isFinite(t) || t < 0)) {
    throw new RangeError(
      `configureScheduling: timeSlice must be a non-negative finite number of milliseconds, got ${String(t)} (${typeof t})`,
    );
  }
  const m = options.macrotask;
  if (m !== undefined && typeof m !== "function") {
    throw new TypeError(`configureScheduling: macrotask must be a function, got ${String(m)} (${typeof m})`);
  }
  if (n !== undefined) yieldEvery = n;
  if (t !== undefined) timeSlice = t;
  if (m !== undefined) macrotask = m;
  return previous;
}

/**
 * The fairness policy in force and how often it has yielded so far.
 *
 * @example
 * ```ts
 * import { getScheduling } from "@gochan/core";
 * console.log(getScheduling().yieldEvery); // 1024
 * ```
 */
export function getScheduling(): SchedulingState {
  return { yieldEvery, timeSlice, macrotask, yields };
}
