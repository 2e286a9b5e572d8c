/**
 * Groups: submit a batch of jobs to a pool and wait for all of them, with
 * their results in submission order. Like Go's errgroup, but on the pool's
 * workers and queue (so a group's jobs wait for queue space like any other).
 *
 * @module
 */
import { abortable, waitSignal, type WaitOptions } from "./abortable.js";
import type { Engine } from "./engine.js";
import { PoolStoppedError } from "./errors.js";
import type { GroupJob, JobGroup } from "./job.js";
import type { JobOutcome } from "./metrics.js";
import { checkJob, type JobFunction, type JobOptions } from "./options.js";
import { Results } from "./results.js";

type Waiter = [(results: unknown[]) => void, (error: unknown) => void];

/** The state of a group, hidden behind {@link Group}. @internal */
export class GroupCore implements JobGroup {
  readonly failFast: boolean;
  private readonly engine: Engine;
  /** Results by submission index (results.ts: no array grown per job). */
  private readonly results = new Results(0);
  /** Errors with their submission index (collect mode). */
  private errors: { index: number; error: unknown }[] = [];
  /** The unsettled jobs, to cancel on the first error (fail-fast mode only). */
  private readonly live = new Set<GroupJob>();
  count = 0;
  private pending = 0;
  failed = false;
  private firstError: unknown = undefined;
  private ctl: AbortController | null = null;
  private sig: AbortSignal | null = null;
  private waiters: Waiter[] = [];

  constructor(engine: Engine, failFast: boolean) {
    this.engine = engine;
    this.failFast = failFast;
  }

  submit(fn: unknown, options: JobOptions | undefined): Promise<void> {
    if (this.engine.isStopped || this.failed) {
      checkJob("group.submit", fn);
      if (this.failed) {
        this.count++;
        return Promise.reject(this.firstError);
      }
      // Refused, but part of the group: wait() reports it.
      const error = new PoolStoppedError("group.submit: the pool is stopped");
      const index = this.count++;
      if (this.failFast) this.fail(error);
      else this.errors.push({ index, error });
      this.announce(this.failFast, "dropped", error);
      return Promise.reject(error);
    }
    const job = this.engine.groupJob(this, this.count, fn, options) as GroupJob;
    this.count++;
    this.pending++;
    if (this.failFast) this.live.add(job);
    return this.engine.acceptGroupJob(job);
  }

  record(job: GroupJob, outcome: JobOutcome, value: unknown): boolean {
    this.pending--;
    if (this.failFast) this.live.delete(job);
    if (outcome === "succeeded") {
      this.results.set(job.index, value);
    } else if (this.failFast) {
      if (!this.failed) {
        this.fail(value);
        return true;
      }
    } else {
      this.errors.push({ index: job.index, error: value });
    }
    return false;
  }

  private fail(error: unknown): void {
    this.failed = true;
    this.firstError = error;
  }

  announce(first: boolean, outcome: JobOutcome, value: unknown): void {
    if (first && outcome !== "dropped") {
      // Every other job is settled (cancelled) before the group's signal,
      // which its jobs may hold, runs anyone's abort listeners. (A job dropped
      // by stop() fails the group without either: stop() lets running jobs
      // finish, their signals unaborted.)
      if (this.live.size > 0) this.engine.cancelAll([...this.live], value);
      this.abort(value);
    }
    if (this.pending === 0) this.flush();
  }

  /**
   * The group's signal, made on first use; aborted when a fail-fast group
   * fails. Producers check it; the jobs of a fail-fast group that nothing else
   * can cancel receive it as their signal.
   */
  signal(): AbortSignal {
    if (this.sig === null) {
      this.ctl = new AbortController();
      this.sig = this.ctl.signal;
      if (this.failed) this.ctl.abort(this.firstError);
    }
    return this.sig;
  }

  private abort(reason: unknown): void {
    if (this.ctl !== null && !(this.sig as AbortSignal).aborted) this.ctl.abort(reason);
  }

  wait(): Promise<unknown[]> {
    if (this.pending === 0) {
      return new Promise<unknown[]>((resolve, reject) => this.answer(resolve, reject));
    }
    return new Promise<unknown[]>((resolve, reject) => {
      this.waiters.push([resolve, reject]);
    });
  }

  private flush(): void {
    const waiters = this.waiters;
    if (waiters.length === 0) return;
    this.waiters = [];
    for (const [resolve, reject] of waiters) this.answer(resolve, reject);
  }

  private answer(resolve: (results: unknown[]) => void, reject: (error: unknown) => void): void {
    if (this.failed) {
      reject(this.firstError);
    } else if (this.errors.length > 0) {
      const errors = this.errors.sort((a, b) => a.index - b.index).map((e) => e.error);
      reject(new AggregateError(errors, `${errors.length} of ${this.count} group job(s) failed`));
    } else {
      resolve(this.results.take(this.count));
    }
  }
}

