/**
 * What a ThreadPool reports about its jobs: one event when a job is handed to
 * a thread and one when the pool is done with it, with the same shapes and
 * outcomes as `@gochan/pool`'s `PoolEvent` (plus the job's export name).
 *
 * Events are user code, so the pool never calls them in the middle of a
 * change: it changes its state first (the job settled, counted, out of every
 * structure), appends the call to a FIFO, and runs the FIFO on a microtask.
 * A hook that re-enters the pool (submits, stops, aborts a job's signal)
 * finds it consistent, and what it causes is appended behind the events
 * already waiting, so every hook sees events in the order they happened.
 * A hook that throws does not stop the others: its error is rethrown as an
 * uncaught exception on a microtask of its own, never swallowed.
 *
 * @module
 */

/**
 * How a job reached the pool: `submit`/`trySubmit` ("submit"), `go` ("go"),
 * `group.submit` ("group") or `stream` ("stream").
 */
export type JobKind = "submit" | "go" | "group" | "stream";

/**
 * How a job ended: it ran and succeeded or failed (threw, timed out, or its
 * thread crashed), or it was cancelled (its signal, a fail-fast group), or
 * dropped (queue full on `trySubmit`, pool stopped).
 */
export type JobOutcome = "succeeded" | "failed" | "cancelled" | "dropped";

/**
 * The identity of a job, as passed to `onEvent` and `onError`.
 *
 * @example
 * ```ts
 * import { ThreadPool, type JobInfo } from "@gochan/threads";
 * const pool = new ThreadPool({
 *   module: new URL("./jobs.js", import.meta.url),
 *   onError: (error: unknown, job: JobInfo) => console.error(`job ${job.id} (${job.fn}) failed`, error),
 * });
 * ```
 */
export interface JobInfo {
  /** A number unique within its pool, increasing in submission order, from 1. */
  readonly id: number;
  /** How the job was submitted. */
  readonly kind: JobKind;
  /** The name of the exported function it runs. */
  readonly fn: string;
}

/**
 * A job was handed to a thread. The thread runs it after the jobs it already
 * holds (up to `depth`); the end event's `started` says whether it did.
 *
 * @example
 * ```ts
 * import type { JobStartEvent } from "@gochan/threads";
 * const onStart = (e: JobStartEvent): void => console.log(`job ${e.job.id} handed to a thread`);
 * ```
 */
export interface JobStartEvent {
  /** Discriminates the event kinds. */
  readonly type: "start";
  /** The job. */
  readonly job: JobInfo;
}

/**
 * The pool is done with a job: it ran, or it was cancelled or dropped.
 * Emitted exactly once per job the pool accepted (and once for a `trySubmit`
 * refused because the queue was full), after its promise settled.
 *
 * @example
 * ```ts
 * import type { JobEndEvent } from "@gochan/threads";
 * const onEnd = (e: JobEndEvent): void => console.log(`job ${e.job.id}: ${e.outcome}`);
 * ```
 */
export interface JobEndEvent {
  /** Discriminates the event kinds. */
  readonly type: "end";
  /** The job. */
  readonly job: JobInfo;
  /** How it ended (the counter it was added to). */
  readonly outcome: JobOutcome;
  /** Whether its thread called the job function (false for jobs withdrawn or dropped before that). */
  readonly started: boolean;
  /** The error, for "failed" (the thrown value, ThreadCrashedError, ThreadJobTimeoutError), "cancelled" (the abort reason) and "dropped". */
  readonly error?: unknown;
}

/**
 * What `onEvent` receives: a {@link JobStartEvent} when a job is handed to a
 * thread, a {@link JobEndEvent} when the pool is done with it.
 *
 * @example
 * ```ts
 * import { ThreadPool, type ThreadPoolEvent } from "@gochan/threads";
 * const pool = new ThreadPool({
 *   module: new URL("./jobs.js", import.meta.url),
 *   onEvent: (e: ThreadPoolEvent) => {
 *     if (e.type === "end" && e.outcome === "failed") console.error(e.job.fn, e.error);
 *   },
 * });
 * ```
 */
export type ThreadPoolEvent = JobStartEvent | JobEndEvent;

/**
 * The FIFO of calls into user code the pool owes (events, `onError`, a
 * group's abort): appended to after a change, run on a microtask. One
 * flush runs at a time; a call that appends more (by re-entering the pool)
 * has them run by the same flush, in order.
 *
 * @internal
 */
export class Callouts {
  readonly #fns: ((arg: unknown) => void)[] = [];
  readonly #args: unknown[] = [];
  #head = 0;
  #scheduled = false;
  readonly #run = (): void => this.#flush();

  /** Calls `fn(arg)` later, after the calls already owed. */
  add<A>(fn: (arg: A) => void, arg: A): void {
    this.#fns.push(fn as (arg: unknown) => void);
    this.#args.push(arg);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#run);
    }
  }

  #flush(): void {
    while (this.#head < this.#fns.length) {
      const i = this.#head++;
      const fn = this.#fns[i]!;
      const arg = this.#args[i];
      try {
        fn(arg);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    this.#fns.length = 0;
    this.#args.length = 0;
    this.#head = 0;
    this.#scheduled = false;
  }
}
