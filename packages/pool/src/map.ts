/**
 * Pull-based map: `pool.map(input, fn)` and `pool.mapStream(input, fn)` run
 * `fn` on every item of an iterable or async iterable as jobs of the pool,
 * taking the next item from the input only when one of the map's jobs has
 * settled. Nothing waits in a queue of its own: a map of a billion items
 * holds at most `concurrency` jobs (and, streaming, `lookahead` results) at a
 * time, and its jobs share the pool's workers, queue, metrics, events,
 * timeouts and shutdown with every other job.
 *
 * Invariants:
 * - `inFlight` (jobs of this map accepted by the pool and not yet settled)
 *   never exceeds `concurrency`; streaming, `count - head` (items taken and
 *   not yet yielded) never exceeds `lookahead`.
 * - At most one call into the source is in progress (`pulling`); an async
 *   source has at most one `next()` pending.
 * - `ended` is set once, with the outcome, before anything that can run user
 *   code (cancelling jobs, aborting the map's signal, the source's
 *   `return()`, settling the promise). After it, no item is taken and no job
 *   is submitted.
 * - The source's `return()` is called exactly when the map ends before the
 *   source is exhausted and the source did not fail (as `for...of` does), and
 *   never while its `next()` is running.
 * - Every job's outcome reaches `record` once (lifecycle.ts settles it), so
 *   `inFlight` is exact.
 *
 * Every item climbs the same ladder (`pull`): ended? -> pool stopped? ->
 * window full? -> take the source's next item (done: finish when the last
 * job settles) -> submit its job. Every job's end climbs one too (`record`,
 * then `announce`): ended? -> store the result (or collect the error) or end
 * the map -> pull.
 *
 * Fairness with the pool's other jobs: a map has no lane of its own. Its
 * next item is taken in the call-outs of the settling job (record/announce,
 * run by the worker whose job just returned), and the engine hands it to
 * that worker at once only when no job waits in the pool's queue or line
 * (engine.ts, `accept`); otherwise it queues behind them like any submit. So
 * a map never holds a worker past its job against a waiting submitter, and
 * a submitter never waits for more than the jobs queued before it.
 *
 * The map is a JobGroup (job.ts) whose jobs are the pool's group jobs, so
 * lifecycle.ts settles them with no special case: their kind in events is
 * "group", and their signal, when nothing else can cancel them, is the map's
 * own signal (aborted when the map ends early).
 *
 * @module
 */
import type { Closer, Engine } from "./engine.js";
import { PoolStoppedError } from "./errors.js";
import { BLOCKED, type GroupJob, type JobGroup } from "./job.js";
import type { JobOutcome } from "./metrics.js";
import { checkCount, checkDelay, checkObject, checkSignal, describe, type JobOptions } from "./options.js";
import { Results } from "./results.js";
import { MAX_CAPACITY } from "@gochan/core";

/**
 * What `pool.map` and `pool.mapStream` call for each item: the item, its
 * position in the input (from 0), and the job's signal (see
 * {@link JobFunction}). What it returns (or its promise resolves to) is the
 * item's result; what it throws (or rejects with) is the item's error.
 *
 * @typeParam T - the input's items.
 * @typeParam R - the results.
 *
 * @example
 * ```ts
 * import type { MapFunction } from "@gochan/pool";
 * const status: MapFunction<string, number> = async (url, _index, signal) => (await fetch(url, { signal })).status;
 * ```
 */
export type MapFunction<T, R> = (item: T, index: number, signal: AbortSignal) => R | PromiseLike<R>;

/**
 * Options of `pool.map`.
 *
 * @example
 * ```ts
 * import { Pool, type MapOptions } from "@gochan/pool";
 * const pool = new Pool({ maxWorkers: 16, maxQueue: 100 });
 * const options: MapOptions = { concurrency: 4, stopOnError: false, timeout: 5_000, signal: AbortSignal.timeout(60_000) };
 * const sizes = await pool.map(["a", "bb"], (s) => s.length, options);
 * ```
 */
