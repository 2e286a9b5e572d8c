/**
 * Groups on a ThreadPool: submit a batch of jobs and wait for all of them,
 * results in submission order, with the same two error modes as
 * `@gochan/pool`'s groups (Go's errgroup): collect every error, or fail fast.
 *
 * A group's state changes only where the pool settles a job
 * (`record`, called by the pool after it counted the job): first the result
 * or error is stored and, in fail-fast mode, the group is marked failed and
 * its other jobs are settled as cancelled (queued ones withdrawn, running
 * ones' threads terminated); only then is user code owed anything (the
 * group's signal aborts through the pool's callouts, waiters' promises
 * resolve).
 *
 * @module
 */
import type { TransferListItem } from "node:worker_threads";
import { ThreadPoolStoppedError } from "./errors.js";
import type { Job } from "./job.js";
import type { Callouts, JobOutcome } from "./thread-events.js";
import type { JobArgs, JobName } from "./thread-pool.js";

/** What a group needs from its pool. @internal */
export interface GroupHost {
  readonly stopped: boolean;
  readonly callouts: Callouts;
  /** The error naming a bad name, arguments or options, else null. */
  check(fn: unknown, args: unknown, options: GroupJobOptions | undefined): Error | null;
  /** Queues a group job (waiting for space if the queue is full); resolves once queued. */
  admit(group: GroupCore, index: number, fn: string, args: unknown[], options: GroupJobOptions | undefined): Promise<void>;
  /** Settles a job of the group as cancelled with `reason`. */
  cancel(job: Job, reason: unknown): void;
}

/**
 * Options of a group job: those of any job but `transfer`-free, as `submit`'s.
 *
 * @example
 * ```ts
 * import type { GroupJobOptions } from "@gochan/threads";
 * const options: GroupJobOptions = { timeout: 5000 };
 * ```
 */
export interface GroupJobOptions {
  /** Aborting it cancels this job (withdrawn if not started, else its thread is terminated). */
  signal?: AbortSignal | undefined;
  /** Milliseconds from hand-off to a thread; then the job fails with ThreadJobTimeoutError. */
  timeout?: number | undefined;
  /** ArrayBuffers and MessagePorts in `args` to move rather than copy (see `ThreadJobOptions.transfer`). */
  transfer?: readonly TransferListItem[] | undefined;
}

/**
 * Options of `pool.group()`.
 *
 * @example
 * ```ts
 * import type { ThreadGroupOptions } from "@gochan/threads";
 * const options: ThreadGroupOptions = { failFast: true };
 * ```
 */
export interface ThreadGroupOptions {
  /**
   * The first error cancels the group's other jobs and rejects `wait()` at
   * once; else every job runs and `wait()` rejects with an AggregateError.
   * @defaultValue false
   */
  failFast?: boolean | undefined;
}

type Waiter = [(results: unknown[]) => void, (error: unknown) => void];

/** The state of a group, hidden behind {@link ThreadGroup}. @internal */
export class GroupCore {
  readonly failFast: boolean;
  readonly #host: GroupHost;
  readonly #results: unknown[] = [];
  #errors: { index: number; error: unknown }[] = [];
  /** Its unsettled jobs (fail-fast mode only), to cancel on the first error. */
  readonly #live = new Set<Job>();
  count = 0;
  #pending = 0;
  #failed = false;
  #firstError: unknown = undefined;
  #ctl: AbortController | null = null;
  #waiters: Waiter[] = [];

  constructor(host: GroupHost, failFast: boolean) {
    this.#host = host;
    this.failFast = failFast;
  }

