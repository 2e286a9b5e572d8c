/**
 * ThreadPool: the Pool's API for CPU-bound jobs, run on worker threads.
 *
 * Jobs wait in the pool's bounded queue (FIFO; a full queue makes `submit`
 * wait and `trySubmit` throw), are handed to a thread through that thread's
 * SharedChan (up to `depth` ahead, so a busy thread never waits for the next
 * job), and report through one shared results channel that a pump on this
 * thread drains. A thread that exits unexpectedly is replaced: its unstarted
 * jobs go back to the head of the queue, its running job rejects with
 * ThreadCrashedError. Cancelling (signal, timeout) a job that has not started
 * withdraws it; cancelling a running job terminates its thread.
 *
 * @module
 */
import { availableParallelism } from "node:os";
import type { ResourceLimits } from "node:worker_threads";
import { ChanState } from "./chan-state.js";
import { ThreadCrashedError, ThreadJobTimeoutError, ThreadPoolStoppedError, ThreadQueueFullError } from "./errors.js";
import { DISPATCHED, Job, QUEUED, SETTLED } from "./job.js";
import { C_RECV, type OpCase } from "./op.js";
import { PoolThread } from "./pool-thread.js";
import { DONE, FAILED, SLOT_CANCELLED, SLOT_FREE, SLOT_QUEUED, type JobReport } from "./protocol.js";
import { run } from "./run.js";
import { SharedChan } from "./shared-chan.js";
import { threadExited } from "./thread-exit.js";

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
   * @defaultValue 8
   */
  depth?: number;
  /** Bytes of shared memory for a thread's job arguments in flight, and (x4) for results. @defaultValue 1048576 */
  bytes?: number;
  /** Passed to each Worker: heap limits; a job exceeding them crashes its thread (ThreadCrashedError). */
  resourceLimits?: ResourceLimits;
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
  signal?: AbortSignal;
  /** Milliseconds from hand-off to a thread; then the job rejects with ThreadJobTimeoutError and its thread is terminated. */
  timeout?: number;
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
  /** Threads alive (starting, working or idle). */
  threads: number;
  /** Jobs waiting in the queue. */
  queued: number;
  /** Jobs handed to threads and not yet settled. */
  running: number;
  /** Jobs that resolved. */
  completed: number;
  /** Jobs that rejected (throw, crash, timeout, cancel). */
  failed: number;
  /** Threads that exited unexpectedly and were replaced. */
  crashed: number;
}

/** The names of `M`'s exported functions. */
export type JobName<M> = { [K in keyof M]: M[K] extends (...args: never[]) => unknown ? K : never }[keyof M] & string;
/** The parameters of job `K` of `M`. */
export type JobArgs<M, K extends keyof M> = M[K] extends (...args: infer A) => unknown ? A : never;
/** The resolved result of job `K` of `M`. */
export type JobResult<M, K extends keyof M> = M[K] extends (...args: never[]) => infer R ? Awaited<R> : never;

const SLOTS = 4096;

