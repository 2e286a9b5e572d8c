/**
 * The pool users expect, on the seed's Worker / Dispatcher / chan-chan-Job
 * engine: bounded queue with backpressure, typed results, cancellation,
 * timeouts, groups, graceful shutdown, resizing and metrics.
 *
 * ## Backpressure
 * The queue holds at most `maxQueue` jobs. When it is full:
 * - `submit` (and `go`, `group.submit`) waits for space: the job joins a FIFO
 *   of blocked submitters and enters the queue as soon as a worker takes a job.
 *   The wait can be aborted with the job's `signal`.
 * - `trySubmit` never waits: it throws {@link QueueFullError} synchronously,
 *   so a server can answer 503 at once. It succeeds exactly when
 *   `metrics().queued + metrics().blockedSubmitters < maxQueue`.
 * A producer that must not run ahead awaits `group.submit` (it resolves once
 * the job is queued), or keeps a window of in-flight `submit` promises.
 *
 * ## Cancellation and timeouts
 * Every job gets an AbortSignal. It is aborted when the job's own `signal`
 * aborts, when its `timeout` (counted from its start) elapses, when its
 * fail-fast group fails, or when the pool's `signal` aborts. A job that is
 * cancelled while it waits is removed and never runs; one that is cancelled
 * while it runs has its signal aborted and its promise rejected at once, and
 * keeps its worker until it returns: cancellation is cooperative, as in Go.
 *
 * ## Shutdown
 * - `stop()`: no new jobs; jobs waiting for space or in the queue are dropped
 *   (their promises reject with {@link PoolStoppedError}); running jobs finish.
 * - `stopAndWait()`: no new jobs; every job already accepted (waiting for
 *   space, queued, running) runs to the end. A later `stop()` turns a drain
 *   into a stop.
 * Both resolve once every worker has exited and every job has settled, leave
 * no timer behind, and return the same promise when called again.
 *
 * ## When a job starts
 * A job that `submit`, `trySubmit` or `go` hands to a free worker (an idle
 * one, or a new one, with nothing waiting ahead of it) starts inside that
 * call: its `start` event and its function, up to the function's first
 * `await`, run before the call returns, as in fastq or p-queue, and as a Go
 * worker may run a job before its submitter goes on. Everything is counted
 * first (the job is `running`, its signal exists), so the job may call back
 * into the pool. Its end never runs inside the call: a job that throws
 * synchronously rejects its promise later, and the call does not throw.
 * Jobs submitted from inside such a start, jobs that wait for a worker, and
 * group and map jobs start later (a microtask, or when a worker is free).
 * When the event loop is due a turn (core's fairness policy), the job waits
 * for it instead.
 *
 * ## Errors
 * A job's error rejects its promise (`submit`), goes to `group.wait()`, or, for
 * `go()`, to the `onError` option; without `onError` it is rethrown as an
 * uncaught exception, like an unrecovered panic. An error never ends a worker
 * and never vanishes.
 *
 * @module
 */
/// <reference lib="esnext.disposable" preserve="true" />
import { abortable, waitSignal, type WaitOptions } from "./abortable.js";
import { Engine } from "./engine.js";
import { Group, GroupCore } from "./group.js";
import { MapRun, MapStream, plan, type MapFunction, type MapOptions, type MapStreamOptions } from "./map.js";
import type { PoolMetrics } from "./metrics.js";
import {
  checkCount,
  checkObject,
  resolvePoolOptions,
  type GroupOptions,
  type JobFunction,
  type JobOptions,
  type PoolOptions,
} from "./options.js";
import { MAX_CAPACITY } from "@gochan/core";

/**
 * A worker pool: at most `maxWorkers` jobs run at a time, at most `maxQueue`
 * wait for a worker, and submitters beyond that wait for space (backpressure).
 * Any number of pools can coexist; each has its own queue and workers.
 *
 * Jobs leave the queue in submission order. Workers start on demand and, with
 * `idleTimeout`, exit when idle for that long.
 *
 * @example
 * ```ts
 * import { Pool } from "@gochan/pool";
 * const pool = new Pool({ maxWorkers: 8, maxQueue: 1000 });
 * const status = await pool.submit(async (signal) => (await fetch("https://example.com", { signal })).status);
 * pool.go(async () => { await fetch("https://example.com/ping", { method: "POST" }); });
 * console.log(status, pool.metrics().succeeded);
 * await pool.stopAndWait(); // let the go() job finish
 * ```
 */