export interface MapOptions {
  /**
   * How many of the map's jobs may be in the pool at once (queued or
   * running): an integer from 1 to 2^31-1. The pool's `maxWorkers` still
   * limits how many run, shared with every other job of the pool.
   * @defaultValue the pool's `maxWorkers` when the map starts
   */
  concurrency?: number | undefined;
  /**
   * true: the first error (a job's, or the source's) ends the map: no further
   * item is taken, the source's `return()` is called, the map's other jobs
   * are cancelled (queued ones never run, running ones have their signal
   * aborted with the error), and the map rejects with that error.
   * false: every item runs; the map rejects at the end with an
   * `AggregateError` of the jobs' errors in input order (as p-map's
   * `stopOnError: false`). The source failing, the map's signal and the pool
   * stopping end the map in either mode.
   * @defaultValue true
   */
  stopOnError?: boolean | undefined;
  /**
   * Cancels the map: no further item is taken, the source's `return()` is
   * called, the map's jobs are cancelled (queued ones never run, running ones
   * have their signal aborted) and the map rejects with the signal's reason.
   * @defaultValue undefined
   */
  signal?: AbortSignal | undefined;
  /**
   * Milliseconds each job may run, counted from its start, as
   * {@link JobOptions.timeout}: a job that exceeds it fails with
   * {@link JobTimeoutError}. Each job then gets a signal of its own (about
   * 4.5 us per job on Node 20).
   * @defaultValue Infinity
   */
  timeout?: number | undefined;
}

/**
 * Options of `pool.mapStream`: those of `pool.map`, and how far the stream
 * may run ahead of its reader.
 *
 * @example
 * ```ts
 * import { Pool, type MapStreamOptions } from "@gochan/pool";
 * const pool = new Pool({ maxWorkers: 8, maxQueue: 100 });
 * const options: MapStreamOptions = { concurrency: 8, lookahead: 64 };
 * for await (const n of pool.mapStream([1, 2, 3], (x) => x * 2, options)) console.log(n);
 * ```
 */
export interface MapStreamOptions extends MapOptions {
  /**
   * How many items may be taken from the source and not yet yielded (running,
   * or done and waiting for an earlier item or for the reader): an integer
   * from 1 to 2^31-1. A reader that stops reading stops the map after this
   * many; a slow item holds back at most this many later ones. Below
   * `concurrency` it also limits how many jobs run.
   * @defaultValue twice `concurrency`
   */
  lookahead?: number | undefined;
}

/** Map states (the outcome is decided once). */
const OPEN = 0; // taking items
const DONE = 1; // source exhausted and every job succeeded (or, collecting, settled)
const FAILED = 2; // ended early with `error`

/** A stream's result slot. */
const EMPTY = 0;
const FILLED = 1;
const SKIPPED = 2; // the job failed while collecting errors: nothing to yield

type Source<T> = Iterator<T> | AsyncIterator<T>;
type Waiter<R> = { resolve: (r: IteratorResult<R, undefined>) => void; reject: (error: unknown) => void };

const DONE_RESULT: IteratorResult<never, undefined> = Object.freeze({ done: true, value: undefined });

function ignore(): void {}

/** The validated options of a map, and its source. @internal */
export interface MapPlan<T, R> {
  source: () => Source<T>;
  async: boolean;
  fn: MapFunction<T, R>;
  concurrency: number;
  lookahead: number;
  stopOnError: boolean;
  signal: AbortSignal | null;
  job: JobOptions | undefined;
  /** How many items the input holds, if known up front (an array): the results are allocated at that size. */
  size: number;
}

/**
 * Validates the arguments of `pool.map` / `pool.mapStream`.
 * @internal
 */
