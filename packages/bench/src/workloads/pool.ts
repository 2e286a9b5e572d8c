/**
 * Worker pools at {@link WORKERS} workers: `count` trivial async jobs
 * (`async () => i * 2`, or one that first awaits `setImmediate`), every result
 * summed. Each workload holds one contract, and every peer in it keeps that
 * contract, so every ratio in a workload compares equal work:
 *
 * - a promise per job (`pool.submit`, p-limit, p-queue, fastq's and
 *   async.queue's promise APIs): the submitter gets one result promise per job.
 *   Shapes: all at once (submit every job, then await every result), bounded
 *   (before submitting job i the producer awaits job i - {@link WINDOW}'s
 *   result, the same code for every peer), one at a time (submit, await, next:
 *   the job always meets an idle worker), and I/O-like (all at once, each job
 *   awaiting `setImmediate` first).
 * - a batch (`pool.group()`, p-map, Effect.forEach): the results arrive as one
 *   array of plain values, no promise per job for the caller.
 *
 * The floor of each workload is the minimal hand-written implementation of
 * its contract (src/pool-floor.ts). The Go rows keep the same contract: each
 * job sends its result to a reply channel the submitter receives from (Go's
 * per-job promise), the queue is as large as the TypeScript one (unbounded for
 * all at once), and the bounded producer waits for job i - WINDOW's reply.
 *
 * @module
 */
import type * as AsyncLib from "async";
import type * as Effect from "effect";
import type * as Fastq from "fastq";
import type * as PLimit from "p-limit";
import type * as PMap from "p-map";
import type * as PQueue from "p-queue";
import { immediate, load, runIfMain, timed, triangle } from "../child.ts";
import { FloorGroup, FloorPool, floorMap } from "../pool-floor.ts";
import type { Family, Peer, Workload } from "../spec.ts";

/** Workers (the concurrency limit) for every peer. */
export const WORKERS = 8;
/** The bound of bounded submission: jobs submitted and not yet finished. */
export const WINDOW = 1024;

/** How the jobs are submitted and what they do. */
export type Shape = "all" | "bounded" | "serial" | "io";

/** A job: returns its result 2i, after a `setImmediate` turn if I/O-like. */
type Job = () => Promise<number>;
/** Makes job `i`. */
type JobOf = (i: number) => Job;

const plainJob: JobOf = (i) => async () => i * 2;
const ioJob: JobOf = (i) => async () => {
  await immediate();
  return i * 2;
};

/** Every job returns 2i, so every run's checksum is 2 * triangle(count). */
function expected(count: number): number {
  return 2 * triangle(count);
}

/** A library's per-job submit, once set up; `close` releases it after the timed run. */
interface Submitter {
  submit: (job: Job) => Promise<number>;
  close?: () => Promise<unknown>;
}

/**
 * The producer of every per-job-promise peer: the same loop for all of them,
 * only `submit` differs.
 */
async function produce(count: number, shape: Shape, submit: (job: Job) => Promise<number>): Promise<number> {
  const jobOf = shape === "io" ? ioJob : plainJob;
  let sum = 0;
  if (shape === "serial") {
    for (let i = 0; i < count; i++) sum += await submit(jobOf(i));
    return sum;
  }
  const results = new Array<Promise<number>>(count);
  for (let i = 0; i < count; i++) {
    if (shape === "bounded" && i >= WINDOW) sum += await (results[i - WINDOW] as Promise<number>);
    results[i] = submit(jobOf(i));
  }
  const from = shape === "bounded" ? Math.max(0, count - WINDOW) : 0;
  for (const r of await Promise.all(from === 0 ? results : results.slice(from))) sum += r;
  return sum;
}

/** A per-job-promise peer: `setup` makes the library's submitter for `count` jobs. */
function perJob(shape: Shape, setup: (count: number) => Promise<Submitter>): Peer {
  return async (count) => {
    const s = await setup(count);
    const m = await timed(count, "ns/job", expected(count), () => produce(count, shape, s.submit));
    await s.close?.();
    return m;
  };
}

/** The surface of @gochan/pool this workload uses. */
interface PoolLike {
  submit<R>(job: (signal: AbortSignal) => R | Promise<R>): Promise<R>;
  group<R>(): { submit(job: (signal: AbortSignal) => R | Promise<R>): Promise<void>; wait(): Promise<R[]> };
  stopAndWait(): Promise<unknown>;
}
interface PoolModule {
  Pool: new (options: { maxWorkers: number; maxQueue: number }) => PoolLike;
}

const gochanSubmit = async (count: number): Promise<Submitter> => {
  const { Pool } = await load<PoolModule>("@gochan/pool");
  // A queue as large as the run: every peer of a per-job workload queues what it is given.
  const pool = new Pool({ maxWorkers: WORKERS, maxQueue: count });
  return { submit: (job) => pool.submit(job), close: () => pool.stopAndWait() };
};

const pLimitSubmit = async (): Promise<Submitter> => {
  const { default: pLimitOf } = await load<typeof PLimit>("p-limit");
  const limit = pLimitOf(WORKERS);
  return { submit: (job) => limit(job) };
};

