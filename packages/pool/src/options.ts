/**
 * The options of a pool, a job and a group, their defaults, and their
 * validation: a bad value is a `RangeError` (or `TypeError`) that names the
 * option, the value and its type, raised by the constructor or call that got it.
 *
 * ## Choosing maxWorkers
 * `maxWorkers` is how many jobs run at the same time. JavaScript runs one job's
 * code at a time, so workers only help while jobs *wait* (network, disk, a
 * database, a child process). Choose it from what the jobs wait on: the
 * connections your database or HTTP agent allows, the request rate the remote
 * service accepts, the memory each running job holds. For I/O-bound jobs, start
 * from the downstream limit (say 8-64) and measure; more workers than the
 * downstream can serve only moves the queue from here to there. For CPU-bound
 * jobs, a pool of async jobs on one thread gives no parallelism at all: use
 * worker threads (one per core) and this pool in front of them.
 *
 * ## Choosing maxQueue
 * `maxQueue` is how many jobs may wait for a worker. It is the pool's
 * backpressure: once it is full, `submit` waits for space, `trySubmit` throws
 * {@link QueueFullError}, so producers slow down instead of piling up work in
 * memory (the seed's flaw 1: its dispatcher accepted every job, 200,000 of
 * 200,000 with all workers stalled). Size it as the latency you accept times
 * the throughput: with 8 workers each finishing a job in 50 ms (160 jobs/s), a
 * queue of 800 means a new job may wait 5 s. Bigger queues absorb longer bursts
 * but hold more memory and add latency; with all workers stalled at most
 * `maxQueue + maxWorkers` jobs are ever accepted.
 *
 * @module
 */
import { MAX_CAPACITY } from "@gochan/core";
import type { QueueFullError, JobTimeoutError } from "./errors.js";
import type { JobInfo, PoolEvent } from "./metrics.js";

/**
 * A job: a function the pool calls on a worker with an AbortSignal. Its return
 * value (or what its promise resolves to) is the job's result; what it throws
 * (or rejects with) is the job's error. The signal is aborted when the job
 * should stop: its timeout elapsed, its own signal was aborted, its fail-fast
 * group failed, or the pool's signal was aborted; never because of another
 * job. A job with a signal or timeout of its own, or in a pool with a
 * signal, gets a signal of its own (made when it starts, about 4.5 us on
 * Node 20); a job of a fail-fast group that nothing else can cancel gets its
 * group's signal (aborted when the group fails); a job that nothing can
 * cancel gets the pool's quiet signal, shared and free: it never aborts and
 * keeps no listener, so listeners left on it never pile up.
 *
 * @typeParam R - the job's result.
 *
 * @example
 * ```ts
 * import type { JobFunction } from "@gochan/pool";
 * const fetchJson: JobFunction<unknown> = async (signal) => (await fetch("https://example.com/x.json", { signal })).json();
 * ```
 */
export type JobFunction<R> = (signal: AbortSignal) => R | PromiseLike<R>;

/**
 * Options of a pool, given to the `Pool` constructor.
 *
 * @example
 * ```ts
 * import { Pool } from "@gochan/pool";
 * const shutdown = new AbortController();
 * const pool = new Pool({
 *   maxWorkers: 16, // 16 uploads at a time
 *   maxQueue: 1000, // then up to 1000 waiting; then submitters wait too
 *   idleTimeout: 30_000, // workers idle for 30 s exit (they restart on demand)
 *   signal: shutdown.signal, // abort: stop the pool and abort the running jobs
 *   onError: (error, job) => console.error(`job ${job.id} failed`, error), // errors of go() jobs
 *   onEvent: (event) => { if (event.type === "end") console.log(event.job.id, event.outcome); },
 * });
 * ```
 */
