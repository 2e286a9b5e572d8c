/// <reference lib="esnext.disposable" preserve="true" />
/**
 * The seed's `Dispatcher`, line for line on gochan channels, with its flaws
 * fixed. Together with {@link Worker} it lets the seed's program be written
 * almost word for word in TypeScript.
 *
 * Go (the seed):
 *
 * ```go
 * var JobQueue chan Job
 *
 * type Dispatcher struct {
 *     WorkerPool chan chan Job
 * }
 *
 * func NewDispatcher(maxWorkers int) *Dispatcher {
 *     pool := make(chan chan Job, maxWorkers)
 *     return &Dispatcher{WorkerPool: pool}
 * }
 *
 * func (d *Dispatcher) Run() {
 *     for i := 0; i < d.maxWorkers; i++ {
 *         worker := NewWorker(d.pool)
 *         worker.Start()
 *     }
 *     go d.dispatch()
 * }
 *
 * func (d *Dispatcher) dispatch() {
 *     for {
 *         select {
 *         case job := <-JobQueue:
 *             go func(job Job) {
 *                 jobChannel := <-d.WorkerPool
 *                 jobChannel <- job
 *             }(job)
 *         }
 *     }
 * }
 *
 * // in the HTTP handler:
 * for _, payload := range content.Payloads {
 *     work := Job{Payload: payload}
 *     JobQueue <- work
 * }
 * ```
 *
 * TypeScript:
 *
 * ```ts
 * import { Chan } from "@gochan/core";
 * import { Dispatcher } from "@gochan/pool";
 * interface Payload { uploadToS3(): Promise<void> }
 * interface Job { payload: Payload }
 * const MAX_WORKERS = Number(process.env.MAX_WORKERS ?? 8); // validated by the constructor
 * const MAX_QUEUE = Number(process.env.MAX_QUEUE ?? 100);
 * const JobQueue = new Chan<Job>(MAX_QUEUE);
 * const dispatcher = new Dispatcher(JobQueue, MAX_WORKERS, (job: Job) => job.payload.uploadToS3(), {
 *   onError: (err) => console.error(`Error uploading to S3: ${String(err)}`),
 * });
 * dispatcher.run();
 *
 * // in the HTTP handler:
 * const content: { payloads: Payload[] } = { payloads: [] }; // decoded from the request body
 * for (const payload of content.payloads) {
 *   const work: Job = { payload };
 *   await JobQueue.send(work); // waits while the queue is full: backpressure
 * }
 *
 * // at shutdown: let everything queued run, then stop the workers.
 * JobQueue.close();
 * await dispatcher.done;
 * ```
 *
 * What is fixed (flaw numbers of shared/worker-pool.md):
 * - 1: `dispatch` started one goroutine per job to wait for a worker, so the
 *   queue never pushed back (200,000 of 200,000 jobs accepted with all workers
 *   stalled) and jobs reached workers in random order. Here the dispatch loop
 *   itself waits for an idle worker before it takes the next job: with every
 *   worker stalled, at most `maxQueue + maxWorkers + 1` jobs are accepted
 *   (the queue, one per worker, one in the dispatcher's hand) and the next
 *   `send` on the queue waits. Jobs reach workers in queue order.
 * - 3: a job received from a stale registration (a stopped worker) would have
 *   been lost. Here the send to that worker's closed channel fails, the
 *   dispatcher keeps the job and hands it to the next idle worker.
 * - 4: the dispatcher could not be stopped and would spin on zero values once
 *   `JobQueue` was closed. Here {@link Dispatcher.stop} stops it (awaitably),
 *   and a closed, drained job queue ends it gracefully.
 * - 5: no graceful drain. Here closing the job queue lets every queued job run;
 *   {@link Dispatcher.done} resolves once the workers have finished them.
 * - 6: errors go to `onError` (or are rethrown, never lost); workers survive.
 * - 7: `maxWorkers` is validated (an integer >= 1, else a RangeError naming
 *   the value, e.g. the string from `os.Getenv`), and the code compiles.
 * - 8: no global `JobQueue`: the queue is the constructor's first argument,
 *   so a program can run any number of dispatchers.
 *
 * For a pool with results, cancellation, timeouts and metrics, use `Pool`.
 *
 * @module
 */