const pQueueSubmit = async (): Promise<Submitter> => {
  const { default: PQueueClass } = await load<typeof PQueue>("p-queue");
  const queue = new PQueueClass({ concurrency: WORKERS });
  return { submit: (job) => queue.add(job) };
};

/** fastq's promise API, its worker calling the submitted job. */
const fastqSubmit = async (): Promise<Submitter> => {
  const { default: fastq } = await load<{ default: typeof Fastq }>("fastq");
  const queue = fastq.promise<unknown, Job, number>((job) => job(), WORKERS);
  return { submit: (job) => queue.push(job) };
};

/** async.queue with an async worker calling the submitted job; pushAsync rejects when the job does. */
const asyncSubmit = async (): Promise<Submitter> => {
  const lib = await load<typeof AsyncLib & { default?: typeof AsyncLib }>("async");
  const queue = (lib.default ?? lib).queue<Job, number>(async (job: Job) => job(), WORKERS);
  return { submit: (job) => queue.pushAsync<number>(job) };
};

const floorSubmit = async (): Promise<Submitter> => {
  const pool = new FloorPool(WORKERS);
  return { submit: (job) => pool.submit(job) };
};

/** Reference for one at a time: the job awaited directly, no pool at all. */
const bareAwait: Peer = (count) => timed(count, "ns/job", expected(count), () => produce(count, "serial", (job) => job()));

/** The per-job-promise peers of a shape. */
function perJobPeers(shape: Shape): Record<string, Peer> {
  return {
    "gochan-pool": perJob(shape, gochanSubmit),
    "p-limit": perJob(shape, pLimitSubmit),
    "p-queue": perJob(shape, pQueueSubmit),
    fastq: perJob(shape, fastqSubmit),
    "async-queue": perJob(shape, asyncSubmit),
    floor: perJob(shape, floorSubmit),
  };
}

// ---- The batch contract: results as one array of plain values --------------

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** A batch peer: `run` returns the results of jobs 0..count-1, in order. */
function batch(io: boolean, run: (count: number, jobOf: JobOf) => Promise<number[]>): Peer {
  const jobOf = io ? ioJob : plainJob;
  return (count) => timed(count, "ns/job", expected(count), async () => sum(await run(count, jobOf)));
}

function batchPeers(io: boolean): Record<string, Peer> {
  return {
    "gochan-pool-group": async (count) => {
      const { Pool } = await load<PoolModule>("@gochan/pool");
      // The group waits for queue space: at most WINDOW jobs submitted and not started.
      const pool = new Pool({ maxWorkers: WORKERS, maxQueue: WINDOW });
      const m = await batch(io, async (n, jobOf) => {
        const group = pool.group<number>();
        for (let i = 0; i < n; i++) await group.submit(jobOf(i));
        return group.wait();
      })(count);
      await pool.stopAndWait();
      return m;
    },
    "p-map": async (count) => {
      const { default: pMap } = await load<typeof PMap>("p-map");
      return batch(io, (n, jobOf) => pMap(indices(n), (i) => jobOf(i)(), { concurrency: WORKERS }))(count);
    },
    effect: async (count) => {
      const { Effect: E } = await load<typeof Effect>("effect");
      return batch(io, (n, jobOf) =>
        E.runPromise(E.forEach(indices(n), (i) => E.promise(jobOf(i)), { concurrency: WORKERS })),
      )(count);
    },
    floor: batch(io, (n, jobOf) => floorMap(n, WORKERS, (i) => jobOf(i)())),
    "floor-group": batch(io, async (n, jobOf) => {
      // The group's own producer: a submit awaited per job, a queue of WINDOW.
      const group = new FloorGroup<number>(WORKERS, WINDOW);
      for (let i = 0; i < n; i++) await group.submit(jobOf(i));
      return group.wait();
    }),
  };
}

