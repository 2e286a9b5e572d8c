/**
 * Threads: @gochan/threads against the worker-thread pools Node users reach
 * for (piscina, tinypool) and against hand-written floors, all at 2 threads:
 * - thread-empty: `count` empty jobs submitted at once, every result awaited
 *   (the pool's per-job overhead). Every row has the same contract: one call
 *   per job returning a promise of its result. The floor keeps that contract
 *   and drops the threads: each job's promise is made and resolved on this
 *   thread with the function's result, so it is what any pool pays before
 *   moving a job anywhere;
 * - thread-cpu: `count` CPU-bound jobs of about 90 us; the "single" peer runs
 *   them one after another on this thread (the speed-up reference; the floor
 *   at 2 threads is half of it);
 * - xthread-buffered: `count` numbers sent through a buffered SharedChan (1024)
 *   to a worker that sums them; the floor posts them pipelined through a
 *   MessagePort;
 * - xthread-unbuffered: the same through an unbuffered SharedChan (each send a
 *   rendezvous); the floor is a bare Atomics.waitAsync ping-pong, one round
 *   trip per value.
 * Threads start and warm up before the clock starts: every peer runs its
 * burst once untimed (a pool the whole burst, a bare worker its half), as the
 * single peer's thread ran every job before (the checksum), so warm threads
 * are compared with a warm thread. A fresh thread compiles the job and the
 * pool's code while it runs: a cost paid once per thread, not per job.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { load, runIfMain, timed, triangle } from "../child.ts";
import type { Family, Peer } from "../spec.ts";
import { cpu, CPU_ITERATIONS_ENV, DEFAULT_CPU_ITERATIONS } from "./threads-jobs.mjs";

const THREADS = 2;
const JOBS = new URL("./threads-jobs.mjs", import.meta.url);

/** How long one thread-cpu job should take: the "CPU-bound jobs of ~90 us each". */
const CPU_JOB_US = 90;

/**
 * The iterations of the cpu job that take {@link CPU_JOB_US} on an
 * undisturbed core now: the fastest of 25 samples of 20 calls (wall time, so
 * V8's background threads, busy while the driver starts, do not count; the
 * fastest, so a sample another process preempted does not count either),
 * after a warm-up that gets the job optimised.
 */
let calibrationSink = 0;
function calibrateCpuJob(): number {
  const probe = DEFAULT_CPU_ITERATIONS;
  let sink = 0;
  for (let i = 0; i < 2000; i++) sink ^= cpu(i, probe);
  let fastest = Infinity;
  for (let s = 0; s < 25; s++) {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) sink ^= cpu(i, probe);
    fastest = Math.min(fastest, ((performance.now() - t0) * 1000) / 20);
  }
  calibrationSink = sink; // the calls' results are used, so none is optimised away
  return Math.max(1_000, Math.round((probe * CPU_JOB_US) / Math.max(fastest, 1e-3)));
}

// Calibrated once, by the first process of a run that loads this module (the
// driver); child processes and their worker threads inherit the variable.
process.env[CPU_ITERATIONS_ENV] ??= String(calibrateCpuJob());
/** The iterations of every thread-cpu job in this run. */
const CPU_ITERATIONS = Number(process.env[CPU_ITERATIONS_ENV]);

interface Submitter {
  run(fn: "empty" | "cpu", i: number): Promise<number>;
  close(): Promise<unknown>;
}

interface ThreadsModule {
  ThreadPool: new (o: { module: URL; maxThreads: number; maxQueue: number }) => {
    submit(fn: string, args: unknown[]): Promise<number>;
    stop(): Promise<void>;
  };
  SharedChan: new (cap: number, o?: { bytes?: number }) => {
    handle: unknown;
    send(v: number): Promise<void>;
    close(): void;
  };
}
type PoolCtor = new (o: Record<string, unknown>) => { run(task: unknown, o: { name: string }): Promise<number>; destroy(): Promise<void> };

async function gochan(): Promise<Submitter> {
  const { ThreadPool } = await load<ThreadsModule>("@gochan/threads");
  const pool = new ThreadPool({ module: JOBS, maxThreads: THREADS, maxQueue: Infinity });
  return { run: (fn, i) => pool.submit(fn, [i]), close: () => pool.stop() };
}

async function piscina(): Promise<Submitter> {
  const { default: Piscina } = await load<{ default: PoolCtor }>("piscina");
  const pool = new Piscina({ filename: JOBS.href, minThreads: THREADS, maxThreads: THREADS });
  return { run: (fn, i) => pool.run(i, { name: fn }), close: () => pool.destroy() };
}

async function tinypool(): Promise<Submitter> {
  const { default: Tinypool } = await load<{ default: PoolCtor }>("tinypool");
  const pool = new Tinypool({ filename: JOBS.href, minThreads: THREADS, maxThreads: THREADS });
  return { run: (fn, i) => pool.run(i, { name: fn }), close: () => pool.destroy() };
}

