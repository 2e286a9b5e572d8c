/**
 * `@gochan/core/testing`: Go 1.25's `testing/synctest` for gochan programs.
 * A bubble runs a test's function, and every task it starts, against a virtual
 * clock that moves only when all of them are blocked, so tests of timeouts,
 * tickers, retries and context deadlines run in milliseconds and give the same
 * result on every run. Works under any test runner (vitest, node:test, ...):
 * {@link test} returns a promise that rejects if the test fails.
 *
 * @example
 * ```ts
 * import { after } from "@gochan/core";
 * import * as synctest from "@gochan/core/testing";
 * await synctest.test(async () => {
 *   const start = synctest.now();
 *   const fired = await after(60 * 60 * 1000).recv(); // one virtual hour, instantly
 *   console.log(fired.getTime() - start.getTime()); // 3600000
 * });
 * ```
 *
 * @module @gochan/core/testing
 */
import { currentBubble } from "../bubble-hook.js";
import { describe } from "../errors.js";
import { Bubble } from "./bubble.js";
import { BubbleUsageError } from "./errors.js";

export { CrossBubbleError } from "../cross-bubble-error.js";
export type { BubbleOp } from "../cross-bubble-error.js";
export { DeadlockError, LeakedTasksError, BubbleUsageError } from "./errors.js";

/** Go's synctest epoch: midnight UTC, January 1st 2000. */
const EPOCH = Date.UTC(2000, 0, 1);

/**
 * Options of {@link test}.
 *
 * @example
 * ```ts
 * import * as synctest from "@gochan/core/testing";
 * await synctest.test(async () => {
 *   console.log(synctest.now().toISOString()); // "2024-06-01T12:00:00.000Z"
 * }, { choices: 7, start: new Date("2024-06-01T12:00:00Z"), callSites: true });
 * ```
 */
export interface BubbleOptions {
  /**
   * Where the bubble's choices come from: which of several ready cases a
   * `select` takes, the order in which the receivers released by one
   * `close()` (a WaitGroup reaching zero, a context cancelled) resume, and the
   * order in which timers due at the same instant fire.
   *
   * - A seed (an integer): a pseudo-random stream, the same on every run.
   * - A schedule (an array of non-negative integers, e.g. from fast-check's
   *   `fc.array(fc.nat())`): read one choice at a time, each capped at the
   *   last candidate, then 0 once it runs out. 0 always means the
   *   first candidate in the natural order (source order for select, FIFO for
   *   waiters and timers), so fast-check shrinks a failing schedule toward the
   *   plainest run that still fails.
   * @defaultValue 0 (a seed)
   */
  choices?: number | readonly number[];
  /**
   * The instant the virtual clock starts at: a Date or epoch milliseconds.
   * @defaultValue Go's: 2000-01-01T00:00:00Z
   */
  start?: Date | number;
  /**
   * Record where each blocked operation and each `go()` task started, so that
   * a deadlock or leak report shows call sites. About 2 µs per operation that
   * has to wait (see run()'s `RunOptions.callSites`); turn it on when a report
   * needs them.
   * @defaultValue false
   */
  callSites?: boolean;
}

function settings(options: BubbleOptions | undefined): { choices: number | readonly number[]; start: number; callSites: boolean } {
  const choices = options?.choices ?? 0;
  if (typeof choices === "number") {
    if (!Number.isInteger(choices)) {
      throw new TypeError(`synctest.test: choices must be an integer seed or an array of choices, got ${describe(choices)}`);
    }
  } else if (!Array.isArray(choices) || !choices.every((c) => Number.isInteger(c) && (c as number) >= 0)) {
    throw new TypeError(
      `synctest.test: choices must be an integer seed or an array of non-negative integers, got ${describe(choices)}`,
    );
  }
  const s = options?.start ?? EPOCH;
  const start = s instanceof Date ? s.getTime() : s;
  if (typeof start !== "number" || !Number.isFinite(start)) {
    throw new TypeError(`synctest.test: start must be a valid Date or epoch milliseconds, got ${describe(s)}`);
  }
  return { choices, start, callSites: options?.callSites === true };
}

let running: Bubble | null = null;