/** 0, 1, ..., n - 1, lazily: what p-map and Effect iterate (no array of inputs built up front). */
function* indices(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

/** Display names of this family's floors, per contract. */
const PER_JOB_FLOOR = "floor: minimal pool, a promise per job";
const BATCH_FLOOR = "floor: minimal batch, plain values";
const GROUP_FLOOR = "floor: minimal group, a submit awaited per job";

const PER_JOB_CONTRACT =
  "Contract: a promise per job. Every peer runs the same producer (src/workloads/pool.ts `produce`) " +
  "and differs only in its submit: `pool.submit(job)`, `limit(job)`, `queue.add(job)`, fastq's " +
  "`queue.push(job)` (promise API, its worker calling the job), async.queue's `pushAsync(job)`; " +
  "the floor is a minimal pool with that contract (src/pool-floor.ts, FloorPool).";
const BATCH_CONTRACT =
  "Contract: a batch. The results come back as one array of plain values, no promise per job for " +
  `the caller: \`await group.submit(job)\` in a loop (queue of ${WINDOW}) then \`group.wait()\`; ` +
  `\`pMap(indices, fn, { concurrency: ${WORKERS} })\`; \`Effect.forEach(indices, (i) => Effect.promise(job), ` +
  `{ concurrency: ${WORKERS} })\`; the floor is ${WORKERS} loops pulling the next index (src/pool-floor.ts, floorMap). ` +
  "The group is driven one submit at a time (its producer awaits each), which p-map, Effect and that floor are not: " +
  "floor-group is the minimal group with that producer (src/pool-floor.ts, FloorGroup).";

function poolWorkload(w: Omit<Workload, "unit" | "warmup">): Workload {
  return { unit: "ns/job", warmup: true, ...w };
}

/** The pool workloads. */
export const pools: Family = {
  name: "pool",
  workloads: [
    poolWorkload({
      id: "pool",
      title: `Pool, a promise per job, all at once: trivial async jobs at ${WORKERS} workers`,
      contract: PER_JOB_CONTRACT,
      count: { full: 200_000, quick: 2_000 },
      peers: perJobPeers("all"),
      labels: { floor: PER_JOB_FLOOR },
      go: [
        { bench: "PoolSeed", peer: "go-seed" },
        { bench: "PoolSharedQueue", peer: "go-shared" },
      ],
      note:
        "Every job is submitted before any result is awaited; queues are unbounded (@gochan/pool's maxQueue is the job count). " +
        "Go: each job sends 2i on its own reply channel (capacity 1) and the submitter receives every reply; the job queue holds " +
        "every job (capacity N). go-seed is the seed's chan-chan dispatcher as published (one goroutine per job waiting for a " +
        "worker), go-shared 8 goroutines ranging over one shared job channel.",
    }),
    poolWorkload({
      id: "pool-bounded",
      title: `Pool, a promise per job, bounded submission (${WINDOW} in flight)`,
      contract: PER_JOB_CONTRACT,
      count: { full: 200_000, quick: 2_000 },
      peers: perJobPeers("bounded"),
      labels: { floor: PER_JOB_FLOOR },
      go: [
        { bench: "PoolSeedBounded", peer: "go-seed" },
        { bench: "PoolSharedQueueBounded", peer: "go-shared" },
      ],
      note:
        `Before submitting job i, every producer awaits the result of job i - ${WINDOW}, so at most ${WINDOW} jobs are ` +
        `submitted and unfinished. Go does the same: it receives job i - ${WINDOW}'s reply before sending job i (job queue of ${WINDOW}).`,
    }),
    poolWorkload({
      id: "pool-group",
      title: `Pool, a batch (results as plain values): trivial async jobs at ${WORKERS} workers`,
      contract: BATCH_CONTRACT,
      count: { full: 200_000, quick: 2_000 },
      peers: batchPeers(false),
      labels: { floor: BATCH_FLOOR, "floor-group": GROUP_FLOOR },
      go: [{ bench: "PoolGroup", peer: "go" }],
      note:
        `Go: errgroup's SetLimit(${WORKERS}) pattern with the standard library (a semaphore channel, a goroutine per job ` +
        "writing results[i], a WaitGroup), then the sum of the slice.",
    }),
    poolWorkload({
      id: "pool-serial",
      title: "Pool, a promise per job, one at a time (submit, await, next: the idle-worker path)",
      contract: PER_JOB_CONTRACT,
      count: { full: 100_000, quick: 2_000 },
      peers: { ...perJobPeers("serial"), "bare-await": bareAwait },
      labels: { floor: PER_JOB_FLOOR },
      go: [{ bench: "PoolSerial", peer: "go-shared" }],
      note:
        "Each job is submitted when the previous one's result has arrived, so it always meets an idle worker (a server's case). " +
        "The bare await (no pool) is a reference, not a peer. Go: 8 goroutines over a shared job channel, one job and its reply at a time.",
    }),
    poolWorkload({
      id: "pool-io",
      title: "Pool, a promise per job, all at once, I/O-like jobs (each awaits setImmediate)",
      contract: PER_JOB_CONTRACT,
      count: { full: 50_000, quick: 1_000 },
      peers: perJobPeers("io"),
      labels: { floor: PER_JOB_FLOOR },
      note:
        "Each job awaits one setImmediate turn before returning, as a job awaiting I/O does: at most 8 jobs wait per turn. " +
        "No Go row: a goroutine blocked on I/O has no event-loop turn to match.",
    }),
    poolWorkload({
      id: "pool-group-io",
      title: "Pool, a batch, I/O-like jobs (each awaits setImmediate)",
      contract: BATCH_CONTRACT,
      count: { full: 50_000, quick: 1_000 },
      peers: batchPeers(true),
      labels: { floor: BATCH_FLOOR, "floor-group": GROUP_FLOOR },
      note:
        "The batch contract with the I/O-like jobs of the row above. The group's producer outruns its workers, so nearly " +
        "every `group.submit` waits for queue space; every row takes one event-loop turn per 8 jobs (docs/worker-pool.md, " +
        "\"A group whose jobs wait for I/O\").",
    }),
  ],
};

runIfMain(import.meta.url, pools);