export class Pool {
  readonly #e: Engine;

  /**
   * Makes a pool. No worker starts until there is a job.
   *
   * @throws RangeError naming the value and its type if `maxWorkers` or
   *   `maxQueue` is not an integer from 1 to 2^31-1 (e.g. the string "8" from
   *   an environment variable), or `idleTimeout` is not a delay;
   *   TypeError for a `signal` that is not an AbortSignal or a hook that is not
   *   a function.
   */
  constructor(options: PoolOptions) {
    this.#e = new Engine(resolvePoolOptions(options));
  }

  /** The current worker limit. */
  get maxWorkers(): number {
    return this.#e.maxWorkers;
  }

  /** The queue's capacity. */
  get maxQueue(): number {
    return this.#e.maxQueue;
  }

  /** True once `stop()` or `stopAndWait()` was called, or the pool's signal aborted. */
  get stopped(): boolean {
    return this.#e.isStopped;
  }

  /**
   * Submits a job and returns its result. If the queue is full it waits for
   * space first (backpressure); aborting `options.signal` ends that wait, or
   * cancels the job wherever it is (see {@link JobOptions.signal}).
   *
   * The promise resolves with what the job returns; rejects with what it
   * throws, with {@link JobTimeoutError} if it exceeds `options.timeout`, with
   * the signal's reason if cancelled, with {@link PoolStoppedError} if the pool
   * was stopped before the job ran (or before the call).
   *
   * If a worker is free and nothing waits, the job starts inside this call:
   * its function runs up to its first `await` before `submit` returns (see
   * "When a job starts" in the module notes). Do not rely on it not having
   * started; a job that throws synchronously still only rejects the promise.
   *
   * @throws TypeError if `job` is not a function; RangeError/TypeError for bad
   *   options.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const pool = new Pool({ maxWorkers: 4, maxQueue: 100 });
   * const n: number = await pool.submit(async () => 6 * 7);
   * const ac = new AbortController();
   * const p = pool.submit((signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))), { signal: ac.signal });
   * ac.abort(new Error("client went away"));
   * await p.catch((e) => console.log(e.message)); // "client went away"
   * ```
   */
  submit<R>(job: JobFunction<R>, options?: JobOptions): Promise<R> {
    return this.#e.submit(job, options) as Promise<R>;
  }

  /**
   * Submits a job only if it can be queued now; never waits. Returns the job's
   * result promise, like {@link Pool.submit}, and like it starts the job
   * inside the call if a worker is free and nothing waits.
   *
   * @throws {@link QueueFullError} synchronously if the queue is full (or other
   *   submitters are already waiting for space): the job is not accepted, and
   *   counts as dropped.
   * @throws {@link PoolStoppedError} synchronously if the pool is stopped.
   * @throws TypeError/RangeError for a bad job or options.
   *
   * @example
   * ```ts
   * import { Pool, QueueFullError } from "@gochan/pool";
   * const pool = new Pool({ maxWorkers: 8, maxQueue: 1000 });
   * function handle(payload: string): number {
   *   try {
   *     pool.trySubmit(async () => { await fetch("https://example.com/upload", { method: "PUT", body: payload }); })
   *       .catch((e) => console.error("upload failed", e));
   *     return 202;
   *   } catch (e) {
   *     if (e instanceof QueueFullError) return 503;
   *     throw e;
   *   }
   * }
   * ```
   */
  trySubmit<R>(job: JobFunction<R>, options?: JobOptions): Promise<R> {
    return this.#e.trySubmit(job, options) as Promise<R>;
  }

