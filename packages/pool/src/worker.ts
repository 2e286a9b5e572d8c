/// <reference lib="esnext.disposable" preserve="true" />
/**
 * The seed's `Worker`, line for line on gochan channels, with its flaws fixed.
 *
 * Go (the seed, from "Handling 1 Million Requests per Minute with Go"):
 *
 * ```go
 * type Worker struct {
 *     WorkerPool chan chan Job
 *     JobChannel chan Job
 *     quit       chan bool
 * }
 *
 * func NewWorker(workerPool chan chan Job) Worker {
 *     return Worker{WorkerPool: workerPool, JobChannel: make(chan Job), quit: make(chan bool)}
 * }
 *
 * func (w Worker) Start() {
 *     go func() {
 *         for {
 *             w.WorkerPool <- w.JobChannel // register as idle
 *             select {
 *             case job := <-w.JobChannel:
 *                 if err := job.Payload.UploadToS3(); err != nil {
 *                     log.Errorf("Error uploading to S3: %s", err.Error())
 *                 }
 *             case <-w.quit:
 *                 return
 *             }
 *         }
 *     }()
 * }
 *
 * func (w Worker) Stop() {
 *     go func() { w.quit <- true }()
 * }
 * ```
 *
 * TypeScript:
 *
 * ```ts
 * import { Chan } from "@gochan/core";
 * import { Worker } from "@gochan/pool";
 * interface Job { payload: { uploadToS3(): Promise<void> } }
 * const maxWorkers = 8;
 * const workerPool = new Chan<Chan<Job>>(maxWorkers);
 * const worker = new Worker(workerPool, (job: Job) => job.payload.uploadToS3());
 * worker.start();
 * // ...
 * await worker.stop();
 * ```
 *
 * What is fixed (flaw numbers of shared/worker-pool.md):
 * - 3: `Stop()` was fire-and-forget, with nothing to wait on, and a second
 *   Stop leaked a goroutine blocked on `quit` forever. Here `stop()` closes
 *   `quit` (a close never blocks, and a second stop is a no-op) and returns a
 *   promise that resolves once the loop has exited, after the current job.
 * - 3: a stopped worker left its `JobChannel` registered on `WorkerPool`, and
 *   the dispatcher handed the next job to that dead worker, where it was lost.
 *   Here stopping also closes `jobChannel`: a dispatcher that receives the stale
 *   registration gets `SendOnClosedError` from its send, keeps the job, and
 *   tries the next worker ({@link Dispatcher} does). Because `jobChannel` is
 *   unbuffered, a job is either taken by the worker's select (and run) or not
 *   delivered at all: never stranded.
 * - 3: registering (`w.WorkerPool <- w.JobChannel`) blocked without regard to
 *   quit; here it is a select with quit, so a stop interrupts it.
 * - 6: errors were only logged, and in JavaScript an uncaught throw would end
 *   the worker's loop. Here an error thrown by the handler goes to `onError`
 *   (or is rethrown as an uncaught exception on a microtask, like a Go panic,
 *   when there is no `onError`), and the worker carries on.
 *
 * @module
 */
import { Chan, isChan, recv, select, send, SendOnClosedError, type RecvCase, type SendChan } from "@gochan/core";
import { abortable, waitSignal, type WaitOptions } from "./abortable.js";
import { reportError, rethrow } from "./errors.js";
import { checkHook, checkObject, describe } from "./options.js";

/**
 * What a worker does with a job (the seed's `job.Payload.UploadToS3()`). It
 * may return a promise; the worker waits for it before taking another job.
 * What it throws or rejects with goes to the `onError` option.
 *
 * @example
 * ```ts
 * import type { JobHandler } from "@gochan/pool";
 * interface Job { payload: { uploadToS3(): Promise<void> } }
 * const upload: JobHandler<Job> = (job) => job.payload.uploadToS3();
 * ```
 */
export type JobHandler<J> = (job: J) => unknown;

/**
 * Options of a {@link Worker} (and of the workers of a {@link Dispatcher}).
 *
 * @example
 * ```ts
 * import type { WorkerOptions } from "@gochan/pool";
 * const options: WorkerOptions<string> = { onError: (error, job) => console.error(`job ${job} failed`, error) };
 * ```
 */
export interface WorkerOptions<J> {
  /**
   * Receives every error the handler throws or rejects with, and the job. The
   * worker keeps running. Without it the error is rethrown as an uncaught
   * exception on a microtask (a Go panic): never silently lost.
   * @defaultValue undefined (rethrow)
   */
  onError?: ((error: unknown, job: J) => void) | undefined;
}

const NEW = 0;
const STARTED = 1;
const STOPPED = 2;

/**
 * The seed's Worker: owns an unbuffered job channel and a quit channel; when
 * idle, registers its job channel on the worker pool (a channel of job
 * channels), then selects between a job and quit.
 *
 * @typeParam J - the job type.
 *
 * @example
 * ```ts
 * import { Chan } from "@gochan/core";
 * import { Worker } from "@gochan/pool";
 * const workerPool = new Chan<Chan<string>>(1);
 * const worker = new Worker(workerPool, (job: string) => console.log("got", job));
 * worker.start();
 * const jobChannel = (await workerPool.recv()) as Chan<string>; // the idle worker's channel
 * await jobChannel.send("hello"); // got hello
 * await worker.stop();
 * ```
 */
