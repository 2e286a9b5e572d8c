/**
 * ThreadPool: the Pool's API for CPU-bound jobs, run on worker threads.
 *
 * Jobs wait in the pool's bounded queue (FIFO; a full queue makes `submit`
 * wait and `trySubmit` throw), are handed to a thread through its job ring in
 * shared memory (up to `depth` ahead, so a busy thread never waits for the
 * next job and drains many per wake-up), and report through the thread's
 * result ring, which a pump on this thread drains when the pool's bell rings
 * (protocol.ts has the wire and its wake-up rules, ring.ts the rings). A
 * thread that exits unexpectedly is replaced: its results already published
 * are taken, its jobs not started go back to the head of the queue, the job
 * it was running rejects with ThreadCrashedError. Cancelling (signal,
 * timeout) a job that has not started withdraws it; cancelling a running job
 * terminates its thread.
 *
 * The API layer has files of its own: thread-events.ts (events, counters,
 * the FIFO of calls into user code), thread-group.ts (`group`), stream.ts
 * (`stream`) and transfer.ts (`transfer`). This file settles jobs in one
 * place (#settle): it changes state and counts first, then queues the calls
 * into user code (events, `onError`, a group's abort), which run on a
 * microtask, after the change, in order.
 *
 * @module
 */
/// <reference lib="esnext.disposable" preserve="true" />
import { availableParallelism } from "node:os";
import type { ResourceLimits, TransferListItem } from "node:worker_threads";
import { encode } from "./codec.js";
import { ThreadCrashedError, ThreadJobTimeoutError, ThreadPoolStoppedError, ThreadQueueFullError, ValueTooLargeError } from "./errors.js";
import { DISPATCHED, Job, QUEUED, SETTLED } from "./job.js";
import { JobQueue } from "./job-queue.js";
import { PoolThread } from "./pool-thread.js";
import { AWAKE, BELL, DONE, FAILED, MAIN_WAITING, POLLING, POLL_MS_MAX, SLEEPING, NAME_RECORD, RESULT_POLL_MS, SLOT_CANCELLED, SLOT_QUEUED, SLOT_RUNNING, WATCHDOG_MS } from "./protocol.js";
import { RECORD_HEADER } from "./ring.js";
import { StreamHub, ThreadStream, type ThreadStreamOptions } from "./stream.js";
import { threadExited } from "./thread-exit.js";
import { Callouts, type JobEndEvent, type JobInfo, type JobKind, type JobOutcome, type ThreadPoolEvent } from "./thread-events.js";
import { GroupCore, ThreadGroup, type GroupHost, type GroupJobOptions, type ThreadGroupOptions } from "./thread-group.js";
import { checkList, move, type Transferred } from "./transfer.js";
import { answer as answerSide, discard, DONE_SIDE, drain as drainSide, needsSide, receive as receiveSide, SIDE_ARGS, take as takeSide, type SideValue } from "./side-transfer.js";

/**
 * Options of a {@link ThreadPool}.
 *
 * @example
 * ```ts
 * import { ThreadPool } from "@gochan/threads";
 * const pool = new ThreadPool({
 *   module: new URL("./hash.js", import.meta.url),
 *   maxThreads: 2,
 *   maxQueue: 1000,
 *   resourceLimits: { maxOldGenerationSizeMb: 256 },
 * });
 * ```
 */
export interface ThreadPoolOptions {
  /** The module whose exported functions are the jobs: a URL or absolute path/`file:` URL string. */
  module: string | URL;
  /**
   * Threads at most (started on demand, kept while the pool lives).
   * @defaultValue os.availableParallelism()
   */
  maxThreads?: number;
  /**
   * Jobs that may wait in the queue; a submit beyond it waits for space.
   * @defaultValue 1024
   */
  maxQueue?: number;
  /**
   * Jobs handed to a thread ahead of time (so it never idles between jobs).
   * Only a job that has not started can be withdrawn without terminating its
   * thread.
   * @defaultValue 64
   */
  depth?: number;
  /**
   * Bytes of shared memory for a thread's job arguments in flight (rounded up
   * to a power of two), and 4x that for its results. A job's encoded arguments
   * may take half of it (larger ones reject with ValueTooLargeError), a
   * result half of its result memory.
   * @defaultValue 1048576
   */
  bytes?: number;
  /** Passed to each Worker: heap limits; a job exceeding them crashes its thread (ThreadCrashedError). */
  resourceLimits?: ResourceLimits;
  /**
   * Called with a {@link JobStartEvent} when a job is handed to a thread and a
   * {@link JobEndEvent} when the pool is done with it: on a microtask after the
   * change, in order. It may re-enter the pool (submit, stop, abort signals).
   */
  onEvent?: ((event: ThreadPoolEvent) => void) | undefined;
  /**
   * Where the failure of a `go()` job goes (and of a stream job whose consumer
   * had already stopped). Without it, the error is rethrown as an uncaught
   * exception, like an unrecovered panic: never silently lost.
   */
  onError?: ((error: unknown, job: JobInfo) => void) | undefined;
}

/**
 * Options of one job.
 *
 * @example
 * ```ts
 * import { ThreadPool } from "@gochan/threads";
 * const pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url) });
 * await pool.submit("f", [], { timeout: 5000, signal: AbortSignal.timeout(10_000) });
 * ```
 */
