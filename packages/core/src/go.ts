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
export function go<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void {
  if (typeof fn !== "function") throw new TypeError(`go: expected a function, got ${describe(fn)}`);
  const bubble = currentBubble;
  // run() is in force: it starts and records the task if it samples this spawn.
  if (bubble === null && trace.tasks !== null && trace.tasks.spawn(fn, args)) return;
  const site = spawnSites.enabled ? new Error("go") : null;
  if (bubble !== null) {
    goInBubble(bubble, fn, args, site);
    return;
  }
  spawns.push(fn);
  spawns.push(args);
  spawns.push(site);
  started.then(startNext);
}

/**
 * Tasks spawned and not started yet, as [fn, args, site] triples in spawn
 * order (core's ring, as a buffered channel's elements). Each spawn queues
 * one reaction of `started`, so the k-th reaction to run starts the k-th
 * task: a task still starts on its own microtask, queued at its go() call
 * (ordered among other reactions as `queueMicrotask` would order it), but a
 * spawn keeps three slots alive instead of a closure and its context until it
 * starts (a daisy chain spawns 100,000 before the first starts).
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

/** Starts the oldest task not started yet (one call per spawn, in spawn order). */
function startNext(): void {
  const fn = spawns.shift() as (...a: unknown[]) => unknown;
  const args = spawns.shift() as unknown[];
  const site = spawns.shift() as Error | null;
  start(fn, args, site);
}

/** Runs a task; its error, thrown or rejected, becomes a panic. */
function start<A extends unknown[]>(fn: (...args: A) => unknown, args: A, site: Error | null): void {
  try {
    const result = fn(...args);
    if (isThenable(result)) {
      // No closure per task unless there is a call site to carry.
      Promise.resolve(result).then(undefined, site === null ? panicked : (e: unknown) => panic(e, site));
    }
  } catch (e) {
    panic(e, site);
  }
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
