/**
 * Streamed jobs, the caller's side: `pool.stream(fn, args)` runs a generator
 * (or any iterable) exported by the jobs module on a thread and returns a
 * {@link ThreadStream}, an AsyncIterable of what it yields.
 *
 * The values travel through a bounded SharedChan made for the stream (its
 * `buffer` places): the thread parks when it is full, so a slow consumer
 * slows the job, never the other way round. Who closes the channel decides
 * how the stream ends, and each path settles everything:
 * - The job settles (returned, threw, crashed, timed out, cancelled): the pool
 *   closes the channel. Every value the job sent is already in it (the thread
 *   reports only after its last send completed), so the consumer drains them,
 *   then sees the close, then the job's outcome: the end, or its error (with
 *   the remote stack), ThreadCrashedError, the abort reason.
 * - The consumer stops early (`break`, `return()`, `await using`): the
 *   channel is closed from this side; the thread's next send fails, which
 *   ends the job normally (the generator's `finally` blocks run) and frees
 *   the thread. A job that had not started yet never runs its generator.
 * - The signal aborts: the job is cancelled as any other (withdrawn if
 *   queued, its thread terminated if running), and the consumer's pending
 *   `next()` rejects with the reason at once.
 *
 * @module
 */
/// <reference lib="esnext.disposable" preserve="true" />
import type { TransferListItem, Worker } from "node:worker_threads";
import { SharedChan } from "./shared-chan.js";
import { STREAM_ANSWER, STREAM_ASK, STREAM_TOKEN } from "./stream-pump.js";

/**
 * Options of `pool.stream()`: those of a job, plus the stream channel's size.
 *
 * @example
 * ```ts
 * import type { ThreadStreamOptions } from "@gochan/threads";
 * const options: ThreadStreamOptions = { buffer: 64, signal: AbortSignal.timeout(60_000) };
 * ```
 */
export interface ThreadStreamOptions {
  /** Aborting it cancels the job (withdrawn if not started, else its thread is terminated) and rejects the consumer's `next()`. */
  signal?: AbortSignal | undefined;
  /** Milliseconds from hand-off to a thread; then the stream rejects with ThreadJobTimeoutError. */
  timeout?: number | undefined;
  /** ArrayBuffers and MessagePorts in `args` to move rather than copy (see `ThreadJobOptions.transfer`). */
  transfer?: readonly TransferListItem[] | undefined;
  /**
   * Values the job may run ahead of the consumer (the channel's capacity).
   * @defaultValue 16
   */
  buffer?: number | undefined;
  /**
   * Bytes of shared memory for the values in flight; a larger value fails the job with ValueTooLargeError.
   * @defaultValue 65536
   */
  bytes?: number | undefined;
}

/** The streams of one pool, by id, for the threads that ask for their channels. @internal */
export class StreamHub {
  readonly #open = new Map<number, SharedChan<unknown>>();
  #next = 1;

  /** A new stream's id and channel. */
  open(buffer: number, bytes: number): [number, SharedChan<unknown>] {
    const id = this.#next++;
    const ch = new SharedChan<unknown>(buffer, { bytes, waiters: 4 });
    this.#open.set(id, ch);
    return [id, ch];
  }

  /** The token a stream job carries as its last argument. */
  token(id: number): Record<string, number> {
    return { [STREAM_TOKEN]: id };
  }

  /** Answers a thread's request for a stream's handle (null once it ended). */
  answer(worker: Worker, m: unknown): void {
    if (!Array.isArray(m) || m[0] !== STREAM_ASK) return;
    const id = m[1] as number;
    const ch = this.#open.get(id);
    worker.postMessage([STREAM_ANSWER, id, ch === undefined || ch.closed ? null : ch.handle]);
  }

  /** Ends stream `id`: forgets it and closes its channel (values in it stay readable). */
  end(id: number): void {
    const ch = this.#open.get(id);
    if (ch === undefined) return;
    this.#open.delete(id);
    if (!ch.closed) ch.close();
  }
}

/**
 * What `pool.stream()` returns: the values a job yields on a thread, as an
 * AsyncIterable with backpressure. Iterate it once, with `for await`:
 * it ends when the job returns, throws the job's error (remote stack
 * included) if it throws, and stops the job if the loop stops early.
 *
 * @typeParam Y - the type of the values the job yields.
 *
 * @example
 * ```ts
 * import { ThreadPool } from "@gochan/threads";
 * // jobs.ts: export function* primes(limit: number) { ... yield p ... }
 * const pool = new ThreadPool<{ primes(limit: number): Generator<number> }>({ module: new URL("./jobs.js", import.meta.url) });
 * for await (const p of pool.stream("primes", [1_000_000])) {
 *   if (p > 1000) break; // the job stops, its thread is free again
 *   console.log(p);
 * }
 * ```
 */
export class ThreadStream<Y> implements AsyncIterableIterator<Y>, AsyncDisposable {
  readonly #ch: SharedChan<unknown>;
  readonly #end: () => void;
  readonly #result: Promise<unknown>;
  readonly #signal: AbortSignal | undefined;
  #finished = false;
  #returned = false;

  /** @internal Made by `pool.stream()`. */
  constructor(ch: SharedChan<unknown>, result: Promise<unknown>, end: () => void, signal: AbortSignal | undefined) {
    this.#ch = ch;
    this.#result = result;
    this.#end = end;
    this.#signal = signal;
  }

  /**
   * The next value; `done` once the job returned and every value was read.
   * Rejects with the job's error, ThreadCrashedError, ThreadJobTimeoutError or
   * the signal's reason.
   *
   * @example
   * ```ts
   * import { ThreadPool } from "@gochan/threads";
   * const pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url) });
   * const s = pool.stream<number>("count", [3]);
   * console.log(await s.next()); // { value: 0, done: false }
   * await s.return();
   * ```
   */
  async next(): Promise<IteratorResult<Y, undefined>> {
    if (this.#finished) return { value: undefined, done: true };
    let r;
    try {
      r = await this.#ch.recvOk(this.#signal);
    } catch (e) {
      this.#finished = true;
      throw e;
    }
    if (r.ok) return { value: r.value as Y, done: false };
    this.#finished = true;
    await this.#result; // closed: the job settled, or return() was called
    return { value: undefined, done: true };
  }

  /**
   * Stops the stream: the job ends at its next send (or never starts) and
   * values not read yet are dropped with the channel. `for await` calls it
   * on `break`.
   *
   * @example
   * ```ts
   * import { ThreadPool } from "@gochan/threads";
   * const pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url) });
   * const s = pool.stream<number>("count", [1e9]);
   * await s.next();
   * await s.return(); // the job stops
   * ```
   */
  return(): Promise<IteratorResult<Y, undefined>> {
    if (!this.#finished) this.#returned = true;
    this.#finished = true;
    this.#end();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** @internal Whether the consumer stopped before it could see the job's outcome. */
  get abandoned(): boolean {
    return this.#returned;
  }

  /** Itself: a stream is iterated once. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * `await using s = pool.stream(...)` stops the stream when the scope ends
   * (as {@link ThreadStream.return}).
   *
   * @example
   * ```ts
   * import { ThreadPool } from "@gochan/threads";
   * const pool = new ThreadPool({ module: new URL("./jobs.js", import.meta.url) });
   * {
   *   await using s = pool.stream<number>("count", [1e9]);
   *   await s.next();
   * } // the job stops here
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}
