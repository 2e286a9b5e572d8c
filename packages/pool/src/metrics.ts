/**
 * What a pool reports about itself: a metrics snapshot ({@link PoolMetrics}),
 * and one event per job start and end ({@link PoolEvent}) for exporters.
 *
 * The counters follow pond's (Go) definitions, plus `cancelled` and
 * `blockedSubmitters`. Once the pool is drained (nothing blocked, queued or
 * running) they always add up:
 *
 *     succeeded + failed + cancelled + dropped === submitted
 *     completed === succeeded + failed
 *
 * @module
 */

/**
 * A snapshot of a pool's gauges and counters, from `pool.metrics()`. Every
 * field is a non-negative integer; the counters only grow.
 *
 * @example
 * ```ts
 * import { Pool } from "@gochan/pool";
 * const pool = new Pool({ maxWorkers: 4, maxQueue: 100 });
 * await pool.submit(async () => "done");
 * const m = pool.metrics();
 * console.log(m.submitted, m.succeeded, m.running, m.queued); // 1 1 0 0
 * ```
 */
export interface PoolMetrics {
  /** The current worker limit (changes with `resize`). */
  readonly maxWorkers: number;
  /** The queue's capacity. */
  readonly maxQueue: number;
  /**
   * Workers running a job now. Never above `maxWorkers` when a job starts;
   * after a shrinking `resize` it stays above the new limit until enough of the
   * running jobs have finished.
   */
  readonly running: number;
  /** Live workers waiting for a job. Workers start on demand, so this may be 0. */
  readonly idle: number;
  /** Jobs waiting in the queue (never above `maxQueue`). */
  readonly queued: number;
  /**
   * Submitters waiting for queue space (`submit`, `go` or `group.submit` on a
   * full queue). `trySubmit` succeeds exactly when
   * `queued + blockedSubmitters < maxQueue`.
   */
  readonly blockedSubmitters: number;
  /**
   * Jobs given to the pool: every `submit`, `go` and `group.submit`, and every
   * `trySubmit` (even one refused because the queue was full, which also counts
   * as dropped). Calls refused because the pool was already stopped, or because
   * of invalid arguments, do not count.
   */
  readonly submitted: number;
  /** Jobs that ran and returned (or resolved) normally. */
  readonly succeeded: number;
  /**
   * Jobs that ran and threw (or rejected), or exceeded their timeout (counted
   * when the timeout elapses, even though the function may still run).
   */
  readonly failed: number;
  /**
   * Jobs cancelled by their signal or by a fail-fast group, whether they were
   * still waiting (then they never ran) or already running (then their signal
   * was aborted and their promise rejected at once), and jobs running when the
   * pool's signal aborted.
   */
  readonly cancelled: number;
  /**
   * Jobs the pool did not run: `trySubmit` calls refused because the queue was
   * full, and jobs still waiting for space or in the queue when `stop()` (or
   * the pool's `signal`) stopped the pool.
   */
  readonly dropped: number;
  /** Jobs that ran to the end: `succeeded + failed`. */
  readonly completed: number;
}

/**
 * How a job reached the pool: `pool.submit`/`pool.trySubmit` ("submit"),
 * `pool.go` ("go") or `group.submit` ("group").
 */
export type JobKind = "submit" | "go" | "group";

/**
 * How a job ended: it ran and succeeded or failed, or it was cancelled (its
 * signal, a fail-fast group), or dropped (queue full, pool stopped).
 */
export type JobOutcome = "succeeded" | "failed" | "cancelled" | "dropped";

/**
 * The identity of a job, as passed to `onError` and `onEvent`.
 *
 * @example
 * ```ts
 * import { Pool, type JobInfo } from "@gochan/pool";
 * const pool = new Pool({
 *   maxWorkers: 2,
 *   maxQueue: 10,
 *   onError: (error: unknown, job: JobInfo) => console.error(`job ${job.id} (${job.kind}) failed`, error),
 * });
 * pool.go(() => { throw new Error("boom"); }); // job 1 (go) failed Error: boom
 * ```
 */
export interface JobInfo {
  /** A number unique within its pool, increasing in submission order, from 1. */
  readonly id: number;
  /** How the job was submitted. */
  readonly kind: JobKind;
}

/**
 * A job started running on a worker.
 *
 * @example
 * ```ts
 * import type { JobStartEvent } from "@gochan/pool";
 * const onStart = (e: JobStartEvent) => console.log(`job ${e.job.id} started`);
 * ```
 */
export interface JobStartEvent {
  /** Discriminates the event kinds. */
  readonly type: "start";
  /** The job. */
  readonly job: JobInfo;
}

/**
 * The pool is done with a job: it ran to the end, or it was cancelled or
 * dropped. Emitted exactly once per submitted job. For a job that was running
 * when it timed out or was cancelled, it comes when the job function actually
 * returns (the worker is free again), after the job's promise has already
 * rejected.
 *
 * @example
 * ```ts
 * import type { JobEndEvent } from "@gochan/pool";
 * const onEnd = (e: JobEndEvent) => console.log(`job ${e.job.id}: ${e.outcome}`);
 * ```
 */
export interface JobEndEvent {
  /** Discriminates the event kinds. */
  readonly type: "end";
  /** The job. */
  readonly job: JobInfo;
  /** How it ended (the counter it was added to). */
  readonly outcome: JobOutcome;
  /** Whether the job function was called (false for jobs cancelled or dropped while waiting). */
  readonly started: boolean;
  /** The error, for "failed" (the thrown value), "cancelled" (the abort reason) and "dropped". */
  readonly error?: unknown;
}

/**
 * What `onEvent` receives: a {@link JobStartEvent} when a job starts running and
 * a {@link JobEndEvent} when the pool is done with it.
 *
 * @example
 * ```ts
 * import { Pool, type PoolEvent } from "@gochan/pool";
 * const started = new Map<number, number>();
 * const pool = new Pool({
 *   maxWorkers: 4,
 *   maxQueue: 100,
 *   onEvent: (e: PoolEvent) => {
 *     if (e.type === "start") started.set(e.job.id, performance.now());
 *     else if (e.started) console.log(`job ${e.job.id} ${e.outcome} in ${performance.now() - started.get(e.job.id)!} ms`);
 *   },
 * });
 * ```
 */
export type PoolEvent = JobStartEvent | JobEndEvent;
