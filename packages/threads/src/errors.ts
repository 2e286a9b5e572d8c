/**
 * The errors `@gochan/threads` raises. Each is a class usable with `instanceof`;
 * channel misuse reuses core's errors (`SendOnClosedError` and friends),
 * so code that catches them works the same on a shared channel.
 *
 * @module
 */

/**
 * A value cannot cross to another thread: a function, a symbol, a class
 * instance (its prototype and private state would be lost), a shared channel
 * inside a value, or anything else structured clone refuses. It is thrown
 * synchronously by `send`/`trySend` (and by a select's send case when the case
 * is made), before anything is written: the channel stays as it was.
 *
 * @example
 * ```ts
 * import { SharedChan, UncloneableValueError } from "@gochan/threads";
 * const ch = new SharedChan<unknown>(1);
 * try {
 *   ch.trySend({ onDone: () => {} });
 * } catch (e) {
 *   if (e instanceof UncloneableValueError) console.log(e.path); // "value.onDone"
 * }
 * ```
 */
export class UncloneableValueError extends TypeError {
  /** Where in the value the offending part is, as `value.a[2].b`. */
  readonly path: string;
  /** @internal */
  constructor(path: string, what: string) {
    super(`cannot send ${path} (${what}) to another thread: it is not structured-cloneable`);
    this.name = "UncloneableValueError";
    this.path = path;
  }
}

/**
 * A value's encoding is larger than the shared channel's whole value area
 * (`bytes` in {@link SharedChanOptions}), so it could never be buffered or
 * handed over. Thrown synchronously; nothing is sent.
 *
 * @example
 * ```ts
 * import { SharedChan, ValueTooLargeError } from "@gochan/threads";
 * const ch = new SharedChan<string>(1, { bytes: 1024 });
 * try {
 *   ch.trySend("x".repeat(4096));
 * } catch (e) {
 *   if (e instanceof ValueTooLargeError) console.log(e.size > e.limit); // true
 * }
 * ```
 */
export class ValueTooLargeError extends RangeError {
  /** The value's encoded size in bytes. */
  readonly size: number;
  /** The largest encoded value the channel can hold, in bytes. */
  readonly limit: number;
  /** @internal */
  constructor(size: number, limit: number) {
    super(`cannot send a value of ${size} bytes: the shared channel holds at most ${limit} bytes per value`);
    this.name = "ValueTooLargeError";
    this.size = size;
    this.limit = limit;
  }
}

/**
 * More operations are parked on one shared channel than its waiter table holds
 * (`waiters` in {@link SharedChanOptions}), or more operations are parked in
 * all threads together than the domain's slot table holds. Go has no such
 * limit; here the tables are fixed-size shared memory. The operation is
 * refused (rejected) without side effects.
 *
 * @example
 * ```ts
 * import { SharedChan, WaiterLimitError } from "@gochan/threads";
 * const ch = new SharedChan<number>(0, { waiters: 1 });
 * void ch.recv();
 * await ch.recv().catch((e) => console.log(e instanceof WaiterLimitError)); // true
 * ```
 */
export class WaiterLimitError extends RangeError {
  /** @internal */
  constructor(message: string) {
    super(message);
    this.name = "WaiterLimitError";
  }
}


/**
 * Base class of the errors a {@link ThreadPool} raises about itself (a job's
 * own throw reaches you as the job threw it).
 *
 * @example
 * ```ts
 * import { ThreadPool, ThreadPoolError } from "@gochan/threads";
 * const pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url), maxThreads: 1 });
 * await pool.stop();
 * await pool.submit("f", []).catch((e) => console.log(e instanceof ThreadPoolError)); // true
 * ```
 */
