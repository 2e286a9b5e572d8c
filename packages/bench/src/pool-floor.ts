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
 *   No promise per job, no queue. This is the contract of `pool.group()`,
 *   p-map and Effect.forEach.
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
