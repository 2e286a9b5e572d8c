/**
 * `go(fn)`: Go's `go` statement. Spawns a task whose error is never lost.
 *
 * @module
 */
import { currentBubble, type BubbleHook } from "./bubble-hook.js";
import { describe } from "./errors.js";
import { Ring } from "./ring.js";
import { trace } from "./trace.js";

/**
 * Called with the error of a task started by {@link go} (or {@link WaitGroup.go},
 * {@link afterFunc}) that threw or rejected. See {@link setPanicHandler}.
 */
export type PanicHandler = (error: unknown) => void;

let panicHandler: PanicHandler | null = null;

/**
 * Where tasks were spawned, recorded only while `run()` asks for call sites:
 * `enabled` costs one check per spawn otherwise.
 * @internal
 */
export const spawnSites: { enabled: boolean; readonly of: WeakMap<object, Error> } = {
  enabled: false,
  of: new WeakMap(),
};

function raise(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/**
 * A task failed: hand the error to the panic handler, or raise it as an uncaught
 * exception. Never swallows it.
 * @internal
 */
export function panic(error: unknown, site: Error | null): void {
  if (site !== null && typeof error === "object" && error !== null && !spawnSites.of.has(error)) {
    spawnSites.of.set(error, site);
  }
  const handler = panicHandler;
  if (handler === null) {
    raise(error);
    return;
  }
  try {
    handler(error);
  } catch (e) {
    // A handler that fails must not make the error vanish either.
    raise(e);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * Go's `go f(x)`: starts `fn(...args)` as a separate task and returns at once.
 *
 * `fn` and `args` are evaluated by the caller, as in Go; `fn` starts on a later
 * microtask (in Go, which runs first is unspecified; here the caller always
 * continues first, up to its next `await`). There is no handle to join: use a
 * {@link WaitGroup}, an {@link ErrGroup} or a channel to learn when it ends.
 *
 * **A task's error is never lost.** If `fn` throws or its promise rejects, that
 * is a Go panic: the error goes to the handler set with {@link setPanicHandler}
 * or, if there is none, is raised as an uncaught exception. In Node that ends
 * the process with the error's stack (exit code 1; under {@link run}, Go's
 * "panic: ..." and exit code 2); in a browser it is reported like any uncaught
 * error. Inside a synctest bubble (`@gochan/core/testing`) it fails the
 * bubble's test instead. To handle an error yourself, catch it inside `fn`
 * (Go's `recover`).
 *
 * Differences from Go: JavaScript has no preemption (a task that never awaits
 * runs to completion before any other), and tasks have no goroutine ids.
 *
 * @throws TypeError if `fn` is not a function.
 *
 * @example
 * ```ts
 * import { Chan, go } from "@gochan/core";
 * const results = new Chan<number>();
 * go(async (n: number) => {
 *   await results.send(n * n);
 * }, 7);
 * console.log(await results.recv()); // 49
 * ```
 */
export function go<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void;
// No rest parameter: a spawn copies its arguments into the spawn queue's slots,
// where an array of them would be one more object per task held until it starts.
export function go(fn: Task): void {
  if (typeof fn !== "function") throw new TypeError(`go: expected a function, got ${describe(fn)}`);
  const bubble = currentBubble;
  // run() is in force: it starts and records the task if it samples this
  // spawn (an array of the arguments only then).
  const tasks = bubble === null ? trace.tasks : null;
  const sampled = tasks !== null ? tasks.sample() : null;
  const site = sampled === null && spawnSites.enabled ? new Error("go") : null;
  if (sampled !== null || bubble !== null) {
    // Copied element by element here: passing `arguments` itself on would make
    // V8 build the arguments object at every go() call once this path has run
    // (63 bytes a spawn under run(), which samples some spawns, measured on
    // Node 20).
    const args: unknown[] = [];
    for (let i = 1; i < arguments.length; i++) args.push(arguments[i]);
    if (tasks !== null && sampled !== null) tasks.spawn(fn, args, sampled);
    else goInBubble(bubble as BubbleHook, fn, args, site);
    return;
  }
  const n = arguments.length - 1;
  spawns.push(fn);
  if (site === null) spawns.push(n);
  else {
    spawns.push(~n);
    spawns.push(site);
  }
  for (let i = 1; i <= n; i++) spawns.push(arguments[i]);
  started.then(startNext);
}

/** A task's function, as the spawn queue holds it. */
type Task = (...args: unknown[]) => unknown;

/**
 * Tasks spawned and not started yet, in spawn order (core's ring, as a
 * buffered channel's elements). A spawn is `fn`, then its argument count `n`
 * (`~n` if a call site follows), the site if any, then the `n` arguments:
 * a daisy chain's link takes four slots and no array until it starts, and
 * the chain spawns 100,000 before the first starts. Each spawn queues one
 * reaction of `started`, so the k-th reaction to run starts the k-th task: a
 * task still starts on its own microtask, queued at its go() call (ordered
 * among other reactions as `queueMicrotask` would order it), without a
 * closure and its context per spawn.
 */
const spawns = new Ring<unknown>(Number.MAX_SAFE_INTEGER);

/**
 * The slots the spawn queue holds now (for tests).
 * @internal
 */
export function spawnQueueSlots(): number {
  return spawns.length;
}

/**
 * The settled promise whose reactions start tasks: a microtask per spawn, as
 * `queueMicrotask` gives, without the AsyncResource and bound function Node's
 * `queueMicrotask` allocates per call.
 */
const started = Promise.resolve();

/**
 * Starts the oldest task not started yet (one call per spawn, in spawn order).
 * It takes the task's slots out of the queue before calling it, so a task that
 * spawns finds the queue consistent; up to three arguments are passed without
 * making an array of them.
 */
function startNext(): void {
  const fn = spawns.shift() as Task;
  const head = spawns.shift() as number;
  const site = head < 0 ? (spawns.shift() as Error) : null;
  const n = head < 0 ? ~head : head;
  let result: unknown;
  try {
    if (n === 0) result = fn();
    else if (n === 1) result = fn(spawns.shift());
    else if (n === 2) {
      const a = spawns.shift();
      result = fn(a, spawns.shift());
    } else if (n === 3) {
      const a = spawns.shift();
      const b = spawns.shift();
      result = fn(a, b, spawns.shift());
    } else {
      const args = new Array<unknown>(n);
      for (let i = 0; i < n; i++) args[i] = spawns.shift();
      result = fn(...args);
    }
    // Inside the try: reading a thenable's `then` can throw too.
    watch(result, site);
  } catch (e) {
    panic(e, site);
  }
}

/** A task's error, thrown or rejected later, becomes a panic. */
function watch(result: unknown, site: Error | null): void {
  // No closure per task unless there is a call site to carry.
  if (isThenable(result)) Promise.resolve(result).then(undefined, site === null ? panicked : (e: unknown) => panic(e, site));
}

/** A task without a recorded call site failed. */
function panicked(error: unknown): void {
  panic(error, null);
}

/**
 * `go()` inside a synctest bubble: the bubble counts the task from now until it
 * returns or settles, and a task that fails fails the bubble's test.
 */
function goInBubble<A extends unknown[]>(
  bubble: BubbleHook,
  fn: (...args: A) => unknown,
  args: A,
  site: Error | null,
): void {
  const task = bubble.spawned(site);
  queueMicrotask(() => {
    let result: unknown;
    try {
      result = fn(...args);
    } catch (e) {
      bubble.exited(task, true, e);
      return;
    }
    if (!isThenable(result)) {
      bubble.exited(task, false, undefined);
      return;
    }
    Promise.resolve(result).then(
      () => bubble.exited(task, false, undefined),
      (e: unknown) => bubble.exited(task, true, e),
    );
  });
}

/**
 * Sets the handler that receives the error of every task started by {@link go}
 * (and {@link WaitGroup.go}, {@link afterFunc}) that threw or rejected, instead
 * of raising it as an uncaught exception. Returns the previous handler; `null`
 * restores the default. If the handler itself throws, that error is raised as an
 * uncaught exception.
 *
 * @example
 * ```ts
 * import { go, setPanicHandler } from "@gochan/core";
 * setPanicHandler((error) => {
 *   console.error("task failed:", error);
 *   process.exitCode = 1;
 * });
 * go(() => { throw new Error("boom"); }); // logged, the program continues
 * ```
 */
export function setPanicHandler(handler: PanicHandler | null): PanicHandler | null {
  if (handler !== null && typeof handler !== "function") {
    throw new TypeError(`setPanicHandler: expected a function or null, got ${describe(handler)}`);
  }
  const previous = panicHandler;
  panicHandler = handler;
  return previous;
}