/** Floor of thread-empty: a promise per job, resolved on this thread with the job's result (no thread, no copy). */
async function inline(): Promise<Submitter> {
  const jobs = (await import(JOBS.href)) as Record<"empty" | "cpu", (i: number) => number>;
  return { run: (fn, i) => new Promise<number>((resolve) => resolve(jobs[fn](i))), close: () => Promise.resolve() };
}

/** Expected checksum of `count` cpu jobs (computed once, untimed). */
let cpuSums: Map<number, number> | null = null;
async function cpuExpected(count: number): Promise<number> {
  cpuSums ??= new Map();
  let s = cpuSums.get(count);
  if (s === undefined) {
    const { cpu } = (await import(JOBS.href)) as { cpu(i: number): number };
    s = 0;
    for (let i = 0; i < count; i++) s += cpu(i);
    cpuSums.set(count, s);
  }
  return s;
}

function poolPeer(make: () => Promise<Submitter>, fn: "empty" | "cpu"): Peer {
  return async (count) => {
    const pool = await make();
    const burst = async (): Promise<number> => {
      const results = new Array<Promise<number>>(count);
      for (let i = 0; i < count; i++) results[i] = pool.run(fn, i);
      let sum = 0;
      for (const r of await Promise.all(results)) sum += r;
      return sum;
    };
    // The same burst once untimed: the threads are warm before the clock, as
    // the single peer's thread is (cpuExpected ran the jobs on it).
    await burst();
    const expected = fn === "empty" ? triangle(count) : await cpuExpected(count);
    const m = await timed(count, "ns/job", expected, burst);
    await pool.close();
    return m;
  };
}

const single: Peer = async (count) => {
  const { cpu } = (await import(JOBS.href)) as { cpu(i: number): number };
  return timed(count, "ns/job", await cpuExpected(count), async () => {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += cpu(i);
    return sum;
  });
};

/**
 * The ceiling of thread-cpu: the jobs split in halves between bare workers
 * (no pool, no message per job), each started and warmed (its half run
 * once) before the clock.
 * It is what this machine gives 2 threads at that moment; no pool can beat it.
 */
const bareThreads: Peer = async (count) => {
  const url = JSON.stringify(JOBS.href);
  const ws = Array.from({ length: THREADS }, (_, t) =>
    worker(
      `const { cpu } = await import(${url});
       for (let i = workerData.from; i < workerData.to; i++) cpu(i);
       parentPort.once("message", () => {
         let sum = 0;
         for (let i = workerData.from; i < workerData.to; i++) sum += cpu(i);
         parentPort.postMessage({ sum });
       });
       parentPort.postMessage({ ready: true });`,
      { from: Math.floor((t * count) / THREADS), to: Math.floor(((t + 1) * count) / THREADS) },
    ),
  );
  await Promise.all(ws.map((w) => w.started));
  const m = await timed(count, "ns/job", await cpuExpected(count), async () => {
    for (const w of ws) w.w.postMessage("go");
    let sum = 0;
    for (const r of await Promise.all(ws.map((w) => w.result))) sum += r;
    return sum;
  });
  await Promise.all(ws.map((w) => w.w.terminate()));
  return m;
};

/** A worker (eval'd plain JS) running `body` with `data`; resolves with its first message. */
function worker(body: string, data: unknown): { started: Promise<void>; result: Promise<number>; w: Worker } {
  const w = new Worker(`(async () => { const { parentPort, workerData } = require("node:worker_threads"); ${body} })()`, {
    eval: true,
    workerData: data,
  });
  let started!: () => void;
  const s = new Promise<void>((r) => (started = r));
  const result = new Promise<number>((resolve, reject) => {
    w.on("message", (m: { ready?: true; sum?: number }) => (m.ready ? started() : resolve(m.sum as number)));
    w.once("error", reject);
  });
  return { started: s, result, w };
}

function chanPeer(capacity: number): Peer {
  return async (count) => {
    const { SharedChan } = await load<ThreadsModule>("@gochan/threads");
    const url = import.meta.resolve("@gochan/threads");
    const ch = new SharedChan(capacity, { bytes: 1 << 16 });
    const { started, result, w } = worker(
      `const { SharedChan } = await import(${JSON.stringify(url)});
       const ch = SharedChan.from(workerData.ch);
       parentPort.postMessage({ ready: true });
       let sum = 0; for await (const v of ch) sum += v;
       parentPort.postMessage({ sum });`,
      { ch: ch.handle },
    );
    await started;
    const m = await timed(count, "ns/msg", triangle(count), async () => {
      for (let i = 0; i < count; i++) await ch.send(i);
      ch.close();
      return result;
    });
    await w.terminate();
    return m;
  };
}