export class ThreadPoolError extends Error {
  /** @internal */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * `trySubmit` found the queue full: the job was not accepted. Thrown synchronously.
 *
 * @example
 * ```ts
 * import { ThreadPool, ThreadQueueFullError } from "@gochan/threads";
 * const pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url), maxThreads: 1, maxQueue: 0 });
 * try { void pool.trySubmit("f", []); } catch (e) { console.log(e instanceof ThreadQueueFullError); }
 * ```
 */
export class ThreadQueueFullError extends ThreadPoolError {
  /** The capacity of the queue that was full. */
  readonly maxQueue: number;
  /** @internal */
  constructor(maxQueue: number) {
    super(`thread pool queue is full: maxQueue ${maxQueue}`);
    this.maxQueue = maxQueue;
  }
}

/**
 * The pool is stopped: a submit after `stop()` rejects with it, and so does
 * every job `stop()` dropped from the queue.
 *
 * @example
 * ```ts
 * import { ThreadPool, ThreadPoolStoppedError } from "@gochan/threads";
 * const pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url) });
 * void pool.stop();
 * await pool.submit("f", []).catch((e) => console.log(e instanceof ThreadPoolStoppedError)); // true
 * ```
 */
export class ThreadPoolStoppedError extends ThreadPoolError {}

/**
 * A job's thread exited while running it: `process.exit()` in the job, an
 * uncaught error outside the job's promise, or running out of memory under
 * `resourceLimits`. The thread is replaced; the job is not retried.
 *
 * @example
 * ```ts
 * import { ThreadPool, ThreadCrashedError } from "@gochan/threads";
 * const pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url) });
 * await pool.submit("exitNow", []).catch((e) => {
 *   if (e instanceof ThreadCrashedError) console.log(e.exitCode, e.cause);
 * });
 * ```
 */
export class ThreadCrashedError extends ThreadPoolError {
  /** The thread's exit code. */
  readonly exitCode: number;
  /** @internal */
  constructor(fn: string, exitCode: number, cause: unknown) {
    super(`the thread running job "${fn}" exited with code ${exitCode}${cause instanceof Error ? `: ${cause.message}` : ""}`);
    this.exitCode = exitCode;
    if (cause !== undefined) this.cause = cause;
  }
}

/**
 * A job ran longer than its `timeout`: its thread was terminated (and replaced).
 *
 * @example
 * ```ts
 * import { ThreadPool, ThreadJobTimeoutError } from "@gochan/threads";
 * const pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url) });
 * await pool.submit("spin", [10_000], { timeout: 100 }).catch((e) => console.log(e instanceof ThreadJobTimeoutError));
 * ```
 */
export class ThreadJobTimeoutError extends ThreadPoolError {
  /** The timeout that expired, in milliseconds. */
  readonly timeout: number;
  /** @internal */
  constructor(fn: string, timeout: number) {
    super(`job "${fn}" timed out after ${timeout} ms; its thread was terminated`);
    this.timeout = timeout;
  }
}

/**
 * Something in a ThreadPool job's `transfer` list (or a job's
 * `transfer()` list) cannot be moved to a thread: a SharedArrayBuffer, a
 * typed array (list its `.buffer`), an ArrayBuffer or MessagePort already
 * moved or listed twice, or anything that is not a transferable. Refused
 * synchronously, naming it (`transfer[0]`, or `transfer` when the platform's
 * structured clone refused the list); nothing is detached or sent, and the
 * caller keeps everything it listed.
 *
 * @example
 * ```ts
 * import { ThreadPool, TransferError } from "@gochan/threads";
 * const pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url) });
 * const shared = new SharedArrayBuffer(8);
 * try {
 *   pool.go("f", [shared], { transfer: [shared as unknown as ArrayBuffer] });
 * } catch (e) {
 *   if (e instanceof TransferError) console.log(e.path); // "transfer[0]"
 * }
 * ```
 */
export class TransferError extends TypeError {
  /** Which entry of the transfer list, as `transfer[1]`. */
  readonly path: string;
  /** @internal */
  constructor(path: string, what: string) {
    super(`cannot transfer ${path} (${what}) to a thread: list ArrayBuffers, MessagePorts and other transferables, each once and not already moved`);
    this.name = "TransferError";
    this.path = path;
  }
}

/**
 * A value whose MessagePorts were moved through a {@link SharedChan} could not
 * be handed over: a try operation (`tryRecv`, `trySelect`) met it (its ports
 * come by message, so they cannot be received synchronously; nothing was
 * taken, the value is still in the channel), or the receive committed but the
 * ports could not be fetched from the main thread (the receive fails with this
 * error and delivers nothing of the value; its ports are closed).
 *
 * @example
 * ```ts
 * import { MovedValueError, SharedChan } from "@gochan/threads";
 * const ch = new SharedChan<unknown>(1);
 * try {
 *   ch.tryRecv();
 * } catch (e) {
 *   if (e instanceof MovedValueError) console.log("receive it with recv()");
 * }
 * ```
 */
export class MovedValueError extends Error {
  /** @internal */
  constructor(message: string) {
    super(message);
    this.name = "MovedValueError";
  }
}