/**
 * A pool of worker threads running the exported functions of one module,
 * with the Pool's guarantees: a bounded queue with backpressure, cancellation
 * and timeouts, a graceful stop, resizing and metrics. Arguments and results
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
  readonly #queue: Job[] = [];
  readonly #spaceWaiters: (() => void)[] = [];
  /** The dispatched job of each control slot (until its thread reports on it). */
  readonly #bySlot: (Job | null)[] = new Array<Job | null>(SLOTS).fill(null);
  /** Jobs accepted and not yet settled. */
  #pending = 0;
  readonly #control = new Int32Array(new SharedArrayBuffer(4 * SLOTS));
  readonly #freeSlots: number[] = [];
  readonly #results: SharedChan<JobReport>;
  readonly #resultCase: OpCase[];
  readonly #resultChans: ChanState[];
  #nextId = 1;
  #stopped = false;
  #draining = false;
  #stopDone: Promise<void> | null = null;
  #stopResolve: (() => void) | null = null;
  #reffed = true;
  #completed = 0;
  #failed = 0;
  #crashed = 0;

  /**
   * @throws RangeError naming the value for a bad option.
   */
  constructor(options: ThreadPoolOptions) {
    this.#module = String(options.module instanceof URL ? options.module.href : options.module);
    this.#maxThreads = positive("maxThreads", options.maxThreads ?? availableParallelism());
    this.#maxQueue = nonNegative("maxQueue", options.maxQueue ?? 1024);
    this.#depth = positive("depth", options.depth ?? 8);
    this.#bytes = positive("bytes", options.bytes ?? 1 << 20);
    this.#limits = options.resourceLimits;
    for (let i = SLOTS - 1; i >= 0; i--) this.#freeSlots.push(i);
    this.#results = new SharedChan<JobReport>(1024, { bytes: 4 * this.#bytes, waiters: 256 });
    const st = this.#results._state;
    this.#resultCase = [{ kind: C_RECV, st, enc: null, watch: null }];
    this.#resultChans = [st];
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
    if (this.#stopped) return Promise.reject(new ThreadPoolStoppedError("submit: the thread pool is stopped"));
    if (this.#queue.length < this.#maxQueue && this.#spaceWaiters.length === 0) return this.#enqueue(fn, args, options);
    return new Promise<void>((resolve) => this.#spaceWaiters.push(resolve)).then(() =>
      this.#stopped ? Promise.reject(new ThreadPoolStoppedError("submit: the thread pool is stopped")) : this.#enqueue(fn, args, options),
    );
  }

  /**
   * Like {@link ThreadPool.submit}, but throws ThreadQueueFullError at once
   * (synchronously) instead of waiting for queue space.
   */
  trySubmit<K extends JobName<M>>(fn: K, args: JobArgs<M, K>, options?: ThreadJobOptions): Promise<JobResult<M, K>> {
    if (this.#stopped) throw new ThreadPoolStoppedError("trySubmit: the thread pool is stopped");
    if (this.#queue.length >= this.#maxQueue || this.#spaceWaiters.length > 0) {
      // A queue of 0 still accepts a job a thread can take at once.
      if (!(this.#maxQueue === 0 && this.#spaceWaiters.length === 0 && this.#hasRoom())) throw new ThreadQueueFullError(this.#maxQueue);
    }
    return this.#enqueue(fn, args, options);
  }

  /**
   * Stops accepting jobs and drops the queue (those jobs and waiting
   * submitters reject with ThreadPoolStoppedError); jobs already handed to
   * threads finish; then the threads exit. Resolves when they have.
   */
  stop(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      const dropped = this.#queue.splice(0);
      for (const j of dropped) this.#settle(j, false, new ThreadPoolStoppedError("the thread pool was stopped before the job ran"));
      for (const w of this.#spaceWaiters.splice(0)) w();
    }
    return this.#finish();
  }

  /** Stops accepting jobs, runs every queued job, then lets the threads exit. */
  stopAndWait(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      for (const w of this.#spaceWaiters.splice(0)) w();
    }
    return this.#finish();
  }

  /** Changes the thread limit; extra threads finish what they hold and exit. */
  resize(maxThreads: number): void {
    this.#maxThreads = positive("maxThreads", maxThreads);
    const live = this.#threads.filter((t) => !t.retiring);
    for (let i = live.length - 1; i >= this.#maxThreads; i--) live[i]!.retire();
    this.#dispatch();
  }

  /** Counters and current state. */
  metrics(): ThreadPoolMetrics {
    let running = 0;
    for (const t of this.#threads) running += t.assigned.size;
    return {
      threads: this.#threads.length,
      queued: this.#queue.length,
      running,
      completed: this.#completed,
      failed: this.#failed,
      crashed: this.#crashed,
    };
  }

  #enqueue<R>(fn: string, args: unknown, options: ThreadJobOptions | undefined): Promise<R> {
    if (typeof fn !== "string") return Promise.reject(new TypeError(`submit: fn must be the name of an exported function, got ${typeof fn}`));
    if (!Array.isArray(args)) return Promise.reject(new TypeError(`submit: args must be an array, got ${typeof args}`));
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const timeout = options?.timeout;
    if (timeout !== undefined && !(timeout > 0)) return Promise.reject(new RangeError(`submit: timeout must be a positive number of ms, got ${timeout}`));
    let job!: Job;
    const p = new Promise<R>((resolve, reject) => {
      job = new Job(this.#nextId++, fn, args as unknown[], resolve as (v: unknown) => void, reject);
    });
    this.#pending++;
    if (signal !== undefined) {
      job.signal = signal;
      job.onAbort = (): void => this.#cancel(job, signal.reason);
      signal.addEventListener("abort", job.onAbort, { once: true });
    }
    if (timeout !== undefined) (job as Job & { timeout?: number }).timeout = timeout;
    this.#queue.push(job);
    this.#dispatch();
    return p;
  }

  #hasRoom(): boolean {
    return this.#threads.length < this.#maxThreads || this.#threads.some((t) => !t.retiring && t.assigned.size < this.#depth);
  }

  /** Hands queued jobs to threads with room, starting threads as needed. */
  #dispatch(): void {
    while (this.#queue.length > 0) {
      const t = this.#pick();
      if (t === null) break;
      const job = this.#queue[0]!;
      const slot = this.#freeSlots.pop();
      if (slot === undefined) break;
      Atomics.store(this.#control, slot, SLOT_QUEUED);
      let sent: boolean;
      try {
        sent = t.jobs.trySend([job.id, slot, job.fn, job.args]);
      } catch (e) {
        this.#freeSlot(slot);
        this.#queue.shift();
        this.#settle(job, false, e); // arguments that cannot cross
        continue;
      }
      if (!sent) {
        this.#freeSlot(slot);
        break; // no room in its channel's memory: retried on the next report
      }
      this.#queue.shift();
      job.state = DISPATCHED;
      job.slot = slot;
      job.thread = t;
      t.assigned.add(job);
      this.#bySlot[slot] = job;
      const timeout = (job as Job & { timeout?: number }).timeout;
      if (timeout !== undefined && job.timer === null) {
        job.timer = setTimeout(() => this.#cancel(job, new ThreadJobTimeoutError(job.fn, timeout)), timeout);
      }
    }
    while (this.#spaceWaiters.length > 0 && this.#queue.length < this.#maxQueue) this.#spaceWaiters.shift()!();
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
      if (t.terminating || t.assigned.size >= this.#depth) continue;
      if (best === null || t.assigned.size < best.assigned.size) best = t;
    }
    if (best !== null && best.assigned.size === 0) return best;
    if (live < this.#maxThreads) return this.#spawn();
    return best;
  }

  #spawn(): PoolThread {
    const t = new PoolThread({ module: this.#module, results: this.#results.handle, control: this.#control.buffer as SharedArrayBuffer }, this.#depth, this.#bytes, this.#limits);
    this.#threads.push(t);
    if (!this.#reffed) t.worker.unref();
    t.worker.on("exit", (code) => this.#exited(t, code));
    return t;
  }

  /** Rejects a job now: withdrawn if queued or not started, else its thread is terminated. */
  #cancel(job: Job, reason: unknown): void {
    if (job.state === SETTLED) return;
    if (job.state === QUEUED) {
      const i = this.#queue.indexOf(job);
      if (i >= 0) this.#queue.splice(i, 1);
      this.#settle(job, false, reason);
      this.#dispatch();
      return;
    }
    const t = job.thread as PoolThread;
    if (Atomics.compareExchange(this.#control, job.slot, SLOT_QUEUED, SLOT_CANCELLED) !== SLOT_QUEUED && !t.terminating) {
      // Running: only terminating its thread stops it.
      t.terminating = true;
      void t.worker.terminate();
    }
    this.#settle(job, false, reason);
  }

  #settle(job: Job, ok: boolean, value: unknown): void {
    if (job.settle(ok, value)) {
      this.#pending--;
      if (ok) this.#completed++;
      else this.#failed++;
    }
  }

  #freeSlot(slot: number): void {
    Atomics.store(this.#control, slot, SLOT_FREE);
    this.#bySlot[slot] = null;
    this.#freeSlots.push(slot);
  }

  /** Drains the results channel; ends when the pool closes it. */
  async #pump(): Promise<void> {
    for (;;) {
      // Not holding the process open: threads do that while there is work.
      const r = await run(this.#resultCase, this.#resultChans, null, false);
      if (!r.ok) return;
      this.#report(r.value as JobReport);
      for (let more = this.#results.tryRecv(); more !== undefined && more.ok; more = this.#results.tryRecv()) {
        this.#report(more.value);
      }
      this.#dispatch();
    }
  }

  #report([, slot, status, payload]: JobReport): void {
    const job = this.#bySlot[slot];
    this.#freeSlot(slot);
    if (job == null) return;
    job.thread?.assigned.delete(job);
    job.slot = -1;
    if (status === DONE) this.#settle(job, true, payload);
    else if (status === FAILED) {
      const [error, name] = payload as [unknown, string | undefined];
      if (error instanceof Error && name !== undefined && error.name !== name) error.name = name;
      this.#settle(job, false, error);
    }
  }

  #exited(t: PoolThread, code: number): void {
    threadExited(t.threadId);
    const i = this.#threads.indexOf(t);
    if (i >= 0) this.#threads.splice(i, 1);
    // Reports it sent before dying are still in the results channel.
    for (let r = this.#results.tryRecv(); r !== undefined && r.ok; r = this.#results.tryRecv()) this.#report(r.value);
    // Jobs it never took go back to the head of the queue, in order.
    const back: Job[] = [];
    for (let r = t.jobs.tryRecv(); r !== undefined && r.ok; r = t.jobs.tryRecv()) {
      const slot = r.value[1];
      const job = this.#bySlot[slot];
      this.#freeSlot(slot);
      if (job == null) continue;
      t.assigned.delete(job);
      if (job.state === SETTLED) continue; // cancelled before it started
      job.state = QUEUED;
      job.thread = null;
      job.slot = -1;
      back.push(job);
    }
    this.#queue.unshift(...back);
    const unexpected = !t.retiring && !t.terminating;
    if (unexpected) this.#crashed++;
    for (const job of t.assigned) {
      if (job.slot >= 0) this.#freeSlot(job.slot);
      job.slot = -1;
      this.#settle(job, false, new ThreadCrashedError(job.fn, code, t.error));
    }
    t.assigned.clear();
    this.#dispatch();
  }

  #inFlight(): number {
    let n = 0;
    for (const t of this.#threads) n += t.assigned.size;
    return n;
  }

  #updateRefs(): void {
    if (this.#draining) return;
    let busy = this.#queue.length > 0;
    for (const t of this.#threads) if (t.assigned.size > 0) busy = true;
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
      if (!this.#results.closed) this.#results.close();
      resolve();
    }
    return this.#stopDone;
  }
}

function positive(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`ThreadPool: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!(Number.isInteger(v) && v >= 0) && v !== Infinity) throw new RangeError(`ThreadPool: ${name} must be a non-negative integer, got ${String(v)}`);
  return v;
}