export interface PoolOptions {
  /**
   * How many jobs run at the same time: an integer >= 1. Workers start on
   * demand, up to this many; `resize` changes it later. Required.
   * See the module notes on choosing it.
   */
  maxWorkers: number;
  /**
   * How many jobs may wait for a worker: an integer from 1 to 2^31-1, the
   * capacity of the job queue channel. Beyond it `submit` waits for space and
   * `trySubmit` throws {@link QueueFullError}. Required. See the module notes.
   */
  maxQueue: number;
  /**
   * Milliseconds after which a worker that has had nothing to do exits; it is
   * started again when jobs arrive. `Infinity` keeps workers until the pool
   * stops. A number from 0 to 2^31-1, or `Infinity`. The timer never keeps the
   * process alive.
   * @defaultValue Infinity
   */
  idleTimeout?: number | undefined;
  /**
   * Aborting it stops the pool as `stop()` does (waiting and queued jobs are
   * dropped) and also cancels every running job: its signal aborts with the
   * signal's reason and its promise rejects at once (counted as cancelled). A
   * job handed to a worker but not yet called is cancelled and never called.
   * With a pool signal every job gets a signal of its own (about 4.5 us per
   * job on Node 20), since every job can be cancelled.
   * @defaultValue undefined (the pool stops only when told)
   */
  signal?: AbortSignal | undefined;
  /**
   * Receives the error of every failed `go()` job (jobs whose result nobody
   * awaits), with the job's identity. Without it such an error is rethrown as
   * an uncaught exception on a microtask, which by default ends a Node process
   * with the error and its stack, like an unrecovered panic in a Go goroutine:
   * an error is never silently lost. Errors of `submit` and group jobs go to
   * their promises instead. An exception thrown by `onError` itself is rethrown
   * the same way.
   * @defaultValue undefined (rethrow)
   */
  onError?: ((error: unknown, job: JobInfo) => void) | undefined;
  /**
   * Receives a {@link PoolEvent} when a job starts running and when the pool is
   * done with it, synchronously: keep it cheap (count, timestamp, enqueue for
   * an exporter). Costs nothing when not set. An exception thrown by it is
   * rethrown as an uncaught exception on a microtask; the pool carries on.
   * @defaultValue undefined
   */
  onEvent?: ((event: PoolEvent) => void) | undefined;
}

/**
 * Options of one job, given to `submit`, `trySubmit`, `go` and `group.submit`.
 *
 * @example
 * ```ts
 * import { Pool } from "@gochan/pool";
 * const pool = new Pool({ maxWorkers: 4, maxQueue: 100 });
 * const request = new AbortController(); // e.g. aborted when the HTTP client goes away
 * const result = await pool.submit(
 *   async (signal) => (await fetch("https://example.com", { signal })).status,
 *   { signal: request.signal, timeout: 5_000 },
 * );
 * ```
 */
export interface JobOptions {
  /**
   * Cancels the job. While the job waits for queue space or in the queue it is
   * removed and never runs; while it runs, its own signal is aborted. Either
   * way its promise rejects at once with `signal.reason` and it counts as
   * cancelled. An already aborted signal rejects the submit at once (even a
   * `trySubmit` on a full queue: no QueueFullError then).
   * @defaultValue undefined
   */
  signal?: AbortSignal | undefined;
  /**
   * Milliseconds the job may run, counted from its start (time spent waiting
   * in the queue does not count). When it elapses, the job's signal is aborted
   * with a {@link JobTimeoutError} and its promise rejects with that error; the
   * worker stays busy until the job function returns. A number from 0 to
   * 2^31-1, or `Infinity` (no timeout). `0` gives the job until the next
   * timer turn: a job that finishes without waiting for a macrotask succeeds.
   * @defaultValue Infinity
   */
  timeout?: number | undefined;
}

/**
 * Options of a group, given to `pool.group()`.
 *
 * @example
 * ```ts
 * import { Pool } from "@gochan/pool";
 * const pool = new Pool({ maxWorkers: 4, maxQueue: 100 });
 * const group = pool.group<number>({ failFast: true });
 * ```
 */