/**
 * A batch of jobs on a pool, made by `pool.group()`. Submit jobs with
 * {@link Group.submit}, then {@link Group.wait} for all of them: it resolves
 * with their results in submission order.
 *
 * Two error modes:
 * - collect (the default): every job runs; `wait()` rejects with an
 *   `AggregateError` whose `errors` are all the jobs' errors, in submission
 *   order.
 * - fail-fast (`{ failFast: true }`): the first error cancels the group's jobs
 *   that are still waiting or queued (they never run), aborts the signal of its
 *   running jobs (with that error as the reason), and `wait()` rejects with that
 *   first error at once. Later `submit` calls reject with it too, so a producer
 *   loop stops early. A job dropped by `pool.stop()` fails the group with
 *   PoolStoppedError without aborting its running jobs or {@link Group.signal}
 *   (stop lets running jobs finish); `wait()` then rejects once they have.
 *
 * A group's jobs count in the pool's metrics like any other job, and share
 * the pool's workers and its FIFO queue with every other job: a group has no
 * lane of its own, so it neither runs more than `maxWorkers` jobs nor jumps
 * ahead of jobs submitted before its own. Call `wait()`: a group's errors are
 * only reported there.
 *
 * @typeParam R - the result type of the group's jobs.
 *
 * @example
 * ```ts
 * import { Pool } from "@gochan/pool";
 * const pool = new Pool({ maxWorkers: 4, maxQueue: 16 });
 * const group = pool.group<number>({ failFast: true });
 * for (const n of [1, 2, 3]) {
 *   await group.submit(async (signal) => {
 *     signal.throwIfAborted();
 *     return n * n;
 *   }); // waits while the queue is full: backpressure
 * }
 * console.log(await group.wait()); // [1, 4, 9]
 * ```
 */
export class Group<R> {
  readonly #core: GroupCore;

  /** @internal Groups are made by `pool.group()`. */
  constructor(core: GroupCore) {
    this.#core = core;
  }

  /**
   * Submits a job to the group. Resolves once the job is in the pool's queue,
   * so `await group.submit(...)` in a loop never holds more than the queue's
   * capacity (backpressure). Rejects if the job never gets there: its signal
   * was aborted, the pool was stopped (a {@link PoolStoppedError}), or, in
   * fail-fast mode, the group had already failed (with the group's first
   * error). Either way its outcome is also part of `wait()` and of
   * {@link Group.size}.
   *
   * @throws TypeError if `job` is not a function; RangeError or TypeError for
   *   bad options.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
   * const group = pool.group<string>();
   * for (const url of ["https://example.com/a", "https://example.com/b"]) {
   *   await group.submit(async (signal) => (await fetch(url, { signal })).statusText, { timeout: 10_000 });
   * }
   * ```
   */
  submit(job: JobFunction<R>, options?: JobOptions): Promise<void> {
    return this.#core.submit(job, options);
  }

  /**
   * Waits for every job submitted so far (and any submitted while waiting) to
   * settle. Resolves with their results in submission order; rejects with the
   * first error (fail-fast) or an `AggregateError` of all errors in submission
   * order (collect). With no job submitted it resolves with `[]`. It may be
   * called again later, e.g. after submitting more jobs.
   *
   * With `options.signal`, aborting it ends this wait only: the promise
   * rejects with the signal's reason and the group's jobs carry on (cancel
   * them with their own signals, or use a fail-fast group).
   *
   * @throws TypeError for options that are not an object or a signal that is
   *   not an AbortSignal.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const pool = new Pool({ maxWorkers: 2, maxQueue: 10 });
   * const group = pool.group<number>();
   * await group.submit(() => 1);
   * await group.submit(() => { throw new Error("two"); });
   * try {
   *   await group.wait();
   * } catch (e) {
   *   if (e instanceof AggregateError) console.log(e.errors.length); // 1
   * }
   * ```
   */
  wait(options?: WaitOptions): Promise<R[]> {
    const signal = waitSignal("group.wait", options);
    if (signal !== null && signal.aborted) return Promise.reject(signal.reason);
    return abortable(this.#core.wait() as Promise<R[]>, signal);
  }

  /**
   * Aborted (with the error as its reason) when a fail-fast group fails,
   * once its other jobs are cancelled: a producer can check it to stop early.
   * It is also the signal the group's jobs receive unless they have a signal
   * or timeout of their own or the pool has a signal (then each gets its own),
   * so a job that finished may see it abort when its group fails later. Not
   * aborted when the failure is a job dropped by `pool.stop()`, nor ever for
   * a collect group.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const pool = new Pool({ maxWorkers: 2, maxQueue: 10 });
   * const group = pool.group<void>({ failFast: true });
   * const inputs = [1, 2, 3];
   * for (const n of inputs) {
   *   if (group.signal.aborted) break;
   *   await group.submit(async () => { if (n === 2) throw new Error("bad input"); }).catch(() => {});
   * }
   * await group.wait().catch((e) => console.log(e.message)); // "bad input"
   * ```
   */
  get signal(): AbortSignal {
    return this.#core.signal();
  }

  /**
   * How many jobs have been submitted to the group.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const group = new Pool({ maxWorkers: 1, maxQueue: 4 }).group();
   * await group.submit(() => 1);
   * console.log(group.size); // 1
   * ```
   */
  get size(): number {
    return this.#core.count;
  }
}