export function plan<T, R>(
  where: string,
  maxWorkers: number,
  input: unknown,
  fn: unknown,
  options: MapStreamOptions | undefined,
  stream: boolean,
): MapPlan<T, R> {
  let async: boolean;
  let make: unknown;
  if (input !== null && input !== undefined && typeof (make = (input as AsyncIterable<T>)[Symbol.asyncIterator]) === "function") {
    async = true;
  } else if (input !== null && input !== undefined && typeof (make = (input as Iterable<T>)[Symbol.iterator]) === "function") {
    async = false;
  } else {
    throw new TypeError(`${where}: input must be an iterable or an async iterable, got ${describe(input)}`);
  }
  if (typeof fn !== "function") throw new TypeError(`${where}: fn must be a function, got ${describe(fn)}`);
  checkObject(where, "options", options);
  const concurrency =
    options?.concurrency === undefined ? maxWorkers : checkCount(where, "concurrency", options.concurrency, MAX_CAPACITY);
  let lookahead = Infinity;
  if (stream) {
    lookahead =
      options?.lookahead === undefined
        ? Math.min(2 * concurrency, MAX_CAPACITY)
        : checkCount(where, "lookahead", options.lookahead, MAX_CAPACITY);
  }
  const stopOnError = options?.stopOnError;
  if (stopOnError !== undefined && typeof stopOnError !== "boolean") {
    throw new TypeError(`${where}: stopOnError must be a boolean, got ${describe(stopOnError)}`);
  }
  const signal = checkSignal(where, options?.signal);
  const timeout = checkDelay(where, "timeout", options?.timeout);
  const target = input as object;
  const method = make as () => Source<T>;
  return {
    source: () => {
      const it = method.call(target);
      if (typeof it !== "object" || it === null) {
        throw new TypeError(`${where}: the input's iterator is ${describe(it)}, not an object`);
      }
      return it;
    },
    async,
    fn: fn as MapFunction<T, R>,
    concurrency,
    lookahead,
    stopOnError: stopOnError !== false,
    signal,
    job: timeout === Infinity ? undefined : { timeout },
    // A hint only: an array may grow or shrink while it is iterated.
    size: Array.isArray(input) ? input.length : 0,
  };
}

/**
 * One run of a map: takes items, submits their jobs, and collects their
 * results (an array, or a ring of `lookahead` slots for a stream).
 * @internal
 */
export class MapRun<T, R> implements JobGroup, Closer {
  /** The engine gives a map's jobs the map's signal unless something else can cancel them. */
  readonly failFast = true;
  private readonly engine: Engine;
  private readonly fn: MapFunction<T, R>;
  private readonly concurrency: number;
  private readonly lookahead: number;
  private readonly stopOnError: boolean;
  private readonly userSignal: AbortSignal | null;
  private readonly jobOptions: JobOptions | undefined;
  private readonly async: boolean;
  private readonly makeSource: () => Source<T>;
  private source: Source<T> | null = null;
  /** A call into the source is in progress (sync: running; async: its promise pending). */
  private pulling = false;
  /** The source said done, or failed: never call it again. */
  private sourceDone = false;
  /** The map ended while a sync `next()` ran: call `return()` once it has returned. */
  private closeLater = false;

  /** Items taken so far (the next item's index). */
  private count = 0;
  private inFlight = 0;
  /**
   * The unsettled jobs by slot, to cancel when the map ends early, and each
   * slot's item index. A map job's `index` (GroupJob) is its slot: slots are
   * reused, so this costs no allocation per job (a Set of jobs cost some
   * 70 ns per job, a third of the whole).
   */
  private readonly slots: (GroupJob | null)[] = [];
  private readonly itemIndex: number[] = [];
  private readonly freeSlots: number[] = [];
  /**
   * Each slot's item, until its job function reads it, and each slot's job
   * function, made once per slot: a slot is reused only once its job has
   * settled, and a settled job's function is never called later (engine
   * begin), so the function reads its own item.
   */
  private readonly items: (T | undefined)[] = [];
  private readonly calls: ((signal: AbortSignal) => R | PromiseLike<R>)[] = [];

  state = OPEN;
  private error: unknown = undefined;
  /** Whether ending early cancels the map's jobs and aborts its signal (not when the pool stops). */
  private cancelJobs = false;
  private readonly errors: { index: number; error: unknown }[] = [];
  private ctl: AbortController | null = null;
  private sig: AbortSignal | null = null;

  /** map(): the results, and its promise. */
  private readonly results: Results | null;
  private resolveAll: ((results: R[]) => void) | null = null;
  private rejectAll: ((error: unknown) => void) | null = null;

  /** mapStream(): the next index to yield, the ring of results, the readers waiting. */
  private head = 0;
  private readonly ring: unknown[] | null;
  /** Grown as used, up to `lookahead` slots (which may be large): EMPTY where unset. */
  private readonly marks: number[] | null;
  private readonly waiters: Waiter<R>[] = [];
  /** The stream has told its reader how it ended (the error, or the AggregateError). */
  private told = false;