/** Floor of the buffered channel: values posted pipelined through the worker's MessagePort. */
const portFloor: Peer = async (count) => {
  const { started, result, w } = worker(
    `let sum = 0, n = 0;
     parentPort.on("message", (v) => { sum += v; if (++n === workerData.count) parentPort.postMessage({ sum }); });
     parentPort.postMessage({ ready: true });`,
    { count },
  );
  await started;
  const m = await timed(count, "ns/msg", triangle(count), async () => {
    for (let i = 0; i < count; i++) w.postMessage(i);
    return result;
  });
  await w.terminate();
  return m;
};

/** Atomics.waitAsync (ES2024), typed here: the workspace builds against ES2022 libs. */
const waitAsync = (Atomics as unknown as {
  waitAsync(i32: Int32Array, i: number, v: number): { async: false } | { async: true; value: Promise<string> };
}).waitAsync;

/**
 * Floor of the unbuffered channel: one Atomics.waitAsync round trip per value.
 * [seq, ack, value]: main publishes value n and seq = n + 1; the worker waits
 * for seq to move, adds the value, publishes ack = n + 1; main waits for ack.
 * Each side re-checks its word after a wake-up (waitAsync may wake early).
 */
const waitAsyncFloor: Peer = async (count) => {
  const i32 = new Int32Array(new SharedArrayBuffer(12));
  const { started, result, w } = worker(
    `const i32 = workerData.i32; let sum = 0;
     const alive = setInterval(() => {}, 1 << 30); // a pending waitAsync does not keep a thread alive
     parentPort.postMessage({ ready: true });
     for (let n = 0; n < workerData.count; n++) {
       while (Atomics.load(i32, 0) !== n + 1) { const r = Atomics.waitAsync(i32, 0, n); if (r.async) await r.value; }
       sum += i32[2]; Atomics.store(i32, 1, n + 1); Atomics.notify(i32, 1);
     }
     clearInterval(alive);
     parentPort.postMessage({ sum });`,
    { i32, count },
  );
  await started;
  const m = await timed(count, "ns/msg", triangle(count), async () => {
    for (let n = 0; n < count; n++) {
      i32[2] = n;
      Atomics.store(i32, 0, n + 1);
      Atomics.notify(i32, 0);
      while (Atomics.load(i32, 1) !== n + 1) {
        const r = waitAsync(i32, 1, n);
        if (r.async) await r.value;
      }
    }
    return result;
  });
  await w.terminate();
  return m;
};

/** The threads workloads. */
export const threads: Family = {
  name: "threads",
  workloads: [
    {
      id: "thread-empty",
      title: `Thread pool: empty jobs at ${THREADS} threads`,
      unit: "ns/job",
      count: { full: 20_000, quick: 500 },
      warmup: true,
      peers: {
        "gochan-threads": poolPeer(gochan, "empty"),
        piscina: poolPeer(piscina, "empty"),
        tinypool: poolPeer(tinypool, "empty"),
        floor: poolPeer(inline, "empty"),
      },
      note: "Every job submitted at once, then all results awaited (one promise per job in every row); threads started and warmed before timing. Floor: the same promise per job, resolved on the main thread without a thread.",
    },
    {
      id: "thread-cpu",
      title: `Thread pool: ~90 us CPU-bound jobs at ${THREADS} threads`,
      unit: "ns/job",
      count: { full: 12_000, quick: 100 },
      warmup: true,
      peers: {
        "gochan-threads": poolPeer(gochan, "cpu"),
        piscina: poolPeer(piscina, "cpu"),
        tinypool: poolPeer(tinypool, "cpu"),
        single: single,
        "bare-threads": bareThreads,
      },
      note: `Each job is ${CPU_ITERATIONS.toLocaleString("en-US")} rounds of integer mixing, calibrated at the start of the run to take ${CPU_JOB_US} us on an undisturbed core of this machine (the issue's job size; the fastest of 25 timed samples), the same count for every peer. Every peer runs the whole burst once untimed first, so its threads are as warm as the single peer's thread. "single" runs the same jobs one after another on the main thread; the floor at 2 threads is half its time (2x). "bare-threads" splits the jobs between 2 workers with no pool: what the machine gives 2 threads in that run, the ceiling for every pool.`,
    },
    {
      id: "xthread-buffered",
      title: "Across threads: buffered channel (1024) to a summing worker",
      unit: "ns/msg",
      count: { full: 100_000, quick: 2_000 },
      warmup: true,
      peers: { "gochan-threads": chanPeer(1024), floor: portFloor },
      note: "Floor: the same numbers posted pipelined through the worker's MessagePort.",
    },
    {
      id: "xthread-unbuffered",
      title: "Across threads: unbuffered channel (rendezvous) to a summing worker",
      unit: "ns/msg",
      count: { full: 10_000, quick: 300 },
      warmup: true,
      peers: { "gochan-threads": chanPeer(0), floor: waitAsyncFloor },
      note: "Floor: a bare Atomics.waitAsync ping-pong, one round trip per value.",
    },
  ],
};

runIfMain(import.meta.url, threads);
