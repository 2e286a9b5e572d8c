/**
 * `ErrGroup`: Go's `golang.org/x/sync/errgroup`. Tasks that work on parts of a
 * common job, the first error, and a context cancelled on it.
 *
 * @module
 */
import { Chan } from "./chan.js";
import { withCancel, type CancelFunc, type Context } from "./context.js";
import { ASYNC_DISPOSE } from "./dispose.js";
import { ChanError, describe, MAX_CAPACITY } from "./errors.js";
import { WaitGroup } from "./wait-group.js";

/**
 * Go's errgroup panic "errgroup: modify limit while N goroutines in the group
 * are still active": {@link ErrGroup.setLimit} was called while tasks of the
 * group were running or waiting to start.
 *
 * @example
 * ```ts
 * import { ErrGroup, ErrGroupLimitError } from "@gochan/core";
 * const g = new ErrGroup();
 * g.go(() => new Promise((r) => setTimeout(r, 10)));
 * try { g.setLimit(2); } catch (e) { console.log(e instanceof ErrGroupLimitError); } // true
 * ```
 */
export class ErrGroupLimitError extends ChanError {
  /** @internal */
  constructor(active: number) {
    super(`errgroup: modify limit while ${active} goroutines in the group are still active`);
  }
}

/** What {@link withContext} returns: the group and its derived context. */
export interface ErrGroupWithContext {
  /** The group; its first error cancels `ctx`. */
  readonly group: ErrGroup;
  /** Cancelled (cause: the error) on the group's first error, or when `wait()` returns. */
  readonly ctx: Context;
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Go's `errgroup.Group`: runs tasks, waits for all of them, and reports the
 * first error. The zero-configuration group has no limit and no context; use
 * {@link withContext} for a context cancelled on the first error, and
 * {@link ErrGroup.setLimit} to bound how many tasks run at once.
 *
 * A task fails by throwing or rejecting; its return value is ignored. Only the
 * first error is kept (as in Go); later ones are dropped by design.
 *
 * Differences from Go: Go's `g.Go` blocks its caller while the group is at its
 * limit. Here {@link ErrGroup.go} never blocks (it returns nothing; at the limit
 * the task waits for a slot on its own) and {@link ErrGroup.goBlocking} is Go's
 * blocking form (`await` it for backpressure). Either way a task counts toward
 * `wait()` from the moment it is handed over, so `wait()` never returns early.
 *
 * `await using g = new ErrGroup()` waits for the group's tasks when the scope
 * ends and throws the first error, unless a `wait()` has already returned it.
 *
 * @example
 * ```ts
 * import { ErrGroup } from "@gochan/core";
 * const g = new ErrGroup();
 * const sizes: number[] = [];
 * for (const url of ["/a", "/b", "/c"]) {
 *   g.go(async () => {
 *     const res = await fetch(url);
 *     if (!res.ok) throw new Error(`${url}: ${res.status}`);
 *     sizes.push((await res.arrayBuffer()).byteLength);
 *   });
 * }
 * const err = await g.wait();
 * if (err !== undefined) console.error("failed:", err);
 * ```
 */
export class ErrGroup implements AsyncDisposable {
  readonly #wg = new WaitGroup();
  /** Holds one token per running task while a limit is set. */
  #sem: Chan<undefined> | null = null;
  #failed = false;
  #error: unknown = undefined;
  /** A wait() has handed the error to its caller: disposal need not throw it again. */
  #reported = false;
  /** @internal Set by {@link withContext}. */
  _cancel: CancelFunc | null = null;
  readonly #settled: () => void;
  readonly #failedWith: (error: unknown) => void;

  constructor() {
    this.#settled = () => this.#finish();
    this.#failedWith = (error: unknown) => {
      if (!this.#failed) {
        this.#failed = true;
        // A task that throws undefined or null still failed: never report "no error".
        this.#error = error ?? new Error(`errgroup: a task failed with ${String(error)}`);
        if (this._cancel !== null) this._cancel(this.#error);
      }
      this.#finish();
    };
  }

