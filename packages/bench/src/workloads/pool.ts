/**
 * Worker pools: `count` trivial async jobs (`async () => i * 2`) at 8 workers,
 * every result collected. Each peer as its users write it:
 * - all at once: submit every job, then `Promise.all` the results;
 * - bounded submission: the producer never runs more than about {@link WINDOW}
 *   jobs ahead of the workers, with each library's own means. @gochan/pool:
 *   a queue of {@link WINDOW} and `await group.submit(job)` (resolves once the
 *   job is queued), then `group.wait()` for the results; p-queue:
 *   `await queue.onSizeLessThan(WINDOW)` before each `add`, as its README
 *   advises; p-limit has no such API, so its users await the job submitted
 *   {@link WINDOW} earlier.
 * The floor is 8 hand-written async workers pulling jobs from an array.
 *
 * @module
 */
import type * as PLimit from "p-limit";
import type * as PQueue from "p-queue";
import { load, runIfMain, timed, triangle } from "../child.ts";
import type { Family, Peer } from "../spec.ts";

/** Workers (the concurrency limit) for every peer. */
export const WORKERS = 8;
/** The bound of bounded submission: jobs submitted and not yet finished. */
export const WINDOW = 1024;

/** The surface of @gochan/pool this workload uses. */
interface PoolLike {
  submit<R>(job: (signal: AbortSignal) => R | Promise<R>): Promise<R>;
  group<R>(): { submit(job: (signal: AbortSignal) => R | Promise<R>): Promise<void>; wait(): Promise<R[]> };
  stopAndWait(): Promise<unknown>;
}
interface PoolModule {
  Pool: new (options: { maxWorkers: number; maxQueue: number }) => PoolLike;
}

/** Sums the jobs' results: every job returns 2i, so the checksum is 2 * triangle(count). */
async function sumAll(results: Promise<number>[]): Promise<number> {
  let sum = 0;
  for (const r of await Promise.all(results)) sum += r;
  return sum;
}

function gochanPool(bounded: boolean): Peer {
  return async (count) => {
    const { Pool } = await load<PoolModule>("@gochan/pool");
    const pool = new Pool({ maxWorkers: WORKERS, maxQueue: bounded ? WINDOW : count });
    const m = bounded
      ? await timed(count, "ns/job", 2 * triangle(count), async () => {
          const group = pool.group<number>();
          for (let i = 0; i < count; i++) await group.submit(async () => i * 2);
          let sum = 0;
          for (const r of await group.wait()) sum += r;
          return sum;
        })
      : await timed(count, "ns/job", 2 * triangle(count), async () => {
          const results = new Array<Promise<number>>(count);
          for (let i = 0; i < count; i++) results[i] = pool.submit(async () => i * 2);
          return sumAll(results);
        });
    await pool.stopAndWait();
    return m;
  };
}

function pLimit(bounded: boolean): Peer {
  return async (count) => {
    const { default: pLimitOf } = await load<typeof PLimit>("p-limit");
    const limit = pLimitOf(WORKERS);
    return timed(count, "ns/job", 2 * triangle(count), async () => {
      const results = new Array<Promise<number>>(count);
      for (let i = 0; i < count; i++) {
        if (bounded && i >= WINDOW) await results[i - WINDOW];
        results[i] = limit(async () => i * 2);
      }
      return sumAll(results);
    });
  };
}

function pQueue(bounded: boolean): Peer {
  return async (count) => {
    const { default: PQueueClass } = await load<typeof PQueue>("p-queue");
    const queue = new PQueueClass({ concurrency: WORKERS });
    return timed(count, "ns/job", 2 * triangle(count), async () => {
      const results = new Array<Promise<number>>(count);
      for (let i = 0; i < count; i++) {
        if (bounded) await queue.onSizeLessThan(WINDOW);
        results[i] = queue.add(async () => i * 2);
      }
      return sumAll(results);
    });
  };
}

/** The floor: 8 async workers, each taking the next job from an array until none is left. */
const floorPool: Peer = async (count) => {
  return timed(count, "ns/job", 2 * triangle(count), async () => {
    const jobs = new Array<() => Promise<number>>(count);
    for (let i = 0; i < count; i++) jobs[i] = async () => i * 2;
    const results = new Array<number>(count);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const i = next++;
        results[i] = await (jobs[i] as () => Promise<number>)();
      }
    };
    const workers: Promise<void>[] = [];
    for (let w = 0; w < WORKERS; w++) workers.push(worker());
    await Promise.all(workers);
    let sum = 0;
    for (const r of results) sum += r;
    return sum;
  });
};

/** The pool workloads. */
export const pools: Family = {
  name: "pool",
  workloads: [
    {
      id: "pool",
      title: `Pool: trivial async jobs at ${WORKERS} workers`,
      unit: "ns/job",
      count: { full: 200_000, quick: 2_000 },
      warmup: true,
      peers: {
        "gochan-pool": gochanPool(false),
        "gochan-pool-bounded": gochanPool(true),
        "p-limit": pLimit(false),
        "p-limit-bounded": pLimit(true),
        "p-queue": pQueue(false),
        "p-queue-bounded": pQueue(true),
        floor: floorPool,
      },
      go: [
        { bench: "PoolSeed", peer: "go-seed" },
        { bench: "PoolSharedQueue", peer: "go-shared" },
      ],
      note:
        `Bounded submission: @gochan/pool with a queue of ${WINDOW} and await group.submit(); ` +
        `p-queue with await onSizeLessThan(${WINDOW}) before each add; p-limit awaiting the job submitted ${WINDOW} earlier. ` +
        "Go: the seed's chan-chan dispatcher as published (one goroutine per job waiting for a worker), " +
        "and for reference 8 goroutines ranging over one shared channel.",
    },
  ],
};

runIfMain(import.meta.url, pools);
