/**
 * `WaitGroup`: Go's `sync.WaitGroup`.
 *
 * @module
 */
import { Chan } from "./chan.js";
import { ChanError, describe } from "./errors.js";
import { go } from "./go.js";

/**
 * Go's "sync: negative WaitGroup counter" panic: {@link WaitGroup.add} or
 * {@link WaitGroup.done} would take the counter below zero. The counter is left
 * unchanged.
 *
 * @example
 * ```ts
 * import { WaitGroup, NegativeWaitGroupCounterError } from "@gochan/core";
 * try {
 *   new WaitGroup().done();
 * } catch (e) {
 *   console.log(e instanceof NegativeWaitGroupCounterError, (e as Error).message);
 *   // true "sync: negative WaitGroup counter"
 * }
 * ```
 */
export class NegativeWaitGroupCounterError extends ChanError {
  /** @internal */
  constructor() {
    super("sync: negative WaitGroup counter");
  }
}

/**
 * The channels behind pending `wait()` calls, so that a deadlock report can say
 * `[sync.WaitGroup.Wait]` as Go does rather than "chan receive".
 * @internal
 */
export const waitGroupChans = new WeakSet<object>();

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Go's `sync.WaitGroup`: waits for a collection of tasks to finish. `add(n)`
 * before starting tasks, `done()` as each finishes, `wait()` for the counter to
 * reach zero; or let {@link WaitGroup.go} do all three (Go 1.25's `wg.Go`).
 *
 * Differences from Go: `wait()` returns a promise (usable as a select case) and
 * accepts an AbortSignal; Go's "WaitGroup is reused before previous Wait has
 * returned" panic cannot happen (every wait of a round is released at once when
 * the counter reaches zero, and the group is then reusable).
 *
 * @example
 * ```ts
 * import { WaitGroup } from "@gochan/core";
 * const wg = new WaitGroup();
 * const results: number[] = [];
 * for (const n of [1, 2, 3]) {
 *   wg.go(async () => {
 *     results.push(n * 10);
 *   });
 * }
 * await wg.wait();
 * console.log(results.length); // 3
 * ```
 */
export class WaitGroup {
  #count = 0;
  /** Closed when the counter reaches zero; made on the first wait of a round. */
  #zero: Chan<never> | null = null;

  /** The counter: tasks added and not yet done (Go has no accessor; for diagnostics). */
  get count(): number {
    return this.#count;
  }

  /**
   * Adds `delta` (possibly negative) to the counter: Go's `wg.Add(delta)`. When
   * it reaches zero, every pending `wait()` resolves. Call it before starting the
   * task it accounts for, not inside it.
   *
   * @throws TypeError if `delta` is not a number; RangeError naming the value if
   *   it is not an integer.
   * @throws {@link NegativeWaitGroupCounterError} if the counter would go
   *   negative (Go's "sync: negative WaitGroup counter").
   *
   * @example
   * ```ts
   * import { WaitGroup } from "@gochan/core";
   * const wg = new WaitGroup();
   * wg.add(2);
   * setTimeout(() => wg.done(), 10);
   * setTimeout(() => wg.done(), 20);
   * await wg.wait();
   * ```
   */
  add(delta: number): void {
    if (typeof delta !== "number") {
      throw new TypeError(`WaitGroup.add: delta must be a number, got ${describe(delta)} (${typeof delta})`);
    }
    if (!Number.isSafeInteger(delta)) {
      throw new RangeError(`WaitGroup.add: delta must be an integer, got ${describe(delta)}`);
    }
    const n = this.#count + delta;
    if (n < 0) throw new NegativeWaitGroupCounterError();
    this.#count = n;
    if (n === 0 && this.#zero !== null) {
      const zero = this.#zero;
      this.#zero = null;
      zero.close();
    }
  }

  /**
   * Decrements the counter by one: Go's `wg.Done()`.
   *
   * @throws {@link NegativeWaitGroupCounterError} if the counter would go negative.
   *
   * @example
   * ```ts
   * import { WaitGroup } from "@gochan/core";
   * const wg = new WaitGroup();
   * wg.add(1);
   * queueMicrotask(() => wg.done());
   * await wg.wait();
   * ```
   */
  done(): void {
    this.add(-1);
  }

  /**
   * Resolves once the counter is zero: Go's `wg.Wait()`. At once (already
   * resolved) if it is zero now. Aborting `signal` withdraws this wait and
   * rejects with `signal.reason`.
   *
   * @example
   * ```ts
   * import { WaitGroup } from "@gochan/core";
   * const wg = new WaitGroup();
   * wg.go(() => new Promise((r) => setTimeout(r, 50)));
   * await wg.wait(AbortSignal.timeout(1000)); // rejects if it takes longer
   * ```
   */
  wait(signal?: AbortSignal): Promise<void> {
    if (signal != null && signal.aborted) return Promise.reject(signal.reason);
    if (this.#count === 0) return RESOLVED;
    let zero = this.#zero;
    if (zero === null) {
      zero = this.#zero = new Chan<never>(0, { name: "WaitGroup" });
      waitGroupChans.add(zero);
    }
    return zero.recv(signal);
  }

  /**
   * Runs `fn` as a new task counted by the group: `add(1)`, then `fn` with
   * {@link go}, then `done()` when it returns or its promise settles (Go 1.25's
   * `wg.Go(f)`). An error thrown by `fn` is a panic, handled like any task error
   * of {@link go} (never lost); the counter is still decremented first, as Go's
   * deferred `Done` runs before a panic unwinds further.
   *
   * @throws TypeError if `fn` is not a function.
   *
   * @example
   * ```ts
   * import { WaitGroup } from "@gochan/core";
   * const wg = new WaitGroup();
   * for (const url of ["/a", "/b"]) wg.go(() => fetch(url));
   * await wg.wait();
   * ```
   */
  go(fn: () => unknown): void {
    if (typeof fn !== "function") throw new TypeError(`WaitGroup.go: expected a function, got ${describe(fn)}`);
    this.add(1);
    go(runCounted, this, fn);
  }
}

async function runCounted(wg: WaitGroup, fn: () => unknown): Promise<void> {
  try {
    await fn();
  } finally {
    wg.done();
  }
}