export interface GroupOptions {
  /**
   * On the group's first error: cancel its jobs still waiting or queued, abort
   * the signal of its running jobs (with that error as the reason), and reject
   * `wait()` with that error. Otherwise every job runs and `wait()` rejects with
   * an `AggregateError` of all the errors, in submission order.
   * @defaultValue false
   */
  failFast?: boolean | undefined;
}

/** The largest timer delay (setTimeout's limit). @internal */
export const MAX_DELAY = 2 ** 31 - 1;

/** Renders a bad argument for an error message: `"8" (string)`. @internal */
export function describe(value: unknown): string {
  let shown: string;
  if (typeof value === "string") shown = JSON.stringify(value);
  else if (typeof value === "bigint") shown = `${value}n`;
  else if (typeof value === "function") shown = `function ${value.name || "(anonymous)"}`;
  else if (typeof value === "object" && value !== null) shown = Object.prototype.toString.call(value);
  else shown = String(value);
  return `${shown} (${value === null ? "null" : typeof value})`;
}

/** An integer from 1 to `max`. @internal */
export function checkCount(where: string, name: string, value: unknown, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${where}: ${name} must be an integer from 1 to ${max}, got ${describe(value)}`);
  }
  return value;
}

/** A delay in ms from 0 to 2^31-1, or Infinity; undefined means Infinity. @internal */
export function checkDelay(where: string, name: string, value: unknown): number {
  if (value === undefined) return Infinity;
  if (typeof value !== "number" || !(value === Infinity || (value >= 0 && value <= MAX_DELAY))) {
    throw new RangeError(
      `${where}: ${name} must be a number of milliseconds from 0 to ${MAX_DELAY}, or Infinity, got ${describe(value)}`,
    );
  }
  return value;
}

/** An AbortSignal or undefined. @internal */
export function checkSignal(where: string, value: unknown): AbortSignal | null {
  if (value === undefined) return null;
  if (!(value instanceof AbortSignal)) {
    throw new TypeError(`${where}: signal must be an AbortSignal, got ${describe(value)}`);
  }
  return value;
}

/** A function or undefined. @internal */
export function checkHook<F>(where: string, name: string, value: unknown): F | null {
  if (value === undefined) return null;
  if (typeof value !== "function") throw new TypeError(`${where}: ${name} must be a function, got ${describe(value)}`);
  return value as F;
}

/** The job function itself. @internal */
export function checkJob(where: string, value: unknown): void {
  if (typeof value !== "function") throw new TypeError(`${where}: job must be a function, got ${describe(value)}`);
}

/** An options object or undefined. @internal */
export function checkObject(where: string, name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw new TypeError(`${where}: ${name} must be an object, got ${describe(value)}`);
  }
}

/** Validated pool options with defaults applied. @internal */
export interface ResolvedPoolOptions {
  maxWorkers: number;
  maxQueue: number;
  idleTimeout: number;
  signal: AbortSignal | null;
  onError: ((error: unknown, job: JobInfo) => void) | null;
  onEvent: ((event: PoolEvent) => void) | null;
}

/** Validates `new Pool(options)`. @internal */
export function resolvePoolOptions(options: unknown): ResolvedPoolOptions {
  const where = "new Pool";
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${where}: options must be an object with maxWorkers and maxQueue, got ${describe(options)}`);
  }
  const o = options as Partial<Record<keyof PoolOptions, unknown>>;
  return {
    maxWorkers: checkCount(where, "maxWorkers", o.maxWorkers, MAX_CAPACITY),
    maxQueue: checkCount(where, "maxQueue", o.maxQueue, MAX_CAPACITY),
    idleTimeout: checkDelay(where, "idleTimeout", o.idleTimeout),
    signal: checkSignal(where, o.signal),
    onError: checkHook(where, "onError", o.onError),
    onEvent: checkHook(where, "onEvent", o.onEvent),
  };
}