  /**
   * Fire and forget, like Go's `go` statement: runs the job on the pool and
   * returns nothing. If a worker is free and nothing waits, the job starts
   * inside the call, like {@link Pool.submit}'s. If the queue is full the job
   * waits for space (the caller does not). If the job fails (throws, rejects, times out), the error goes to
   * the `onError` option; without one it is rethrown as an uncaught exception
   * on a microtask, which ends a Node process like an unrecovered panic: it is
   * never silently lost. Cancelled and dropped `go` jobs are counted, not
   * reported as errors.
   *
   * @throws {@link PoolStoppedError} synchronously if the pool is stopped.
   * @throws TypeError/RangeError for a bad job or options.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const pool = new Pool({
   *   maxWorkers: 4,
   *   maxQueue: 100,
   *   onError: (error, job) => console.error(`background job ${job.id} failed:`, error),
   * });
   * pool.go(async () => { await fetch("https://example.com/audit", { method: "POST" }); });
   * ```
   */
  go(job: JobFunction<unknown>, options?: JobOptions): void {
    this.#e.go(job, options);
  }

  /**
   * Makes a {@link Group}: a batch of jobs on this pool whose `wait()` returns
   * their results in submission order.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const pool = new Pool({ maxWorkers: 4, maxQueue: 16 });
   * const group = pool.group<number>(); // collect every error
   * for (let i = 0; i < 10; i++) await group.submit(async () => i * i);
   * const squares = await group.wait();
   * ```
   */
  group<R>(options?: GroupOptions): Group<R> {
    checkObject("group", "options", options);
    const failFast = options?.failFast;
    if (failFast !== undefined && typeof failFast !== "boolean") {
      throw new TypeError(`group: failFast must be a boolean, got ${String(failFast)} (${typeof failFast})`);
    }
    return new Group<R>(new GroupCore(this.#e, failFast === true));
  }

  /**
   * Runs `fn(item, index, signal)` on the pool for every item of `input` (an
   * iterable or an async iterable, read once) and resolves with the results
   * in input order. Pull-based: it takes the next item only when one of its
   * jobs has settled, so at most `concurrency` of its jobs are in the pool at
   * once (default: `maxWorkers`) and memory stays bounded for any input
   * (besides the results), even an endless one. Its jobs share the pool's
   * workers with every other job, and count in its metrics and events (kind
   * "group") like them.
   *
   * Rejects with the first error (the map's other jobs are cancelled and the
   * source's `return()` is called), or with an `AggregateError` of every
   * job's error in input order with `stopOnError: false`; with the signal's
   * reason if `options.signal` aborts; with {@link PoolStoppedError} if the
   * pool stops (`stop`, `stopAndWait`, its signal) before the map is done.
   * A job that submits to its own pool and waits can deadlock it, as in Go.
   *
   * @throws TypeError naming the value if `input` is not iterable or `fn` is
   *   not a function; RangeError/TypeError for bad options.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const pool = new Pool({ maxWorkers: 8, maxQueue: 100 });
   * const urls = ["https://example.com/a", "https://example.com/b"];
   * const statuses: number[] = await pool.map(urls, async (url, _i, signal) => (await fetch(url, { signal })).status, {
   *   concurrency: 4,
   *   timeout: 10_000,
   * });
   * async function* lines(): AsyncGenerator<string> { yield "a"; yield "b"; } // e.g. a file, read as needed
   * const lengths = await pool.map(lines(), (line) => line.length);
   * ```
   */
  map<T, R>(
    input: Iterable<T> | AsyncIterable<T>,
    fn: MapFunction<T, R>,
    options?: MapOptions,
  ): Promise<R[]> {
    const p = plan<T, R>("map", this.#e.maxWorkers, input, fn, options, false);
    return new MapRun<T, R>(this.#e, p, false).all();
  }

  /**
   * The streaming form of {@link Pool.map}: an async iterator of the results
   * in input order, each yielded as soon as it and every earlier one are done.
   * It starts on the first `next()` and runs at most `lookahead` items (default
   * twice `concurrency`) ahead of the reader, so a reader that stops reading
   * stops the map and memory stays bounded. `break` cancels the map's jobs and
   * calls the source's `return()`. The first error rejects `next()` after the
   * results done before it; `stopOnError: false` yields every success and
   * then rejects with an `AggregateError`.
   *
   * @throws TypeError naming the value if `input` is not iterable or `fn` is
   *   not a function; RangeError/TypeError for bad options.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const pool = new Pool({ maxWorkers: 8, maxQueue: 100 });
   * function* ids(): Generator<number> { for (let i = 1; ; i++) yield i; } // endless
   * for await (const user of pool.mapStream(ids(), async (id, _i, signal) => (await fetch(`https://example.com/users/${id}`, { signal })).json())) {
   *   if (user === null) break; // cancels the jobs still running and closes ids()
   *   console.log(user);
   * }
   * ```
   */
  mapStream<T, R>(
    input: Iterable<T> | AsyncIterable<T>,
    fn: MapFunction<T, R>,
    options?: MapStreamOptions,
  ): MapStream<R> {
    const p = plan<T, R>("mapStream", this.#e.maxWorkers, input, fn, options, true);
    return new MapStream<R>(new MapRun<T, R>(this.#e, p, true));
  }

  /**
   * Stops the pool: no new jobs (submit rejects, trySubmit and go throw
   * {@link PoolStoppedError}); every job waiting for queue space or in the
   * queue is dropped (its promise rejects with PoolStoppedError, waking every
   * blocked submitter); running jobs finish. Resolves once they have and every
   * worker has exited. Idempotent: later calls return the same promise. Also
   * turns a `stopAndWait()` in progress into a stop.
   *
   * With `options.signal`, aborting it ends the wait only: the promise
   * rejects with the signal's reason, and the pool still stops (running jobs
   * still finish); a later `stop()` resolves once it has.
   *
   * @throws TypeError for options that are not an object or a signal that is
   *   not an AbortSignal.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const pool = new Pool({ maxWorkers: 2, maxQueue: 10 });
   * process.once("SIGTERM", () => void pool.stop().then(() => process.exit(0)));
   * ```
   */
  stop(options?: WaitOptions): Promise<void> {
    const signal = waitSignal("stop", options);
    return abortable(this.#e.stop(), signal);
  }

  /**
   * Drains and stops the pool: no new jobs, but every job already accepted
   * (waiting for queue space, queued, running) runs to the end. Resolves once
   * all have settled and every worker has exited. Idempotent.
   *
   * With `options.signal`, aborting it ends the wait only: the promise
   * rejects with the signal's reason and the pool keeps draining (every
   * accepted job still runs); a later `stopAndWait()` resolves once it is done.
   *
   * @throws TypeError for options that are not an object or a signal that is
   *   not an AbortSignal.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const pool = new Pool({ maxWorkers: 2, maxQueue: 10 });
   * for (let i = 0; i < 5; i++) pool.go(async () => console.log("job", i));
   * await pool.stopAndWait(); // all five ran
   * // Or give up waiting after 30 s (the drain goes on):
   * await pool.stopAndWait({ signal: AbortSignal.timeout(30_000) }).catch(() => console.error("drain is slow"));
   * ```
   */
  stopAndWait(options?: WaitOptions): Promise<void> {
    const signal = waitSignal("stopAndWait", options);
    return abortable(this.#e.stopAndWait(), signal);
  }

  /**
   * `await using pool = new Pool(...)` drains and stops the pool when the
   * scope ends, like Go's `defer`: the same as {@link Pool.stopAndWait}.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * async function upload(files: string[]): Promise<void> {
   *   await using pool = new Pool({ maxWorkers: 4, maxQueue: 100 });
   *   for (const f of files) pool.go(async () => console.log("upload", f));
   * } // every upload has run here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#e.stopAndWait();
  }

  /**
   * Changes the worker limit. Growing starts workers for queued jobs at once,
   * which frees queue space and so admits blocked submitters at once.
   * Shrinking retires idle workers beyond the new limit at once and busy ones
   * lazily, as they finish their current job: running jobs are never
   * interrupted, and no job starts while the limit is exceeded.
   *
   * @throws RangeError naming the value if `maxWorkers` is not an integer from
   *   1 to 2^31-1.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const pool = new Pool({ maxWorkers: 2, maxQueue: 100 });
   * pool.resize(16); // traffic peak
   * pool.resize(2); // back to normal: extra workers retire as they finish
   * ```
   */
  resize(maxWorkers: number): void {
    this.#e.resize(checkCount("resize", "maxWorkers", maxWorkers, MAX_CAPACITY));
  }

  /**
   * A snapshot of the pool's gauges and counters (see {@link PoolMetrics}).
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const pool = new Pool({ maxWorkers: 2, maxQueue: 10 });
   * const { running, queued, blockedSubmitters } = pool.metrics();
   * ```
   */
  metrics(): PoolMetrics {
    return this.#e.metrics();
  }
}
