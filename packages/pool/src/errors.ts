/**
 * The errors a pool raises. Each is a class, so callers can tell them apart
 * with `instanceof`, and each message says what happened and with which values.
 *
 * @module
 */

/**
 * Base class of every error `@gochan/pool` raises about the pool itself (as
 * opposed to the errors your jobs throw, which reach you unchanged).
 *
 * @example
 * ```ts
 * import { Pool, PoolError } from "@gochan/pool";
 * const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
 * await pool.stop();
 * await pool.submit(() => 1).catch((e) => console.log(e instanceof PoolError)); // true
 * ```
 */
export class PoolError extends Error {
  /** @internal */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * `trySubmit` found the queue full (or other submitters already waiting for
 * space, who go first): the job was not accepted. It is thrown synchronously,
 * so the caller can answer "busy" (an HTTP 503, say) at once.
 *
 * @example
 * ```ts
 * import { Pool, QueueFullError } from "@gochan/pool";
 * const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
 * const never = new Promise<void>(() => {});
 * void pool.submit(() => never); // runs (and stalls) the only worker
 * void pool.submit(() => 1); // fills the queue
 * try {
 *   void pool.trySubmit(() => 2);
 * } catch (e) {
 *   if (e instanceof QueueFullError) console.log(e.maxQueue); // 1
 * }
 * ```
 */
export class QueueFullError extends PoolError {
  /** The capacity of the queue that was full. */
  readonly maxQueue: number;
  /** @internal */
  constructor(maxQueue: number, queued: number, blocked: number) {
    super(
      `pool queue is full: ${queued} job(s) queued of maxQueue ${maxQueue}` +
        (blocked > 0 ? `, ${blocked} submitter(s) already waiting for space` : ""),
    );
    this.maxQueue = maxQueue;
  }
}

/**
 * The pool has been stopped: a submit after `stop()`/`stopAndWait()` rejects
 * with it (`trySubmit` and `go` throw it), and so does every job that was still
 * waiting for queue space or waiting in the queue when `stop()` dropped it.
 *
 * @example
 * ```ts
 * import { Pool, PoolStoppedError } from "@gochan/pool";
 * const pool = new Pool({ maxWorkers: 2, maxQueue: 8 });
 * void pool.stop();
 * try {
 *   await pool.submit(() => "too late");
 * } catch (e) {
 *   if (e instanceof PoolStoppedError) console.log(e.message); // "submit: the pool is stopped"
 * }
 * ```
 */
export class PoolStoppedError extends PoolError {
  /** @internal */
  constructor(message: string) {
    super(message);
  }
}

/**
 * A job ran longer than its `timeout` (counted from the moment it started, not
 * from submission). The job's signal is aborted with this error as its reason
 * and the job's promise rejects with it at once; the worker stays busy until the
 * job function actually returns, so honour the signal in long jobs.
 *
 * @example
 * ```ts
 * import { Pool, JobTimeoutError } from "@gochan/pool";
 * const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
 * const slow = (signal: AbortSignal) =>
 *   new Promise((resolve) => {
 *     const t = setTimeout(resolve, 10_000);
 *     signal.addEventListener("abort", () => { clearTimeout(t); resolve(undefined); }, { once: true });
 *   });
 * await pool.submit(slow, { timeout: 50 }).catch((e) => {
 *   if (e instanceof JobTimeoutError) console.log(e.timeout); // 50
 * });
 * ```
 */
export class JobTimeoutError extends PoolError {
  /** The timeout that elapsed, in milliseconds. */
  readonly timeout: number;
  /** @internal */
  constructor(id: number, timeout: number) {
    super(`job ${id} timed out after ${timeout} ms`);
    this.timeout = timeout;
  }
}

/**
 * Rethrows an error as an uncaught exception on a microtask: Go's unrecovered
 * panic. Used for errors nobody else would ever see.
 * @internal
 */
export function rethrow(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/**
 * Hands a fire-and-forget job's error to `onError`, or, without a hook, raises
 * it as an uncaught exception; an error thrown by the hook itself is raised too,
 * so no error vanishes.
 * @internal
 */
export function reportError<J>(onError: ((error: unknown, job: J) => void) | null, error: unknown, job: J): void {
  if (onError === null) {
    rethrow(error);
    return;
  }
  try {
    onError(error, job);
  } catch (hookError) {
    rethrow(hookError);
  }
}