export interface ThreadJobOptions {
  /** Aborting it rejects the job with `signal.reason`: withdrawn if not started, else its thread is terminated. */
  signal?: AbortSignal | undefined;
  /** Milliseconds from hand-off to a thread; then the job rejects with ThreadJobTimeoutError and its thread is terminated. */
  timeout?: number | undefined;
  /**
   * Objects in `args` to move instead of copy, detached here at once (as with
   * postMessage). ArrayBuffers are copied once into shared memory; a
   * MessagePort (or a stream, or anything else postMessage can move) waits
   * in the job and goes to the thread that starts it, usable there; if the
   * job settles before a thread starts it (cancelled, dropped by `stop`),
   * it is closed. What cannot move is refused with {@link TransferError}
   * and nothing is detached.
   */
  transfer?: readonly TransferListItem[] | undefined;
}

/**
 * A snapshot of a {@link ThreadPool}'s state and counters.
 *
 * @example
 * ```ts
 * import { ThreadPool } from "@gochan/threads";
 * const pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url) });
 * const { queued, running, completed } = pool.metrics();
 * ```
 */
export interface ThreadPoolMetrics {
  /** The current thread limit (changes with `resize`). */
  maxThreads: number;
  /** The queue's capacity. */
  maxQueue: number;
  /** Threads alive (starting, working or idle). */
  threads: number;
  /** Live threads holding no job. */
  idle: number;
  /** Jobs waiting in the queue. */
  queued: number;
  /** Submitters waiting for queue space (`submit`, `go`, `group.submit`, `stream` on a full queue). */
  blockedSubmitters: number;
  /** Jobs handed to threads and not yet settled. */
  running: number;
  /** Jobs given to the pool, including `trySubmit` calls refused because the queue was full. */
  submitted: number;
  /** Jobs that ran and returned. */
  succeeded: number;
  /** Jobs that ran and threw, timed out, or whose thread crashed (or whose arguments could not cross). */
  failed: number;
  /** Jobs cancelled by their signal or a fail-fast group, wherever they were. */
  cancelled: number;
  /** Jobs not run: refused by a full queue (`trySubmit`) or dropped by `stop()`. */
  dropped: number;
  /** `succeeded + failed`. Once drained, `succeeded + failed + cancelled + dropped === submitted`. */
  completed: number;
  /** Threads that exited unexpectedly and were replaced. */
  crashed: number;
}

/** The names of `M`'s exported functions. */
export type JobName<M> = { [K in keyof M]: M[K] extends (...args: never[]) => unknown ? K : never }[keyof M] & string;
/** The parameters of job `K` of `M`. */
export type JobArgs<M, K extends keyof M> = M[K] extends (...args: infer A) => unknown ? A : never;
/** The resolved result of job `K` of `M` (the value inside a {@link Transferred}). */
export type JobResult<M, K extends keyof M> = M[K] extends (...args: never[]) => infer R ? (Awaited<R> extends Transferred<infer T> ? T : Awaited<R>) : never;
/** The names of `M`'s exported functions that return an iterable (generators): what `stream` runs. */
export type StreamName<M> = {
  [K in keyof M]: M[K] extends (...args: never[]) => Iterable<unknown> | AsyncIterable<unknown> | PromiseLike<Iterable<unknown> | AsyncIterable<unknown>> ? K : never;
}[keyof M] &
  string;
/** What job `K` of `M` yields (the value inside a {@link Transferred}). */
export type StreamYield<M, K extends keyof M> = M[K] extends (...args: never[]) => infer R
  ? Awaited<R> extends AsyncIterable<infer Y> | Iterable<infer Y>
    ? Y extends Transferred<infer T>
      ? T
      : Y
    : never
  : never;

/** Jobs handed to a thread ahead by default: enough that a thread drains many per wake-up. */
const DEFAULT_DEPTH = 64;