  private readonly onNext = (r: IteratorResult<T>): void => this.took(r);
  private readonly onNextError = (error: unknown): void => {
    this.pulling = false;
    this.sourceFailed(error);
  };

  constructor(engine: Engine, plan: MapPlan<T, R>, stream: boolean) {
    this.engine = engine;
    this.fn = plan.fn;
    this.concurrency = plan.concurrency;
    this.lookahead = plan.lookahead;
    this.stopOnError = plan.stopOnError;
    this.userSignal = plan.signal;
    this.jobOptions = plan.job;
    this.async = plan.async;
    this.makeSource = plan.source;
    if (stream) {
      this.results = null;
      this.ring = [];
      this.marks = [];
    } else {
      this.results = new Results(plan.size);
      this.ring = null;
      this.marks = null;
    }
  }

  // ------------------------------------------------------------- start

  /** map(): starts taking items; resolves with the results in input order. */
  all(): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      this.resolveAll = resolve;
      this.rejectAll = reject;
      this.start();
    });
  }

  /** Starts the map: watches the signals, gets the source's iterator, takes the first items. */
  private start(): void {
    const signal = this.userSignal;
    if (signal !== null && signal.aborted) {
      this.sourceDone = true; // never opened
      this.end(signal.reason, false);
      this.conclude();
      return;
    }
    if (this.engine.isStopped) {
      this.sourceDone = true;
      this.end(new PoolStoppedError("map: the pool is stopped"), false);
      this.conclude();
      return;
    }
    try {
      this.source = this.makeSource();
    } catch (error) {
      this.sourceFailed(error);
      return;
    }
    if (this.state !== OPEN) return; // its creation re-entered and ended the map
    this.engine.closers.add(this);
    if (signal !== null) signal.addEventListener("abort", this);
    this.pull();
  }

  // -------------------------------------------------------------- pull

  /** Takes items and submits their jobs while the window allows. */
  private pull(): void {
    while (
      this.state === OPEN &&
      !this.pulling &&
      !this.sourceDone &&
      this.inFlight < this.concurrency &&
      this.count - this.head < this.lookahead
    ) {
      if (this.engine.isStopped) {
        this.end(new PoolStoppedError("map: the pool is stopped"), false);
        this.conclude();
        return;
      }
      this.pulling = true;
      let r: unknown;
      try {
        r = (this.source as Source<T>).next();
      } catch (error) {
        this.pulling = false;
        this.sourceFailed(error);
        return;
      }
      if (this.async) {
        // One next() pending at a time; took() resumes the loop.
        Promise.resolve(r as Promise<IteratorResult<T>>).then(this.onNext, this.onNextError);
        return;
      }
      if (!this.take(r)) break;
    }
    this.finishIfDone();
  }

  /** An async source's next() resolved. */
  private took(r: IteratorResult<T>): void {
    if (this.take(r)) this.pull();
    else this.finishIfDone();
  }

  /**
   * Submits the job of the item in `r` (the source's answer; `pulling` is
   * still set). False if there is no item, or the map cannot go on.
   */
  private take(r: unknown): boolean {
    let done: boolean;
    let item: T | undefined;
    try {
      if (typeof r !== "object" || r === null) {
        throw new TypeError(`map: the input's iterator returned ${describe(r)} from next(), not an iterator result`);
      }
      done = Boolean((r as IteratorResult<T>).done); // as for...of reads it
      if (!done) item = (r as IteratorYieldResult<T>).value;
    } catch (error) {
      this.pulling = false;
      this.sourceFailed(error);
      return false;
    }
    this.pulling = false;
    if (done) {
      this.sourceDone = true;
      return false;
    }
    if (this.state !== OPEN) {
      // The map ended while the source was busy producing this item.
      if (this.closeLater) this.closeSource();
      return false;
    }
    if (this.engine.isStopped) {
      // next() stopped the pool: the item is taken, so the source is not done.
      this.end(new PoolStoppedError("map: the pool is stopped"), false);
      this.conclude();
      return false;
    }
    this.submit(item as T);
    return true;
  }

  private submit(item: T): void {
    const index = this.count++;
    const slot = this.freeSlots.length > 0 ? (this.freeSlots.pop() as number) : this.newSlot();
    this.items[slot] = item;
    this.itemIndex[slot] = index;
    const job = this.engine.groupJob(this, slot, this.calls[slot], this.jobOptions) as GroupJob;
    this.slots[slot] = job;
    this.inFlight++;
    const admitted = this.engine.acceptGroupJob(job);
    // Waiting for queue space: its refusal (a stop) also reaches record().
    if (job.state === BLOCKED) admitted.then(undefined, ignore);
  }

  private newSlot(): number {
    const slot = this.slots.length;
    const fn = this.fn;
    const items = this.items;
    const itemIndex = this.itemIndex;
    this.calls.push((signal: AbortSignal): R | PromiseLike<R> => {
      const item = items[slot] as T;
      items[slot] = undefined;
      return fn(item, itemIndex[slot] as number, signal);
    });
    this.slots.push(null);
    return slot;
  }

  /** The source threw or rejected (from next(), a result's getters, or making it): the map fails. */
  private sourceFailed(error: unknown): void {
    this.sourceDone = true;
    if (this.state !== OPEN) return;
    this.end(error, true);
    this.conclude();
  }

  // ----------------------------------------------------------- settle

  /** A job of the map settled (lifecycle.ts, state step): store its result or end the map. */
  record(job: GroupJob, outcome: JobOutcome, value: unknown): boolean {
    this.inFlight--;
    const slot = job.index;
    const index = this.itemIndex[slot] as number;
    this.slots[slot] = null;
    this.items[slot] = undefined; // a job that never started keeps nothing
    this.freeSlots.push(slot);
    if (this.state !== OPEN) {
      if (this.inFlight === 0) this.unwatch();
      return false;
    }
    if (outcome === "succeeded") {
      this.store(index, FILLED, value);
    } else if (outcome === "failed" && !this.stopOnError) {
      this.errors.push({ index, error: value });
      this.store(index, SKIPPED, undefined);
    } else {
      // A job's error (stopping on errors), or the pool dropped or cancelled
      // the job (stop, the pool's signal): the map ends with it.
      this.end(value, outcome === "failed");
      return true;
    }
    return false;
  }

  private store(index: number, mark: number, value: unknown): void {
    if (this.results !== null) {
      if (mark === FILLED) this.results.set(index, value);
    } else {
      const slot = index % this.lookahead;
      (this.ring as unknown[])[slot] = value;
      (this.marks as number[])[slot] = mark;
    }
  }

  /** A job of the map settled (lifecycle.ts, call-out step). */
  announce(first: boolean): void {
    if (first) {
      this.conclude();
      return;
    }
    if (this.state !== OPEN) return;
    this.pull();
    if (this.ring !== null) this.serve();
  }

  /** The source is exhausted and every job has settled: the map is done. */
  private finishIfDone(): void {
    if (this.state !== OPEN || !this.sourceDone || this.pulling || this.inFlight > 0) return;
    if (this.errors.length > 0) {
      this.end(aggregate(this.errors, this.count), false);
      this.conclude();
      return;
    }
    this.state = DONE;
    this.unwatch();
    if (this.results !== null) {
      const resolve = this.resolveAll as (results: R[]) => void;
      this.resolveAll = null;
      this.rejectAll = null;
      resolve(this.results.take(this.count) as R[]);
    } else {
      this.serve();
    }
  }

  // --------------------------------------------------------------- end

  /** Ends the map early: state only, no user code. */
  private end(error: unknown, cancelJobs: boolean): void {
    this.state = FAILED;
    this.error = error;
    this.cancelJobs = cancelJobs;
    this.unwatch();
  }

  /**
   * Stops watching the pool and the map's signal. The signal stays watched
   * while jobs of an ended map are still in the pool (a drain runs them): its
   * abort still cancels them.
   */
  private unwatch(): void {
    this.engine.closers.delete(this);
    if (this.userSignal !== null && this.inFlight === 0) this.userSignal.removeEventListener("abort", this);
  }

  /**
   * After end(): the call-outs, each of which may run user code that
   * re-enters (the map is already ended): cancel the jobs, abort the map's
   * signal, close the source, then reject.
   */
  private conclude(): unknown {
    const error = this.error;
    if (this.cancelJobs) {
      if (this.inFlight > 0) this.engine.cancelAll(this.liveJobs(), error);
      if (this.ctl !== null && !(this.sig as AbortSignal).aborted) this.ctl.abort(error);
    }
    const closing = this.closeSource();
    if (this.results !== null) {
      const reject = this.rejectAll;
      this.resolveAll = null;
      this.rejectAll = null;
      if (reject !== null) reject(error);
    } else {
      this.serve();
    }
    return closing;
  }

  private liveJobs(): GroupJob[] {
    const jobs: GroupJob[] = [];
    for (const job of this.slots) if (job !== null) jobs.push(job);
    return jobs;
  }

  /**
   * Calls the source's `return()` if it is owed (the source is open and not
   * exhausted), deferring it while a sync `next()` runs. Its errors are the
   * caller's (stream return) or lost to the map's own error.
   */
  private closeSource(): unknown {
    if (this.sourceDone || this.source === null) return undefined;
    if (this.pulling && !this.async) {
      this.closeLater = true;
      return undefined;
    }
    this.sourceDone = true;
    this.closeLater = false;
    const source = this.source;
    if (typeof source.return !== "function") return undefined;
    try {
      const r = source.return();
      if (this.async) Promise.resolve(r).then(undefined, ignore);
      return r;
    } catch (error) {
      const failed = Promise.reject(error);
      failed.then(undefined, ignore); // only a reader's return() reports it
      return failed;
    }
  }

  /** The map's signal aborted: the map ends, or, if it has ended, its jobs still in the pool are cancelled. */
  handleEvent(): void {
    const signal = this.userSignal as AbortSignal;
    signal.removeEventListener("abort", this);
    const reason: unknown = signal.reason;
    if (this.state === OPEN) {
      this.end(reason, true);
      this.conclude();
      return;
    }
    if (this.inFlight > 0) this.engine.cancelAll(this.liveJobs(), reason);
    if (this.ctl !== null && !(this.sig as AbortSignal).aborted) this.ctl.abort(reason);
  }

  /** The pool stopped taking jobs: the map cannot finish. */
  poolClosed(): void {
    if (this.state !== OPEN) return;
    this.end(new PoolStoppedError("map: the pool was stopped"), false);
    this.conclude();
  }

  /** The map's signal, made on first use; aborted when the map ends early (not when the pool stops). */
  signal(): AbortSignal {
    if (this.sig === null) {
      this.ctl = new AbortController();
      this.sig = this.ctl.signal;
      if (this.state === FAILED && this.cancelJobs) this.ctl.abort(this.error);
    }
    return this.sig;
  }

  // ------------------------------------------------------------ stream

  /** The stream's next(): the next result in input order, once it is done. */
  next(): Promise<IteratorResult<R, undefined>> {
    if (this.waiters.length === 0 && !this.told && this.head < this.count) {
      // The next result is ready (the common case for a reader behind its
      // workers): no waiter, no executor.
      const slot = this.head % this.lookahead;
      const marks = this.marks as number[];
      if (marks[slot] === FILLED) {
        const ring = this.ring as unknown[];
        const value = ring[slot] as R;
        ring[slot] = undefined;
        marks[slot] = EMPTY;
        this.head++;
        if (this.state === OPEN) this.pull();
        return Promise.resolve({ done: false, value });
      }
    }
    return new Promise<IteratorResult<R, undefined>>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (this.source === null && this.state === OPEN && !this.sourceDone) this.start();
      else this.serve();
    });
  }

  /**
   * Answers waiting readers: every result done in input order up to the
   * first gap, then how the stream ended (its error once, or done).
   */
  private serve(): void {
    const waiters = this.waiters;
    const marks = this.marks as number[];
    const ring = this.ring as unknown[];
    let opened = false;
    while (waiters.length > 0) {
      if (this.told) {
        (waiters.shift() as Waiter<R>).resolve(DONE_RESULT);
        continue;
      }
      if (this.head < this.count) {
        const slot = this.head % this.lookahead;
        const mark = marks[slot] ?? EMPTY;
        if (mark !== EMPTY) {
          const value = ring[slot];
          ring[slot] = undefined;
          marks[slot] = EMPTY;
          this.head++;
          opened = true;
          if (mark === FILLED) (waiters.shift() as Waiter<R>).resolve({ done: false, value: value as R });
          continue;
        }
      }
      if (this.state === FAILED) {
        this.told = true;
        (waiters.shift() as Waiter<R>).reject(this.error);
        continue;
      }
      if (this.state === DONE) {
        this.told = true;
        (waiters.shift() as Waiter<R>).resolve(DONE_RESULT);
        continue;
      }
      break;
    }
    if (opened && this.state === OPEN) this.pull();
  }

  /** The stream's return(): the reader stopped; the map ends, its jobs are cancelled, the source closed. */
  close(): Promise<IteratorResult<R, undefined>> {
    let closing: unknown;
    this.told = true; // readers get done from now on
    if (this.state === OPEN) {
      if (this.source === null) this.sourceDone = true; // never started
      this.end(new DOMException("the map's reader stopped reading", "AbortError"), true);
      closing = this.conclude();
    }
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w.resolve(DONE_RESULT);
    return Promise.resolve(closing).then(() => DONE_RESULT);
  }
}