  /**
   * Starts `fn` as a task of the group: Go's `g.Go(f)`, without blocking the
   * caller. Below the limit (or without one) it starts at once; at the limit it
   * waits on its own for a running task to finish, in the order handed over. It
   * counts toward {@link ErrGroup.wait} from now on. Its error goes to `wait()`,
   * so nothing needs to be awaited here; use {@link ErrGroup.goBlocking} for Go's
   * backpressure.
   *
   * In earlier versions `go()` returned a promise that resolved once the task had
   * started; `await g.go(f)` still compiles and still runs every task within the
   * limit, but no longer holds the caller back: write `await g.goBlocking(f)`.
   *
   * @throws TypeError if `fn` is not a function.
   *
   * @example
   * ```ts
   * import { ErrGroup } from "@gochan/core";
   * const g = new ErrGroup();
   * for (const id of [1, 2, 3]) g.go(async () => console.log("task", id));
   * console.log(await g.wait()); // undefined: no task failed
   * ```
   */
  go(fn: () => unknown): void {
    if (typeof fn !== "function") throw new TypeError(`ErrGroup.go: expected a function, got ${describe(fn)}`);
    this.#enter(fn);
  }

  /**
   * Starts `fn` as a task of the group the way Go's `g.Go(f)` does at a limit:
   * the returned promise resolves once the task has started, so `await` holds
   * the caller while the group is full (backpressure). Without a limit, or below
   * it, the task starts at once and the promise is already resolved. The task
   * counts toward {@link ErrGroup.wait} from now on; its error goes to `wait()`,
   * never to this promise, which never rejects.
   *
   * @throws TypeError if `fn` is not a function.
   *
   * @example
   * ```ts
   * import { ErrGroup } from "@gochan/core";
   * const g = new ErrGroup();
   * g.setLimit(4);
   * for (let i = 0; i < 100; i++) {
   *   // waits here while 4 tasks are running
   *   await g.goBlocking(async () => {
   *     await fetch(`/item/${i}`);
   *   });
   * }
   * await g.wait();
   * ```
   */
  goBlocking(fn: () => unknown): Promise<void> {
    if (typeof fn !== "function") throw new TypeError(`ErrGroup.goBlocking: expected a function, got ${describe(fn)}`);
    return this.#enter(fn);
  }

  #enter(fn: () => unknown): Promise<void> {
    this.#wg.add(1);
    const sem = this.#sem;
    if (sem === null || sem.trySend(undefined)) {
      this.#start(fn);
      return RESOLVED;
    }
    // The semaphore is never closed, so this send never rejects.
    return sem.send(undefined).then(() => this.#start(fn));
  }

  /**
   * Starts `fn` only if the group is below its limit: Go's `g.TryGo(f)`.
   * Returns whether it started.
   *
   * @throws TypeError if `fn` is not a function.
   *
   * @example
   * ```ts
   * import { ErrGroup } from "@gochan/core";
   * const g = new ErrGroup();
   * g.setLimit(1);
   * console.log(g.tryGo(async () => {}), g.tryGo(async () => {})); // true false
   * await g.wait();
   * ```
   */
  tryGo(fn: () => unknown): boolean {
    if (typeof fn !== "function") throw new TypeError(`ErrGroup.tryGo: expected a function, got ${describe(fn)}`);
    const sem = this.#sem;
    if (sem !== null && !sem.trySend(undefined)) return false;
    this.#wg.add(1);
    this.#start(fn);
    return true;
  }