import { Chan, isChan, recv, select, SendOnClosedError, MAX_CAPACITY, type RecvCase, type RecvChan } from "@gochan/core";
import { abortable, waitSignal, type WaitOptions } from "./abortable.js";
import { checkCount, checkHook, checkObject, describe } from "./options.js";
import { Worker, type JobHandler, type WorkerOptions } from "./worker.js";

/**
 * Options of a {@link Dispatcher}: passed on to each of its workers.
 *
 * @example
 * ```ts
 * import type { DispatcherOptions } from "@gochan/pool";
 * const options: DispatcherOptions<{ id: number }> = {
 *   onError: (error, job) => console.error(`job ${job.id} failed`, error),
 * };
 * ```
 */
export type DispatcherOptions<J> = WorkerOptions<J>;

const NEW = 0;
const RUNNING = 1;
const STOPPING = 2;

/**
 * The seed's Dispatcher: owns the worker pool (a channel of idle workers' job
 * channels, capacity `maxWorkers`), starts `maxWorkers` {@link Worker}s and
 * moves each job from the job queue to an idle worker's job channel.
 *
 * @typeParam J - the job type.
 *
 * @example
 * ```ts
 * import { Chan } from "@gochan/core";
 * import { Dispatcher } from "@gochan/pool";
 * const jobQueue = new Chan<number>(100);
 * const dispatcher = new Dispatcher(jobQueue, 4, async (n: number) => console.log(n * n));
 * dispatcher.run();
 * for (let i = 0; i < 10; i++) await jobQueue.send(i);
 * jobQueue.close(); // graceful: every queued job runs
 * await dispatcher.done;
 * ```
 */
export class Dispatcher<J> {
  /** The job queue the dispatcher takes jobs from (the seed's `JobQueue`). */
  readonly jobQueue: RecvChan<J, unknown>;
  /** Idle workers' job channels: Go's `WorkerPool chan chan Job`, capacity `maxWorkers`. */
  readonly workerPool: Chan<Chan<J>>;
  /** How many workers {@link Dispatcher.run} starts. */
  readonly maxWorkers: number;
  /** Closed by {@link Dispatcher.stop}. */
  readonly quit: Chan<never>;
  readonly #handler: JobHandler<J>;
  readonly #options: WorkerOptions<J> | undefined;
  readonly #workers: Worker<J>[] = [];
  #state = NEW;
  #loop: Promise<void> | null = null;
  readonly #done: Promise<void>;
  #resolveDone: (() => void) | null = null;
  #stopping: Promise<void> | null = null;