function aggregate(errors: { index: number; error: unknown }[], count: number): AggregateError {
  const sorted = errors.sort((a, b) => a.index - b.index).map((e) => e.error);
  return new AggregateError(sorted, `map: ${sorted.length} of ${count} item(s) failed`);
}

/** What a stream needs of its run. @internal */
export interface StreamRun<R> {
  next(): Promise<IteratorResult<R, undefined>>;
  close(): Promise<IteratorResult<R, undefined>>;
}

/**
 * The results of `pool.mapStream`, in input order: an async iterator to read
 * with `for await`. Nothing runs until the first `next()`; `break` (which
 * calls `return()`) ends the map: its jobs are cancelled and the source's
 * `return()` is called.
 *
 * @typeParam R - the results.
 *
 * @example
 * ```ts
 * import { Pool, type MapStream } from "@gochan/pool";
 * const pool = new Pool({ maxWorkers: 4, maxQueue: 16 });
 * const squares: MapStream<number> = pool.mapStream([1, 2, 3], (n) => n * n);
 * for await (const s of squares) console.log(s); // 1, 4, 9
 * ```
 */
export class MapStream<R> implements AsyncIterableIterator<R, undefined, undefined> {
  readonly #run: StreamRun<R>;

  /** @internal Streams are made by `pool.mapStream()`. */
  constructor(run: StreamRun<R>) {
    this.#run = run;
  }