  /**
   * Limits the number of tasks running at once to `n`: Go's `g.SetLimit(n)`. A
   * negative `n` removes the limit; 0 lets no task start (as in Go, a task then
   * waits forever, and so does `goBlocking()`). Any integer is accepted, as Go
   * accepts any `int`; a limit above {@link MAX_CAPACITY} (2^31-1 tasks at
   * once, more than a JavaScript heap can hold) can never be reached and counts
   * as no limit.
   *
   * @throws RangeError naming the value if `n` is not an integer.
   * @throws {@link ErrGroupLimitError} if tasks of the group are active.
   *
   * @example
   * ```ts
   * import { ErrGroup } from "@gochan/core";
   * const g = new ErrGroup();
   * g.setLimit(8); // like Go: before starting any task
   * ```
   */
  setLimit(n: number): void {
    if (typeof n !== "number" || !Number.isInteger(n)) {
      throw new RangeError(`ErrGroup.setLimit: n must be an integer, got ${describe(n)} (${typeof n})`);
    }
    const active = this.#wg.count;
    if (active !== 0) throw new ErrGroupLimitError(active);
    this.#sem = n < 0 || n > MAX_CAPACITY ? null : new Chan<undefined>(n, { name: "errgroup.sem" });
  }

  /**
   * Resolves once every task started so far has finished, with the first error
   * (or `undefined` if none failed): Go's `g.Wait()`. With {@link withContext},
   * the group's context is then cancelled. It rejects only if `signal` aborts
   * (with its reason): the tasks keep running and the context is left alone.
   *
   * @example
   * ```ts
   * import { ErrGroup, errorString } from "@gochan/core";
   * const g = new ErrGroup();
   * g.go(() => { throw new Error("first"); });
   * console.log(errorString(await g.wait())); // "first"
   * const slow = new ErrGroup();
   * slow.go(() => new Promise((r) => setTimeout(r, 1000)));
   * await slow.wait(AbortSignal.timeout(10)).catch((e) => console.log(e.name)); // "TimeoutError"
   * ```
   */
  async wait(signal?: AbortSignal): Promise<unknown> {
    await this.#wg.wait(signal);
    if (this._cancel !== null) this._cancel(this.#failed ? this.#error : undefined);
    if (this.#failed) this.#reported = true;
    return this.#failed ? this.#error : undefined;
  }

  /**
   * `await using g = new ErrGroup()`: when the scope ends, waits for every task
   * (like {@link ErrGroup.wait}) and throws the first error, unless a `wait()`
   * call has already returned it, so an error is neither lost nor raised twice.
   *
   * @example
   * ```ts
   * import { ErrGroup } from "@gochan/core";
   * async function fetchAll(urls: string[]): Promise<void> {
   *   await using g = new ErrGroup(); // waits, and throws the first error, on return
   *   for (const url of urls) g.go(() => fetch(url));
   * }
   * ```
   */
  async [ASYNC_DISPOSE](): Promise<void> {
    const reported = this.#reported;
    const error = await this.wait();
    if (error !== undefined && !reported) throw error;
  }

  #start(fn: () => unknown): void {
    // Like a new goroutine: fn runs on a later microtask, never inside go().
    RESOLVED.then(fn).then(this.#settled, this.#failedWith);
  }

  #finish(): void {
    // Free the slot first (a waiting go() takes it), then count the task done.
    if (this.#sem !== null) this.#sem.tryRecv();
    this.#wg.done();
  }
}

/**
 * Go's `errgroup.WithContext(ctx)`: a new group and a context derived from
 * `parent` that is cancelled (with the error as its cause) when a task of the
 * group first fails, or when `wait()` returns, whichever comes first.
 *
 * @throws TypeError if `parent` is not a Context.
 *
 * @example
 * ```ts
 * import { background, withContext, select, recv, after } from "@gochan/core";
 * const { group, ctx } = withContext(background());
 * group.go(async () => { throw new Error("replica down"); });
 * group.go(async () => {
 *   const r = await select([recv(ctx.done()), recv(after(10_000))]);
 *   if (r.index === 0) return; // cancelled early by the other task's error
 * });
 * console.log(await group.wait()); // Error: replica down
 * ```
 */
export function withContext(parent: Context): ErrGroupWithContext {
  const { ctx, cancel } = withCancel(parent);
  const group = new ErrGroup();
  group._cancel = cancel;
  return { group, ctx };
}