  /**
   * Go's `NewDispatcher(maxWorkers)`, plus the job queue (no global) and what
   * each worker does with a job.
   *
   * @throws RangeError naming the value if `maxWorkers` is not an integer from
   *   1 to 2^31-1; TypeError if `jobQueue` is not a gochan channel or
   *   `handler` or `options.onError` is not a function.
   */
  constructor(jobQueue: RecvChan<J, unknown>, maxWorkers: number, handler: JobHandler<J>, options?: DispatcherOptions<J>) {
    if (!isChan(jobQueue)) throw new TypeError(`new Dispatcher: jobQueue must be a Chan, got ${describe(jobQueue)}`);
    this.maxWorkers = checkCount("new Dispatcher", "maxWorkers", maxWorkers, MAX_CAPACITY);
    if (typeof handler !== "function") {
      throw new TypeError(`new Dispatcher: handler must be a function, got ${describe(handler)}`);
    }
    checkObject("new Dispatcher", "options", options);
    // Validated here, not first by the workers that run() makes.
    checkHook("new Dispatcher", "onError", options?.onError);
    this.jobQueue = jobQueue;
    this.workerPool = new Chan<Chan<J>>(maxWorkers, { name: "WorkerPool" });
    this.quit = new Chan<never>();
    this.#handler = handler;
    this.#options = options;
    this.#done = new Promise<void>((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  /** The workers started by {@link Dispatcher.run} (empty before). */
  get workers(): readonly Worker<J>[] {
    return this.#workers;
  }

  /**
   * Resolves once the dispatcher and all its workers have stopped: after
   * {@link Dispatcher.stop}, or once the job queue was closed and every job
   * in it has run.
   */
  get done(): Promise<void> {
    return this.#done;
  }

  /**
   * Go's `Run()`: starts `maxWorkers` workers, then the dispatch loop.
   *
   * @throws Error if already running or stopped. Should starting the workers
   *   fail, the error is thrown and the dispatcher is left stopping: `stop()`
   *   and `done` resolve once the workers started so far have exited.
   */
  run(): void {
    if (this.#state !== NEW) {
      throw new Error(`Dispatcher.run: the dispatcher was already ${this.#state === RUNNING ? "run" : "stopped"}`);
    }
    this.#state = RUNNING;
    try {
      for (let i = 0; i < this.maxWorkers; i++) {
        const worker = new Worker<J>(this.workerPool, this.#handler, this.#options);
        this.#workers.push(worker);
        worker.start();
      }
    } catch (error) {
      // Leave a dispatcher that stops: the workers started so far stop, and done resolves.
      this.quit.close();
      void this.#shutdown();
      throw error;
    }
    this.#loop = this.#dispatch();
    void this.#loop.then(() => this.#shutdown());
  }

  /**
   * Stops the dispatcher (flaw 4): it takes no more jobs from the queue (jobs
   * still there stay there, for the caller to drain or reuse); a job it has
   * already taken is still handed to the next idle worker, never lost. Then
   * every worker stops, each after its current job. Resolves once all have
   * exited. Idempotent. With `options.signal`, aborting it ends the wait only
   * (the promise rejects with its reason); the stop goes on.
   *
   * @example
   * ```ts
   * import { Chan } from "@gochan/core";
   * import { Dispatcher } from "@gochan/pool";
   * const dispatcher = new Dispatcher(new Chan<string>(10), 2, (s: string) => console.log(s));
   * dispatcher.run();
   * await dispatcher.stop();
   * ```
   */
  stop(options?: WaitOptions): Promise<void> {
    const signal = waitSignal("Dispatcher.stop", options);
    if (this.#stopping === null) {
      if (!this.quit.closed) this.quit.close();
      if (this.#state === NEW) {
        this.#state = STOPPING;
        (this.#resolveDone as () => void)();
      }
      this.#stopping = this.#done;
    }
    return abortable(this.#stopping, signal);
  }

  /**
   * `await using dispatcher = new Dispatcher(...)` stops the dispatcher and
   * its workers when the scope ends: the same as {@link Dispatcher.stop}.
   *
   * @example
   * ```ts
   * import { Chan } from "@gochan/core";
   * import { Dispatcher } from "@gochan/pool";
   * {
   *   await using dispatcher = new Dispatcher(new Chan<number>(10), 2, (n: number) => console.log(n));
   *   dispatcher.run();
   * } // stopped here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #dispatch(): Promise<void> {
    const take = [recv(this.jobQueue), recv(this.quit)] as const;
    for (;;) {
      // Quit has priority over a ready job (Go: select { case <-d.quit: return; default: }),
      // since select would otherwise pick at random between the two.
      if (this.quit.tryRecv() !== undefined) return;
      // case job := <-JobQueue (or quit; or the queue is closed and drained)
      if (!(await this.#take(take))) return;
    }
  }

  /**
   * Takes one job and hands it over; false on quit or a closed, drained
   * queue. A frame of its own, so the loop holds no handed-out job while it
   * waits for the next.
   */
  async #take(take: readonly [RecvCase<J, unknown>, RecvCase<never>]): Promise<boolean> {
    const r = await select(take);
    if (r.index === 1 || !r.ok) return false;
    // The seed started `go func(job Job) {...}(job)` here, one goroutine per
    // job (flaw 1); the loop hands the job over itself, so the queue pushes
    // back and order is kept.
    await this.#handOff(r.value);
    return true;
  }

  /** jobChannel := <-d.WorkerPool; jobChannel <- job, skipping stale registrations. */
  async #handOff(job: J): Promise<void> {
    for (;;) {
      // Not interruptible by quit: the job in hand must reach a worker.
      const jobChannel = (await this.workerPool.recv()) as Chan<J>;
      try {
        await jobChannel.send(job);
        return;
      } catch (error) {
        // A stopped worker's stale registration (flaw 3): keep the job, try the next worker.
        if (!(error instanceof SendOnClosedError)) throw error;
      }
    }
  }

  async #shutdown(): Promise<void> {
    this.#state = STOPPING;
    await Promise.all(this.#workers.map((w) => w.stop()));
    (this.#resolveDone as () => void)();
  }
}