  /**
   * The next result in input order, once its job is done; `{ done: true }`
   * after the last. Rejects with the map's error (the first job error, the
   * source's error, the signal's reason, {@link PoolStoppedError}, or an
   * `AggregateError` at the end when collecting errors), once; then done.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const stream = new Pool({ maxWorkers: 2, maxQueue: 4 }).mapStream(["a"], (s) => s.toUpperCase());
   * console.log(await stream.next()); // { done: false, value: "A" }
   * ```
   */
  next(): Promise<IteratorResult<R, undefined>> {
    return this.#run.next();
  }

  /**
   * Stops reading: the map ends, its queued jobs never run, its running jobs
   * have their signal aborted, and the source's `return()` is called (its
   * error, if any, rejects this call). `for await` calls it on `break`.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const stream = new Pool({ maxWorkers: 2, maxQueue: 4 }).mapStream([1, 2, 3], (n) => n);
   * await stream.next();
   * await stream.return(); // 2 and 3 are not waited for
   * ```
   */
  return(): Promise<IteratorResult<R, undefined>> {
    return this.#run.close();
  }

  /**
   * The stream itself, so that `for await` reads it.
   *
   * @example
   * ```ts
   * import { Pool } from "@gochan/pool";
   * const stream = new Pool({ maxWorkers: 2, maxQueue: 4 }).mapStream([1], (n) => n);
   * for await (const n of stream[Symbol.asyncIterator]()) console.log(n);
   * ```
   */
  [Symbol.asyncIterator](): this {
    return this;
  }
}