  submit(fn: string, args: unknown[], options: GroupJobOptions | undefined): Promise<void> {
    const bad = this.#host.check(fn, args, options);
    if (bad !== null) throw bad; // not a job: like Pool's group.submit, refused synchronously
    const index = this.count++;
    this.#results.push(undefined);
    if (this.#failed) return Promise.reject(this.#firstError);
    this.#pending++;
    if (this.#host.stopped) {
      const error = new ThreadPoolStoppedError("group.submit: the thread pool is stopped");
      this.record(null, index, "dropped", error);
      return Promise.reject(error);
    }
    return this.#host.admit(this, index, fn, args, options);
  }

  /** A job of the group was made (before it can settle). */
  joined(job: Job): void {
    if (this.failFast) this.#live.add(job);
  }

  /**
   * The one place a group learns an outcome: of a job (`job`), or of a submit
   * that never made one (`job` null: refused while waiting for space).
   */
  record(job: Job | null, index: number, outcome: JobOutcome, value: unknown): void {
    this.#pending--;
    if (job !== null) this.#live.delete(job);
    if (outcome === "succeeded") this.#results[index] = value;
    else if (!this.failFast) this.#errors.push({ index, error: value });
    else if (!this.#failed) {
      this.#failed = true;
      this.#firstError = value;
      if (outcome !== "dropped") {
        // stop() lets running jobs finish: a job it dropped fails the group without cancelling the rest.
        const others = [...this.#live];
        this.#live.clear();
        for (const j of others) this.#host.cancel(j, value);
        if (this.#ctl !== null) this.#host.callouts.add(abortWith, [this.#ctl, value] as const);
      }
    }
    if (this.#pending === 0) this.#flush();
  }

  signal(): AbortSignal {
    if (this.#ctl === null) {
      this.#ctl = new AbortController();
      if (this.#failed) this.#ctl.abort(this.#firstError);
    }
    return this.#ctl.signal;
  }

  wait(): Promise<unknown[]> {
    return new Promise<unknown[]>((resolve, reject) => {
      if (this.#pending === 0) this.#answer(resolve, reject);
      else this.#waiters.push([resolve, reject]);
    });
  }

  #flush(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const [resolve, reject] of waiters) this.#answer(resolve, reject);
  }

  #answer(resolve: (results: unknown[]) => void, reject: (error: unknown) => void): void {
    if (this.#failed) reject(this.#firstError);
    else if (this.#errors.length > 0) {
      const errors = this.#errors.sort((a, b) => a.index - b.index).map((e) => e.error);
      reject(new AggregateError(errors, `${errors.length} of ${this.count} group job(s) failed`));
    } else resolve(this.#results.slice());
  }
}

function abortWith([ctl, reason]: readonly [AbortController, unknown]): void {
  if (!ctl.signal.aborted) ctl.abort(reason);
}

/**
 * A batch of jobs on a {@link ThreadPool}, made by `pool.group()`: submit
 * jobs with {@link ThreadGroup.submit}, then {@link ThreadGroup.wait} for all
 * of them; it resolves with their results in submission order.
 *
 * Two error modes, as `@gochan/pool`'s `Group`:
 * - collect (the default): every job runs; `wait()` rejects with an
 *   `AggregateError` of all the errors, in submission order.
 * - fail-fast (`{ failFast: true }`): the first error cancels the group's
 *   other jobs (queued ones are withdrawn and never run; running ones have
 *   their threads terminated, the documented way to stop a running job),
 *   aborts {@link ThreadGroup.signal}, and `wait()` rejects with that error at
 *   once. Later `submit` calls reject with it too. A job dropped by
 *   `pool.stop()` fails the group with ThreadPoolStoppedError without
 *   cancelling its running jobs (stop lets them finish).
 *
 * Errors are only reported by `wait()`: call it.
 *
 * @typeParam R - the result type of the group's jobs.
 * @typeParam M - the pool's jobs module type.
 *
 * @example
 * ```ts
 * import { ThreadPool } from "@gochan/threads";
 * const pool = new ThreadPool<{ hash(s: string): string }>({ module: new URL("./jobs.js", import.meta.url) });
 * const group = pool.group<string>({ failFast: true });
 * for (const s of ["a", "b", "c"]) await group.submit("hash", [s]); // waits while the queue is full
 * const digests = await group.wait(); // in submission order
 * ```
 */
export class ThreadGroup<R, M extends object = Record<string, (...args: unknown[]) => unknown>> {
  readonly #core: GroupCore;

  /** @internal Groups are made by `pool.group()`. */
  constructor(core: GroupCore) {
    this.#core = core;
  }

  /**
   * Submits a job to the group: export `fn` of the pool's module with `args`.
   * Resolves once the job is in the pool's queue, so `await group.submit(...)`
   * in a loop never holds more than the queue's capacity (backpressure).
   * Rejects if the job never gets there (its signal aborted, the pool was
   * stopped, or a fail-fast group had already failed); that outcome is also
   * part of `wait()` and of {@link ThreadGroup.size}.
   *
   * @throws TypeError/RangeError, synchronously, for a bad name, arguments or
   *   options (`TransferError` for a bad transfer list); that call is not
   *   part of the group.
   *
   * @example
   * ```ts
   * import { ThreadPool } from "@gochan/threads";
   * const pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url), maxQueue: 4 });
   * const group = pool.group();
   * await group.submit("resize", ["a.png", 640], { timeout: 10_000 });
   * ```
   */
  submit<K extends JobName<M>>(fn: K, args: JobArgs<M, K>, options?: GroupJobOptions): Promise<void> {
    return this.#core.submit(fn, args as unknown[], options);
  }

  /**
   * Waits for every job submitted so far (and any submitted while waiting).
   * Resolves with their results in submission order; rejects with the first
   * error (fail-fast) or an `AggregateError` of all errors in submission order
   * (collect). With no job it resolves with `[]`. Aborting `options.signal`
   * ends this wait only (it rejects with the reason; the jobs carry on).
   *
   * @throws TypeError for a signal that is not an AbortSignal.
   *
   * @example
   * ```ts
   * import { ThreadPool } from "@gochan/threads";
   * const pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url) });
   * const group = pool.group<number>();
   * await group.submit("add", [1, 2]);
   * const [three] = await group.wait({ signal: AbortSignal.timeout(10_000) });
   * ```
   */
  wait(options?: { signal?: AbortSignal | undefined }): Promise<R[]> {
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`group.wait: signal must be an AbortSignal, got ${typeof signal}`);
    }
    const done = this.#core.wait() as Promise<R[]>;
    if (signal === undefined) return done;
    if (signal.aborted) {
      done.catch(ignore);
      return Promise.reject(signal.reason);
    }
    return new Promise<R[]>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      done.then(
        (v) => {
          signal.removeEventListener("abort", onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      );
    });
  }

  /**
   * Aborted (with the error as its reason) when a fail-fast group fails, once
   * its other jobs are cancelled: a producer checks it to stop early. Never
   * aborted for a collect group, nor when the failure is a job dropped by
   * `pool.stop()`.
   *
   * @example
   * ```ts
   * import { ThreadPool } from "@gochan/threads";
   * const pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url) });
   * const group = pool.group({ failFast: true });
   * for (const file of ["a", "b", "c"]) {
   *   if (group.signal.aborted) break;
   *   await group.submit("parse", [file]).catch(() => {});
   * }
   * ```
   */
  get signal(): AbortSignal {
    return this.#core.signal();
  }

  /**
   * How many jobs were submitted to the group.
   *
   * @example
   * ```ts
   * import { ThreadPool } from "@gochan/threads";
   * const group = new ThreadPool({ module: new URL("./jobs.js", import.meta.url) }).group();
   * await group.submit("add", [1, 2]);
   * console.log(group.size); // 1
   * ```
   */
  get size(): number {
    return this.#core.count;
  }

  /**
   * `await using group = pool.group()` waits for the group's jobs when the
   * scope ends, like a deferred `wait()`: an error is thrown from the scope,
   * never lost.
   *
   * @example
   * ```ts
   * import { ThreadPool } from "@gochan/threads";
   * const pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url) });
   * {
   *   await using group = pool.group();
   *   await group.submit("add", [1, 2]);
   * } // waited here
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#core.wait();
  }
}

function ignore(): void {}
