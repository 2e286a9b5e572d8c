/**
 * The pool floors: the least a worker pool can cost for each contract the pool
 * workloads measure, so that every pool target is a ratio to something a pool
 * with that contract can reach.
 *
 * - {@link FloorPool}: a promise per job. `submit(job)` returns the job's
 *   result promise; at most `workers` jobs run at once; the rest wait in a FIFO
 *   queue. No options, no cancellation, no metrics, no stop. This is the
 *   contract of `pool.submit`, p-limit, p-queue, fastq's and async.queue's
 *   promise APIs.
 * - {@link floorMap}: a batch. The results of `count` jobs as an array of plain
 *   values, at most `workers` at once: `workers` loops pulling the next index.
 *   No promise per job, no queue. This is the contract of `pool.map`, p-map
 *   and Effect.forEach: the whole batch is handed over at once.
 * - {@link FloorGroup}: a batch submitted one job at a time. The producer
 *   awaits `submit(job)`, which resolves once the job is in a queue of
 *   bounded size (backpressure), then `wait()` gives the results as an array
 *   of plain values. This is the contract of `pool.group()` as the batch
 *   workloads drive it: the producer's await per job, and the workers parking
 *   whenever they outrun the producer (they do: a trivial job takes fewer
 *   microtask turns than the producer's loop), cost what floorMap never pays.
 *
 * A floor with less work than its contract (the batch floor standing in for
 * per-job promises) would make a target unreachable: measured side by side,
 * building and settling one promise per job and queueing it costs several
 * times the batch floor.
 *
 * @module
 */

/** A job of the floors: what every workload submits. */
export type FloorJob<R> = () => Promise<R>;

interface Entry<R> {
  job: FloorJob<R>;
  resolve: (value: R) => void;
  reject: (reason: unknown) => void;
}

/**
 * The minimal pool with a promise per job.
 *
 * Invariant: `running` loops are active, at most `workers`; the queue is
 * non-empty only while all `workers` are running (a submit meeting an idle
 * slot starts its job at once: the idle-worker path).
 */
export class FloorPool {
  /** Waiting jobs: `queue[head..]`; the consumed prefix is dropped when the queue empties. */
  private queue: Entry<unknown>[] = [];
  private head = 0;
  private running = 0;

  constructor(private readonly workers: number) {
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`FloorPool: workers must be a positive integer, got ${String(workers)}`);
  }

  /** Jobs waiting for a worker (not counting the running ones). */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Jobs running now. */
  get active(): number {
    return this.running;
  }

  /** Runs `job` when a worker is free; resolves or rejects as it does. */
  submit<R>(job: FloorJob<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const entry = { job, resolve, reject } as Entry<unknown>;
      if (this.running < this.workers) {
        this.running++;
        void this.work(entry);
      } else this.queue.push(entry);
    });
  }

  /** One worker: runs `first`, then whatever is queued, then retires. */
  private async work(first: Entry<unknown>): Promise<void> {
    let entry: Entry<unknown> | undefined = first;
    while (entry !== undefined) {
      try {
        entry.resolve(await entry.job());
      } catch (e) {
        entry.reject(e);
      }
      entry = this.next();
    }
    this.running--;
  }

  private next(): Entry<unknown> | undefined {
    if (this.head === this.queue.length) {
      if (this.head > 0) {
        this.queue = [];
        this.head = 0;
      }
      return undefined;
    }
    const entry = this.queue[this.head] as Entry<unknown>;
    this.queue[this.head++] = undefined as unknown as Entry<unknown>;
    return entry;
  }
}

/**
 * The minimal batch: the results of `job(0) .. job(count - 1)` in index order,
 * at most `workers` running at once. Rejects with the first error (the other
 * loops stop taking jobs).
 */
export async function floorMap<R>(count: number, workers: number, job: (i: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(count);
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      results[i] = await job(i);
    }
  };
  const loops: Promise<void>[] = [];
  for (let w = 0; w < Math.min(workers, count); w++) loops.push(loop());
  try {
    await Promise.all(loops);
  } catch (e) {
    next = count;
    throw e;
  }
  return results;
}

/**
 * The minimal group: `submit(job)` resolves once the job is in a queue of at
 * most `capacity` jobs waiting for a worker; `workers` loops run the jobs, a
 * loop that finds the queue empty parks until the next submit; `wait()`
 * resolves with the results in submission order once every job has run.
 * No options, no cancellation, no errors kept apart (a job's rejection is
 * stored as its result), no metrics, no stop.
 */
export class FloorGroup<R> {
  private readonly queue: (FloorJob<R> | undefined)[] = [];
  private head = 0;
  private readonly results: R[] = [];
  private pending = 0;
  private loops = 0;
  /** Parked loops. */
  private readonly parked: (() => void)[] = [];
  /** The submitter waiting for queue space, and the wait() waiting for the end. */
  private admitted: (() => void) | null = null;
  private finished: ((results: R[]) => void) | null = null;

  constructor(
    private readonly workers: number,
    private readonly capacity: number,
  ) {}

  submit(job: FloorJob<R>): Promise<void> {
    this.queue.push(job);
    this.pending++;
    const parked = this.parked.pop();
    if (parked !== undefined) parked();
    else if (this.loops < this.workers) {
      this.loops++;
      void this.loop();
    }
    if (this.queue.length - this.head <= this.capacity) return DONE;
    return new Promise<void>((resolve) => {
      this.admitted = resolve;
    });
  }

  wait(): Promise<R[]> {
    if (this.pending === 0) return Promise.resolve(this.results);
    return new Promise<R[]>((resolve) => {
      this.finished = resolve;
    });
  }

  private async loop(): Promise<void> {
    for (;;) {
      while (this.head < this.queue.length) {
        const i = this.head;
        const job = this.queue[i] as FloorJob<R>;
        this.queue[this.head++] = undefined;
        if (this.admitted !== null && this.queue.length - this.head <= this.capacity) {
          const admitted = this.admitted;
          this.admitted = null;
          admitted();
        }
        try {
          this.results[i] = await job();
        } catch (e) {
          this.results[i] = e as R;
        }
        if (--this.pending === 0 && this.finished !== null) this.finished(this.results);
      }
      await new Promise<void>((resolve) => this.parked.push(resolve));
    }
  }
}

const DONE: Promise<void> = Promise.resolve();