/**
 * Go's `synctest.Test`: runs `fn` in a new bubble and resolves once it has
 * returned (or its promise resolved) and every task it started has finished.
 *
 * Inside the bubble, `Timer`s, `Ticker`s, `after`, `afterFunc`,
 * `tick` and context deadlines read a virtual clock that starts at
 * `options.start` (Go's 2000-01-01T00:00:00Z by default) and advances only when
 * every task in the bubble is blocked, jumping straight to the next timer.
 * Tasks are everything that runs meanwhile: `go()` tasks, ErrGroups, pools,
 * plain async functions.
 *
 * The returned promise rejects, failing the test, with:
 * - the error `fn` throws, or that a `go()` task throws (the first of them);
 * - {@link DeadlockError} when every task is blocked, no timer is pending, and
 *   `fn` has not returned;
 * - {@link LeakedTasksError} when `fn` returns while tasks it started are
 *   still blocked or running.
 *
 * Channel operations across the bubble's boundary are refused with
 * {@link CrossBubbleError}. A promise from outside (real I/O, a host
 * `setTimeout`) is allowed but invisible: wrap it in {@link external} so the
 * bubble waits for it instead of advancing time or reporting a deadlock.
 *
 * One bubble runs at a time (JavaScript cannot tell which task an operation
 * comes from, so the bubble is whatever runs while it is current): do not run
 * bubble tests concurrently (vitest's `test.concurrent`), and do not run other
 * gochan code alongside one.
 *
 * @throws {@link BubbleUsageError} (as a rejection) if a bubble is already running.
 * @throws TypeError (as a rejection) if `fn` is not a function or an option is invalid.
 *
 * @example
 * ```ts
 * import { background, withTimeout, DeadlineExceeded } from "@gochan/core";
 * import * as synctest from "@gochan/core/testing";
 * await synctest.test(async () => {
 *   const { ctx, cancel } = withTimeout(background(), 5000);
 *   await synctest.wait();
 *   console.log(ctx.err()); // undefined: no time has passed
 *   await ctx.done().recv(); // the clock jumps 5 s
 *   console.log(ctx.err() === DeadlineExceeded); // true
 *   cancel();
 * });
 * ```
 */
export async function test(fn: () => unknown, options?: BubbleOptions): Promise<void> {
  if (typeof fn !== "function") throw new TypeError(`synctest.test: expected a function, got ${describe(fn)}`);
  const s = settings(options);
  if (running !== null || currentBubble !== null) {
    throw new BubbleUsageError("synctest.test: a bubble is already running (bubbles cannot nest or overlap)");
  }
  const bubble = new Bubble(s);
  running = bubble;
  bubble.enter();
  try {
    await bubble.drive(Promise.resolve().then(fn));
  } finally {
    bubble.leave();
    running = null;
  }
}

function current(who: string): Bubble {
  if (running === null || currentBubble !== running) {
    throw new BubbleUsageError(`synctest.${who}: not called from within a bubble`);
  }
  return running;
}

/**
 * Go's `synctest.Wait`: resolves once every other task in the bubble is
 * durably blocked (on a channel operation, a timer, or a promise only the
 * bubble could settle), without moving the clock. Use it to assert on state
 * after the program has settled, instead of sleeping.
 *
 * @throws {@link BubbleUsageError} (as a rejection) if no bubble is running.
 *
 * @example
 * ```ts
 * import { Chan, go } from "@gochan/core";
 * import * as synctest from "@gochan/core/testing";
 * await synctest.test(async () => {
 *   const ch = new Chan<number>(1);
 *   let got: number | undefined;
 *   go(async () => {
 *     got = await ch.recv();
 *   });
 *   await ch.send(42);
 *   await synctest.wait();
 *   console.log(got); // 42
 * });
 * ```
 */
export function wait(): Promise<void> {
  try {
    return current("wait").wait();
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Lets a promise from outside the bubble (real I/O, a host timer) be awaited
 * inside it: until it settles the bubble is not blocked, so it neither moves
 * its clock nor reports a deadlock. Resolves or rejects like `p`. An outside
 * promise awaited without it is invisible to the bubble (Go likewise does not
 * count a goroutine blocked on I/O as durably blocked).
 *
 * @throws {@link BubbleUsageError} (as a rejection) if no bubble is running.
 *
 * @example
 * ```ts
 * import { readFile } from "node:fs/promises";
 * import * as synctest from "@gochan/core/testing";
 * await synctest.test(async () => {
 *   const text = await synctest.external(readFile("package.json", "utf8"));
 *   console.log(text.length > 0); // true
 * });
 * ```
 */
export function external<T>(p: PromiseLike<T>): Promise<T> {
  try {
    return current("external").external(p);
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * The current time: the bubble's virtual clock inside a bubble, the host's
 * clock outside. Go's `time.Now()` in a bubble.
 *
 * @example
 * ```ts
 * import * as synctest from "@gochan/core/testing";
 * await synctest.test(async () => {
 *   console.log(synctest.now().toISOString()); // "2000-01-01T00:00:00.000Z"
 * });
 * ```
 */
export function now(): Date {
  return new Date(currentBubble !== null ? currentBubble.now() : Date.now());
}