/** Atomics.waitAsync (ES2024; Node >= 16): typed here so the package builds against ES2022 libs. */
const waitAsync = (Atomics as unknown as {
  waitAsync(i32: Int32Array, index: number, value: number, timeout?: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/**
 * A pool of worker threads running the exported functions of one module,
 * with the Pool's API and guarantees: a bounded queue with backpressure,
 * `submit`/`trySubmit`/`go`/`group`, cancellation and timeouts (a running
 * job's thread is terminated), a graceful stop, resizing, metrics and events,
 * generators streamed back with `stream`, and `transfer` for ArrayBuffers. Arguments and results
 * are structured-cloned; a job's throw rejects its promise with the error and
 * its remote stack. Type it with the module: `ThreadPool<typeof import("./jobs.js")>`.
 *
 * @typeParam M - the jobs module's type.
 *
 * @example
 * ```ts
 * import { ThreadPool } from "@gochan/threads";
 * // jobs.ts: export function fib(n: number): number { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
 * const pool = new ThreadPool<{ fib(n: number): number }>({ module: new URL("./jobs.js", import.meta.url) });
 * const results = await Promise.all([30, 31, 32].map((n) => pool.submit("fib", [n])));
 * await pool.stopAndWait();
 * ```
 */
export class ThreadPool<M extends object = Record<string, (...args: unknown[]) => unknown>> {
  #maxThreads: number;
  readonly #maxQueue: number;
  readonly #depth: number;
  readonly #bytes: number;
  readonly #module: string;
  readonly #limits: ResourceLimits | undefined;
  readonly #threads: PoolThread[] = [];
  readonly #queue = new JobQueue();
  /** Blocked submitters; woken with true when a queue place is promised to them. */
  readonly #spaceWaiters: ((placed: boolean) => void)[] = [];
  /** Queue places promised to woken submitters that have not taken them yet (they enter on a later microtask). */
  #reserved = 0;
  /** Function names by index (the index travels with each job; a thread learns a name once). */
  readonly #fnIndex = new Map<string, number>();
  readonly #fnNames: string[] = [];
  /** BELL and MAIN_WAITING (protocol.ts): the threads ring it after publishing results. */
  readonly #bell = new Int32Array(new SharedArrayBuffer(8));
  /** How long the pump sleeps while results flow: RESULT_POLL_MS to POLL_MS_MAX, adapted in #drainAll (protocol.ts). */
  #pollMs = RESULT_POLL_MS;
  /** Jobs accepted and not yet settled. */
  #pending = 0;
  #nextId = 1;
  #stopped = false;
  /** stop() was called: jobs still waiting for queue space are dropped, not admitted. */
  #dropping = false;
  #draining = false;
  /** The pump ends (after the stop completed). */
  #closed = false;
  #stopDone: Promise<void> | null = null;
  #stopResolve: (() => void) | null = null;
  #reffed = true;
  #submitted = 0;
  #succeeded = 0;
  #failed = 0;
  #cancelled = 0;
  #dropped = 0;
  #crashed = 0;
  readonly #onEvent: ((event: ThreadPoolEvent) => void) | null;
  readonly #onError: ((error: unknown, job: JobInfo) => void) | null;
  /** Calls into user code, run after the change that owes them. */
  readonly #callouts = new Callouts();
  readonly #streams = new StreamHub();
  readonly #host: GroupHost;

  /**
   * @throws RangeError naming the value for a bad option.
   */
  constructor(options: ThreadPoolOptions) {
    this.#module = String(options.module instanceof URL ? options.module.href : options.module);
    this.#maxThreads = positive("maxThreads", options.maxThreads ?? availableParallelism());
    this.#maxQueue = nonNegative("maxQueue", options.maxQueue ?? 1024);
    this.#depth = positive("depth", options.depth ?? DEFAULT_DEPTH);
    this.#bytes = ringBytes(positive("bytes", options.bytes ?? 1 << 20));
    this.#limits = options.resourceLimits;
    this.#onEvent = hook("onEvent", options.onEvent);
    this.#onError = hook("onError", options.onError);
    const pool = this; // the host reaches private members
    this.#host = {
      get stopped(): boolean {
        return pool.#stopped;
      },
      callouts: this.#callouts,
      check: (fn, args, options) => this.#check("group.submit", fn, args, options),
      admit: (group, index, fn, args, options) => this.#admit(fn, args, options, "group", group, index),
      cancel: (job, reason) => this.#cancel(job, reason),
    };
    void this.#pump();
  }

  /** The thread limit ({@link ThreadPool.resize} changes it). */
  get maxThreads(): number {
    return this.#maxThreads;
  }

  /** Whether `stop()` or `stopAndWait()` was called. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Runs exported function `fn` of the module with `args` on a thread. Waits
   * for queue space if the queue is full. Rejects with the job's error (its
   * stack is the remote one), ThreadCrashedError, ThreadJobTimeoutError, the
   * signal's reason, or ThreadPoolStoppedError.
   */
  submit<K extends JobName<M>>(fn: K, args: JobArgs<M, K>, options?: ThreadJobOptions): Promise<JobResult<M, K>> {
    const bad = this.#check("submit", fn, args, options);
    if (bad !== null) return Promise.reject(bad);
    if (this.#stopped) return Promise.reject(new ThreadPoolStoppedError("submit: the thread pool is stopped"));
    return new Promise((resolve, reject) => {
      void this.#admit(fn, args as unknown[], options, "submit", null, 0, resolve as (v: unknown) => void, reject);
    });
  }

  /**
   * Like {@link ThreadPool.submit}, but throws ThreadQueueFullError at once
   * (synchronously) instead of waiting for queue space; the refused job counts
   * as submitted and dropped.
   */
  trySubmit<K extends JobName<M>>(fn: K, args: JobArgs<M, K>, options?: ThreadJobOptions): Promise<JobResult<M, K>> {
    const bad = this.#check("trySubmit", fn, args, options);
    if (bad !== null) throw bad;
    if (this.#stopped) throw new ThreadPoolStoppedError("trySubmit: the thread pool is stopped");
    // A queue of 0 still accepts a job a thread can take at once. An aborted signal wins over a full queue (as in Pool).
    if ((this.#spaceWaiters.length > 0 || !this.#hasSpace()) && options?.signal?.aborted !== true) {
      const error = new ThreadQueueFullError(this.#maxQueue);
      this.#settle(this.#make(fn, [], undefined, "submit", null, 0, ignore, ignore), "dropped", error);
      throw error;
    }
    return new Promise((resolve, reject) => {
      this.#enqueue(this.#make(fn, args as unknown[], options, "submit", null, 0, resolve as (v: unknown) => void, reject), options);
    });
  }

  /**
   * Fire and forget, like Go's `go` statement: runs the job and returns
   * nothing. If the queue is full the job waits for space (the caller does
   * not). A failure (throw, crash, timeout) goes to the `onError` option, or
   * without one is rethrown as an uncaught exception: never silently lost.
   * Cancelled and dropped `go` jobs are counted, not reported.
   *
   * @throws ThreadPoolStoppedError if the pool is stopped; TypeError/RangeError
   *   for a bad name, arguments or options.
   *
   * @example
   * ```ts
   * import { ThreadPool } from "@gochan/threads";
   * const pool = new ThreadPool({
   *   module: new URL("./jobs.js", import.meta.url),
   *   onError: (error, job) => console.error(`job ${job.id} (${job.fn}) failed`, error),
   * });
   * pool.go("reindex", ["users"]);
   * await pool.stopAndWait(); // it ran
   * ```
   */
  go<K extends JobName<M>>(fn: K, args: JobArgs<M, K>, options?: ThreadJobOptions): void {
    const bad = this.#check("go", fn, args, options);
    if (bad !== null) throw bad;
    if (this.#stopped) throw new ThreadPoolStoppedError("go: the thread pool is stopped");
    void this.#admit(fn, args as unknown[], options, "go", null, 0);
  }

  /**
   * Makes a {@link ThreadGroup}: a batch of jobs on this pool whose `wait()`
   * returns their results in submission order; fail-fast or collecting every
   * error.
   *
   * @throws TypeError for a `failFast` that is not a boolean.
   *
   * @example
   * ```ts
   * import { ThreadPool } from "@gochan/threads";
   * const pool = new ThreadPool<{ add(a: number, b: number): number }>({ module: new URL("./jobs.js", import.meta.url) });
   * const group = pool.group<number>();
   * for (let i = 0; i < 10; i++) await group.submit("add", [i, i]);
   * const evens = await group.wait();
   * ```
   */
  group<R = unknown>(options?: ThreadGroupOptions): ThreadGroup<R, M> {
    const failFast = options?.failFast;
    if (failFast !== undefined && typeof failFast !== "boolean") {
      throw new TypeError(`group: failFast must be a boolean, got ${String(failFast)} (${typeof failFast})`);
    }
    return new ThreadGroup<R, M>(new GroupCore(this.#host, failFast === true));
  }

  /**
   * Runs generator (or iterable-returning function) `fn` of the module on a
   * thread and returns what it yields as an AsyncIterable with backpressure
   * (a bounded SharedChan of `buffer` places): see {@link ThreadStream}. Waits
   * for queue space like `submit`.
   *
   * @throws ThreadPoolStoppedError if the pool is stopped; TypeError/RangeError
   *   for a bad name, arguments or options.
   *
   * @example
   * ```ts
   * import { ThreadPool } from "@gochan/threads";
   * // jobs.ts: export function* lines(path: string) { ... yield line ... }
   * const pool = new ThreadPool<{ lines(path: string): Generator<string> }>({ module: new URL("./jobs.js", import.meta.url) });
   * for await (const line of pool.stream("lines", ["/var/log/app.log"], { buffer: 64 })) console.log(line);
   * ```
   */
  stream<K extends StreamName<M>>(fn: K, args: JobArgs<M, K>, options?: ThreadStreamOptions): ThreadStream<StreamYield<M, K>>;
  stream<Y>(fn: string, args: unknown[], options?: ThreadStreamOptions): ThreadStream<Y>;
  stream(fn: string, args: unknown[], options?: ThreadStreamOptions): ThreadStream<unknown> {
    const bad = this.#check("stream", fn, args, options);
    if (bad !== null) throw bad;
    const buffer = nonNegative("buffer", options?.buffer ?? 16);
    const bytes = positive("bytes", options?.bytes ?? 65536);
    if (this.#stopped) throw new ThreadPoolStoppedError("stream: the thread pool is stopped");
    const [id, ch] = this.#streams.open(buffer, bytes);
    let job: Job | null = null;
    let stream: ThreadStream<unknown> | null = null;
    const result = new Promise<unknown>((resolve, reject) => {
      void this.#admit(fn, [...args, this.#streams.token(id)], options, "stream", null, 0, resolve, reject, (j) => {
        job = j;
      });
    });
    const end = (): void => this.#streams.end(id);
    void result.then(end, (e: unknown) => {
      end();
      // The consumer stopped before reading the outcome: report the failure like go()'s.
      if (stream !== null && stream.abandoned && job !== null && job.outcome === "failed") this.#callouts.add(this.#lost, job);
    });
    stream = new ThreadStream<unknown>(ch, result, end, options?.signal);
    return stream;
  }

  /**
   * Stops accepting jobs and drops the queue (those jobs and waiting
   * submitters reject with ThreadPoolStoppedError); jobs already handed to
   * threads finish; then the threads exit. Resolves when they have.
   */
  stop(): Promise<void> {
    if (!this.#dropping) {
      this.#stopped = true;
      this.#dropping = true;
      const dropped = this.#queue.clear();
      for (const j of dropped) this.#settle(j, "dropped", new ThreadPoolStoppedError("the thread pool was stopped before the job ran"));
      for (const w of this.#spaceWaiters.splice(0)) w(false);
    }
    return this.#finish();
  }

  /**
   * Stops accepting jobs, runs every job already accepted (queued, or waiting
   * for queue space), then lets the threads exit. A later `stop()` turns the
   * drain into a stop.
   */
  stopAndWait(): Promise<void> {
    this.#stopped = true;
    return this.#finish();
  }

  /**
   * `await using pool = new ThreadPool(...)` drains and stops the pool when
   * the scope ends, like Go's `defer`: the same as {@link ThreadPool.stopAndWait}.
   *
   * @example
   * ```ts
   * import { ThreadPool } from "@gochan/threads";
   * async function hashAll(files: string[]): Promise<void> {
   *   await using pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url) });
   *   for (const f of files) pool.go("hashFile", [f]);
   * } // every job has run and every thread exited here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stopAndWait();
  }

  /** Changes the thread limit; extra threads finish what they hold and exit. */
  resize(maxThreads: number): void {
    this.#maxThreads = positive("maxThreads", maxThreads);
    const live = this.#threads.filter((t) => !t.retiring);
    for (let i = live.length - 1; i >= this.#maxThreads; i--) live[i]!.retire();
    this.#dispatch();
  }

  /** Counters and current state (see {@link ThreadPoolMetrics}). */
  metrics(): ThreadPoolMetrics {
    let running = 0;
    let idle = 0;
    for (const t of this.#threads) {
      running += t.size;
      if (t.size === 0 && !t.retiring) idle++;
    }
    return {
      maxThreads: this.#maxThreads,
      maxQueue: this.#maxQueue,
      threads: this.#threads.length,
      idle,
      queued: this.#queue.length,
      blockedSubmitters: this.#spaceWaiters.length,
      running,
      submitted: this.#submitted,
      succeeded: this.#succeeded,
      failed: this.#failed,
      cancelled: this.#cancelled,
      dropped: this.#dropped,
      completed: this.#succeeded + this.#failed,
      crashed: this.#crashed,
    };
  }

  /** Bad input to submit/trySubmit/go/stream: the error naming it, else null. */
  #check(where: string, fn: unknown, args: unknown, options: ThreadJobOptions | undefined): Error | null {
    if (typeof fn !== "string") return new TypeError(`${where}: fn must be the name of an exported function, got ${typeof fn}`);
    if (!Array.isArray(args)) return new TypeError(`${where}: args must be an array, got ${typeof args}`);
    const timeout = options?.timeout;
    if (timeout !== undefined && !(timeout > 0)) return new RangeError(`${where}: timeout must be a positive number of ms, got ${timeout}`);
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) return new TypeError(`${where}: signal must be an AbortSignal, got ${typeof signal}`);
    if (options?.transfer !== undefined) {
      try {
        checkList(options.transfer);
      } catch (e) {
        return e as Error;
      }
    }
    return null;
  }

  /**
   * Admits a checked job: into the queue now if there is room, else once
   * there is (or dropped if `stop()` comes first). Resolves once it is queued;
   * rejects with why it never was (for a group's submit).
   */
  #admit(
    fn: string,
    args: unknown[],
    options: ThreadJobOptions | undefined,
    kind: JobKind,
    group: GroupCore | null,
    index: number,
    resolve: (v: unknown) => void = ignore,
    reject: (e: unknown) => void = ignore,
    made?: (job: Job) => void,
  ): Promise<void> {
    let side: SideValue | null = null;
    if (options?.transfer !== undefined && options.transfer.length > 0) {
      try {
        // Detached here, now: the caller lost them. MessagePorts and the like
        // wait in the job and go to the thread that starts it (side-transfer.ts).
        if (needsSide(options.transfer)) side = takeSide(args, options.transfer);
        else args = move(args, options.transfer as ArrayBuffer[]);
      } catch (e) {
        reject(e);
        if (group === null) return RESOLVED;
        group.record(null, index, "failed", e);
        return Promise.reject(e);
      }
    }
    const job = this.#make(fn, side === null ? args : [], options, kind, group, index, resolve, reject);
    job.side = side;
    made?.(job);
    if (this.#spaceWaiters.length === 0 && this.#hasSpace()) return this.#admitted(job, this.#enqueue(job, options));
    const signal = options?.signal;
    return new Promise<boolean>((wake) => {
      this.#spaceWaiters.push(wake);
      if (signal === undefined) return;
      if (signal.aborted) return void this.#withdrawWaiting(job, wake, signal.reason);
      job.signal = signal;
      job.onAbort = (): void => this.#withdrawWaiting(job, wake, signal.reason);
      signal.addEventListener("abort", job.onAbort, { once: true });
    }).then((placed) => {
      if (placed) this.#reserved--; // the place is taken now, by this job or by nobody
      if (job.state === SETTLED) return this.#admitted(job, false);
      if (job.onAbort !== null) job.signal?.removeEventListener("abort", job.onAbort);
      job.signal = null;
      job.onAbort = null;
      if (this.#dropping) {
        this.#settle(job, "dropped", new ThreadPoolStoppedError("the thread pool was stopped before the job ran"));
        return this.#admitted(job, false);
      }
      return this.#admitted(job, this.#enqueue(job, options));
    });
  }

  /** A job whose signal aborted while it waited for queue space: out of the line, cancelled. */
  #withdrawWaiting(job: Job, wake: (placed: boolean) => void, reason: unknown): void {
    const i = this.#spaceWaiters.indexOf(wake);
    if (i >= 0) this.#spaceWaiters.splice(i, 1);
    this.#settle(job, "cancelled", reason);
    wake(false); // no effect if it was woken with a place already: that place is given back when it runs
  }

  /** What a group's submit learns: queued, or why not (other kinds learn it from their job). */
  #admitted(job: Job, queued: boolean): Promise<void> {
    return queued || job.group === null || job.outcome === "succeeded" ? RESOLVED : Promise.reject(job.error);
  }

  #make(
    fn: string,
    args: unknown[],
    options: ThreadJobOptions | undefined,
    kind: JobKind,
    group: GroupCore | null,
    index: number,
    resolve: (v: unknown) => void,
    reject: (e: unknown) => void,
  ): Job {
    const job = new Job(this.#nextId++, fn, args, resolve, reject);
    job.kind = kind;
    if (group !== null) {
      job.group = group;
      job.index = index;
      group.joined(job);
    }
    if (options?.timeout !== undefined) (job as Job & { timeout?: number }).timeout = options.timeout;
    this.#submitted++;
    this.#pending++;
    return job;
  }

  /** Puts a made job in the queue; false if its signal was already aborted (it is settled as cancelled). */
  #enqueue(job: Job, options: ThreadJobOptions | undefined): boolean {
    const signal = options?.signal;
    if (signal?.aborted) {
      this.#settle(job, "cancelled", signal.reason);
      return false;
    }
    if (signal !== undefined) {
      job.signal = signal;
      job.onAbort = (): void => this.#cancel(job, signal.reason);
      signal.addEventListener("abort", job.onAbort, { once: true });
    }
    this.#queue.push(job);
    // Behind other queued jobs it cannot be handed out before them, and they
    // wait because no thread can take one now (#dispatch leaves the queue
    // non-empty only then; every change that makes room dispatches): a
    // dispatch per submit would scan the threads for nothing.
    if (this.#queue.length === 1) this.#dispatch();
    return true;
  }

  /**
   * Whether one more job may enter the queue: below `maxQueue` counting the
   * places promised to woken submitters, or, for a queue of 0, an empty queue
   * and a thread that can take the job at once.
   */
  #hasSpace(): boolean {
    const taken = this.#queue.length + this.#reserved;
    return taken < this.#maxQueue || (taken === 0 && this.#hasRoom());
  }

  /** Wakes as many blocked submitters as there are places, each with a place promised. */
  #wakeSubmitters(): void {
    while (this.#spaceWaiters.length > 0 && this.#hasSpace()) {
      this.#reserved++;
      this.#spaceWaiters.shift()!(true);
    }
  }

  /** Whether #pick would find a thread for a job now (the same rules). */
  #hasRoom(): boolean {
    let live = 0;
    for (const t of this.#threads) {
      if (t.retiring) continue;
      live++;
      if (t.open) return true;
    }
    return live < this.#maxThreads;
  }

  /** The index of function `fn`, sent to each thread once. */
  #fn(fn: string): number {
    let i = this.#fnIndex.get(fn);
    if (i === undefined) {
      i = this.#fnNames.length;
      this.#fnNames.push(fn);
      this.#fnIndex.set(fn, i);
    }
    return i;
  }

  /** Hands queued jobs to threads with room, starting threads as needed, and wakes the threads it handed to. */
  #dispatch(): void {
    let woken: PoolThread | null = null;
    const limit = (this.#bytes >> 1) - RECORD_HEADER;
    while (this.#queue.length > 0) {
      const t = this.#pick();
      if (t === null) break;
      const job = this.#queue.peek();
      let args = job.encoded;
      if (args === null) {
        try {
          args = encode(job.args);
          if (args.size > limit) throw new ValueTooLargeError(args.size, limit);
        } catch (e) {
          this.#queue.shift();
          this.#settle(job, "failed", e); // arguments that cannot cross
          continue;
        }
        job.encoded = args;
      }
      const fn = this.#fn(job.fn);
      if (t.known[fn] !== true) {
        if (!t.jobs.write(NAME_RECORD, fn, encode(job.fn))) break;
        t.known[fn] = true;
      }
      if (!t.hand(job, job.side === null ? fn : fn | SIDE_ARGS, args)) break; // no room in its ring's memory: retried after its next report
      this.#queue.shift();
      job.encoded = null;
      job.state = DISPATCHED;
      job.thread = t;
      if (this.#onEvent !== null && !job.announced) this.#announce(job);
      const timeout = (job as Job & { timeout?: number }).timeout;
      if (timeout !== undefined && job.timer === null) {
        job.timer = setTimeout(() => this.#cancel(job, new ThreadJobTimeoutError(job.fn, timeout), "failed"), timeout);
      }
      if (t !== woken) {
        woken?.wake();
        woken = t;
      }
    }
    woken?.wake();
    this.#wakeSubmitters();
    this.#updateRefs();
    if (this.#stopped) void this.#finish();
  }

  /** The least-loaded thread with room, or a new one; null if none can take a job. */
  #pick(): PoolThread | null {
    let best: PoolThread | null = null;
    let live = 0;
    for (const t of this.#threads) {
      if (t.retiring) continue;
      live++;
      if (!t.open) continue;
      if (best === null || t.size < best.size) best = t;
    }
    if (best !== null && best.size === 0) return best;
    if (live < this.#maxThreads) return this.#spawn();
    return best;
  }

  #spawn(): PoolThread {
    const t = new PoolThread(this.#module, this.#bell.buffer as SharedArrayBuffer, this.#depth, this.#bytes, this.#limits);
    this.#threads.push(t);
    if (!this.#reffed) t.worker.unref();
    t.worker.on("exit", (code) => this.#exited(t, code));
    t.worker.on("message", (m: unknown) => {
      if (!answerSide(t.worker, t.slots, unsettled, m)) this.#streams.answer(t.worker, m);
    });
    return t;
  }

  /** Rejects a job now: withdrawn if queued or not started, else its thread is terminated. */
  #cancel(job: Job, reason: unknown, outcome: JobOutcome = "cancelled"): void {
    if (job.state === SETTLED) return;
    if (job.state === QUEUED) {
      this.#queue.remove(job);
      this.#settle(job, outcome, reason);
      this.#dispatch();
      return;
    }
    const t = job.thread as PoolThread;
    // A result already published settles it: a finished job does not cost its thread.
    if (this.#drain(t) > 0) {
      this.#dispatch();
      if (job.state === SETTLED) return;
    }
    // Not started: its thread will skip it and report it SKIPPED.
    if (t.swap(job.slot, SLOT_QUEUED, SLOT_CANCELLED) !== SLOT_QUEUED) {
      job.started = true;
      if (!t.terminating) {
        // Running: only terminating its thread stops it.
        t.terminating = true;
        void t.worker.terminate();
      }
    }
    this.#settle(job, outcome, reason);
  }

  /**
   * The one place a job settles: its promise, then the counters and its
   * group (which may cancel the group's other jobs), then the calls into user
   * code it owes, queued to run after this change.
   */
  #settle(job: Job, outcome: JobOutcome, value: unknown): void {
    const ok = outcome === "succeeded";
    if (!job.settle(ok, value)) return;
    if (job.side !== null) discard(job.side); // moved ports its thread never asked for are closed (side-transfer.ts)
    job.outcome = outcome;
    if (!ok) job.error = value;
    this.#pending--;
    if (ok) this.#succeeded++;
    else if (outcome === "failed") this.#failed++;
    else if (outcome === "cancelled") this.#cancelled++;
    else this.#dropped++;
    if (job.group !== null) job.group.record(job, job.index, outcome, value);
    if (this.#onEvent !== null) this.#callouts.add(this.#emitEnd, job);
    if (job.kind === "go" && outcome === "failed") this.#callouts.add(this.#lost, job);
    if (this.#stopped && this.#pending === 0) void this.#finish(); // the last job of a stop may settle anywhere
  }

  #announce(job: Job): void {
    job.announced = true;
    this.#callouts.add(this.#emitStart, job);
  }

  readonly #emitStart = (job: Job): void => {
    this.#onEvent!({ type: "start", job: info(job) });
  };

  readonly #emitEnd = (job: Job): void => {
    const e: JobEndEvent = job.outcome === "succeeded" ? { type: "end", job: info(job), outcome: "succeeded", started: job.started } : { type: "end", job: info(job), outcome: job.outcome!, started: job.started, error: job.error };
    this.#onEvent!(e);
  };

  /** A failure nobody awaits (a go() job, an abandoned stream): to onError, else uncaught. */
  readonly #lost = (job: Job): void => {
    if (this.#onError === null) throw job.error;
    this.#onError(job.error, info(job));
  };

  /** Sleeps on the bell and drains every result ring each time it rings; ends when the pool is closed. */
  async #pump(): Promise<void> {
    const bell = this.#bell;
    for (;;) {
      const seq = Atomics.load(bell, BELL);
      const flowing = this.#drainAll();
      if (this.#closed) return;
      // SLEEPING before the UNRUNG flags are read: a thread that raised its
      // flag too late to be seen here sees SLEEPING and rings (protocol.ts).
      Atomics.store(bell, MAIN_WAITING, SLEEPING);
      // Poll while results flow (some came, more are in flight) or wait unrung;
      // a poll that finds nothing is followed by a long sleep that a result rings.
      const polling = ((flowing && this.#inFlight() > 0) || this.#anyUnrung()) && Atomics.compareExchange(bell, MAIN_WAITING, SLEEPING, POLLING) === SLEEPING;
      if (Atomics.load(bell, BELL) === seq) {
        // Not holding the process open: threads do that while there is work.
        const r = waitAsync(bell, BELL, seq, polling ? this.#pollMs : WATCHDOG_MS);
        if (r.async) await r.value;
      }
      Atomics.store(bell, MAIN_WAITING, AWAKE);
    }
  }

  /** Whether a thread published results without ringing (protocol.ts: UNRUNG). */
  #anyUnrung(): boolean {
    for (const t of this.#threads) if (t.unrung) return true;
    return false;
  }

  /**
   * Takes every published report of every thread, adapts the poll interval
   * to how far the threads' rings ran down, then hands out jobs; whether
   * there were any reports.
   */
  #drainAll(): boolean {
    let most = 0;
    let least = Infinity;
    for (const t of this.#threads) {
      const n = this.#drain(t);
      if (n === 0) continue;
      if (n > most) most = n;
      if (t.size < least) least = t.size;
    }
    if (most === 0) return false;
    // protocol.ts, POLL_MS_MAX: halve it when a ring holds fewer jobs than
    // one interval took from it (it would run dry before the next poll),
    // double it while every ring holds 3 intervals' worth or more.
    if (least < most) this.#pollMs = Math.max(RESULT_POLL_MS, this.#pollMs >> 1);
    else if (least >= 3 * most) this.#pollMs = Math.min(POLL_MS_MAX, this.#pollMs << 1);
    this.#dispatch();
    return true;
  }

  /** Takes thread `t`'s published reports; how many there were. */
  #drain(t: PoolThread): number {
    const r = t.results;
    t.clearUnrung(); // before reading: a result published before the flag is then seen below
    let n = 0;
    while (r.next()) {
      n++;
      this.#report(t, r.a, r.b, r.value);
    }
    if (n > 0) t.drained();
    return n;
  }

  #report(t: PoolThread, slot: number, status: number, payload: unknown): void {
    // A result holding MessagePorts was posted on the side port before this report (side-transfer.ts).
    const side = status === DONE_SIDE ? receiveSide(t.side) : null;
    if (side !== null) [status, payload] = [DONE, side.value];
    else if (status === DONE_SIDE) [status, payload] = [FAILED, [new Error(`thread ${t.threadId} reported a moved result it never posted`), undefined]];
    const job = t.take(slot);
    if (side !== null && (job === null || job.state === SETTLED)) discard(side); // cancelled while running: nobody takes it
    if (job === null) return;
    job.slot = -1;
    if (status === DONE || status === FAILED) job.started ||= job.state !== SETTLED;
    if (status === DONE) this.#settle(job, "succeeded", payload);
    else if (status === FAILED) {
      const [error, name] = payload as [unknown, string | undefined];
      if (error instanceof Error && name !== undefined && error.name !== name) error.name = name;
      this.#settle(job, "failed", error);
    }
    // SKIPPED: cancelled before it started, settled then.
  }

  #exited(t: PoolThread, code: number): void {
    threadExited(t.threadId);
    const i = this.#threads.indexOf(t);
    if (i >= 0) this.#threads.splice(i, 1);
    // Reports it published before dying count.
    this.#drain(t);
    drainSide(t.side); // moved results it posted and never reported: closed
    const unexpected = !t.retiring && !t.terminating;
    if (unexpected) this.#crashed++;
    // Its control words say which of the rest it started (protocol.ts).
    const back: Job[] = [];
    for (const job of t.takeAll()) {
      const started = t.control(job.slot) === SLOT_RUNNING;
      job.slot = -1;
      if (job.state === SETTLED) continue; // cancelled, or timed out
      if (started) {
        job.started = true;
        this.#settle(job, "failed", new ThreadCrashedError(job.fn, code, t.error));
        continue;
      }
      // Never started: it goes back to the head of the queue, in order, to run once elsewhere.
      job.state = QUEUED;
      job.thread = null;
      back.push(job);
    }
    this.#queue.unshift(back);
    this.#dispatch();
  }

  #inFlight(): number {
    let n = 0;
    for (const t of this.#threads) n += t.size;
    return n;
  }

  #updateRefs(): void {
    if (this.#draining) return;
    let busy = this.#queue.length > 0;
    for (const t of this.#threads) if (t.size > 0) busy = true;
    if (busy === this.#reffed) return;
    this.#reffed = busy;
    for (const t of this.#threads) {
      if (busy) t.worker.ref();
      else t.worker.unref();
    }
  }

  /** After a stop: once nothing is queued or running, retire every thread; resolves when all exited. */
  #finish(): Promise<void> {
    if (this.#stopDone === null) {
      this.#stopDone = new Promise<void>((resolve) => {
        this.#stopResolve = resolve;
      });
    }
    if (!this.#draining && this.#queue.length === 0 && this.#pending === 0 && this.#inFlight() === 0) {
      this.#draining = true;
      for (const t of this.#threads) {
        t.worker.ref(); // whoever awaits the stop waits for the exits
        t.retire();
      }
    }
    if (this.#draining && this.#threads.length === 0 && this.#stopResolve !== null) {
      const resolve = this.#stopResolve;
      this.#stopResolve = null;
      // The pump ends.
      this.#closed = true;
      Atomics.add(this.#bell, BELL, 1);
      Atomics.notify(this.#bell, BELL);
      resolve();
    }
    return this.#stopDone;
  }
}

const RESOLVED: Promise<void> = Promise.resolve();

function ignore(): void {}

function unsettled(job: { state: number }): boolean {
  return job.state !== SETTLED;
}

function info(job: Job): JobInfo {
  return { id: job.id, kind: job.kind, fn: job.fn };
}

function hook<F>(name: string, f: F | undefined): F | null {
  if (f === undefined) return null;
  if (typeof f !== "function") throw new TypeError(`ThreadPool: ${name} must be a function, got ${typeof f}`);
  return f;
}

/** A ring's capacity: `bytes` rounded up to a power of two (at least 1 KiB, at most 256 MiB). */
function ringBytes(bytes: number): number {
  if (bytes > 1 << 28) throw new RangeError(`ThreadPool: bytes must be at most ${1 << 28}, got ${bytes}`);
  let cap = 1024;
  while (cap < bytes) cap *= 2;
  return cap;
}

function positive(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`ThreadPool: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!(Number.isInteger(v) && v >= 0) && v !== Infinity) throw new RangeError(`ThreadPool: ${name} must be a non-negative integer, got ${String(v)}`);
  return v;
}