export class Worker<J> {
  /** Where the worker registers its job channel when idle: Go's `WorkerPool chan chan Job`. */
  readonly workerPool: SendChan<Chan<J>>;
  /** The worker's own unbuffered job channel. Closed once the worker is stopped. */
  readonly jobChannel: Chan<J>;
  /** Closed by {@link Worker.stop}. */
  readonly quit: Chan<never>;
  readonly #handler: JobHandler<J>;
  readonly #onError: ((error: unknown, job: J) => void) | null;
  #state = NEW;
  readonly #done: Promise<void>;
  #resolveDone: (() => void) | null = null;

  /**
   * Go's `NewWorker(workerPool)`, plus what the worker does with each job.
   *
   * @throws TypeError if `workerPool` is not a gochan channel or `handler` is
   *   not a function.
   */
  constructor(workerPool: SendChan<Chan<J>>, handler: JobHandler<J>, options?: WorkerOptions<J>) {
    if (!isChan(workerPool)) throw new TypeError(`new Worker: workerPool must be a Chan, got ${describe(workerPool)}`);
    if (typeof handler !== "function") {
      throw new TypeError(`new Worker: handler must be a function, got ${describe(handler)}`);
    }
    checkObject("new Worker", "options", options);
    this.workerPool = workerPool;
    this.jobChannel = new Chan<J>();
    this.quit = new Chan<never>();
    this.#handler = handler;
    this.#onError = checkHook("new Worker", "onError", options?.onError);
    this.#done = new Promise<void>((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  /**
   * Starts the worker's loop (Go's `Start()`).
   *
   * @throws Error if the worker was already started or stopped.
   */
  start(): void {
    if (this.#state !== NEW) {
      throw new Error(`Worker.start: the worker was already ${this.#state === STARTED ? "started" : "stopped"}`);
    }
    this.#state = STARTED;
    void this.#loop();
  }

  /**
   * Stops the worker (Go's `Stop()`, fixed): closes `quit` and `jobChannel`,
   * so an idle worker exits now and a busy one after its current job, and its
   * registration (if any) turns stale and refuses jobs. Resolves once the loop
   * has exited. Idempotent; stopping a worker that was never started resolves
   * at once. With `options.signal`, aborting it ends the wait only (the
   * promise rejects with its reason); the worker still stops after its job.
   *
   * @example
   * ```ts
   * import { Chan } from "@gochan/core";
   * import { Worker } from "@gochan/pool";
   * const worker = new Worker(new Chan<Chan<number>>(1), (n: number) => n);
   * worker.start();
   * await Promise.all([worker.stop(), worker.stop()]); // both resolve
   * ```
   */
  stop(options?: WaitOptions): Promise<void> {
    const signal = waitSignal("Worker.stop", options);
    if (!this.quit.closed) {
      this.quit.close();
      this.jobChannel.close();
    }
    if (this.#state === NEW) {
      this.#state = STOPPED;
      (this.#resolveDone as () => void)();
    }
    return abortable(this.#done, signal);
  }

  /**
   * `await using worker = new Worker(...)` after `worker.start()` stops the
   * worker when the scope ends (Go's `defer w.Stop()`, but awaited): the same
   * as {@link Worker.stop}.
   *
   * @example
   * ```ts
   * import { Chan } from "@gochan/core";
   * import { Worker } from "@gochan/pool";
   * {
   *   await using worker = new Worker(new Chan<Chan<string>>(1), (s: string) => console.log(s));
   *   worker.start();
   * } // stopped here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /**
   * Resolves once the worker's loop has exited (after {@link Worker.stop}, or
   * if the worker pool channel was closed).
   */
  get done(): Promise<void> {
    return this.#done;
  }

  async #loop(): Promise<void> {
    const register = [send(this.workerPool, this.jobChannel), recv(this.quit)] as const;
    const wait = [recv(this.jobChannel), recv(this.quit)] as const;
    try {
      for (;;) {
        // Quit has priority: do not register again once stopped.
        if (this.quit.tryRecv() !== undefined) return;
        // w.WorkerPool <- w.JobChannel, interruptible by quit.
        const registered = await select(register);
        if (registered.index === 1) return;
        // select { case job := <-w.JobChannel: ... case <-w.quit: return }
        if (!(await this.#take(wait))) return;
      }
    } catch (error) {
      // Only a closed worker pool can make the registration fail: the pool is
      // gone, so the worker stops. Anything else is a bug worth hearing about.
      if (!(error instanceof SendOnClosedError)) rethrow(error);
    } finally {
      this.#state = STOPPED;
      if (!this.quit.closed) {
        this.quit.close();
        this.jobChannel.close();
      }
      (this.#resolveDone as () => void)();
    }
  }

  /**
   * Waits for a job or quit, and handles the job: false on quit. A frame of
   * its own, so that the loop holds no finished job while it waits again.
   */
  async #take(wait: readonly [RecvCase<J>, RecvCase<never>]): Promise<boolean> {
    const r = await select(wait);
    if (r.index === 1 || !r.ok) return false;
    const job = r.value;
    try {
      await this.#handler(job);
    } catch (error) {
      this.#report(error, job);
    }
    return true;
  }

  #report(error: unknown, job: J): void {
    reportError(this.#onError, error, job);
  }
}
