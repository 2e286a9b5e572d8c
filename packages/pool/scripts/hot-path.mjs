// Hot-path benchmark of @gochan/pool against p-limit and p-queue (not a test).
// 200,000 trivial async jobs at 8 workers, submitted all at once or with a
// bounded window, every result collected. Run after building:
//   npx tsc -b packages/core packages/pool && node --expose-gc packages/pool/scripts/hot-path.mjs
// Env: N (jobs, 200000), REPS (timed repetitions, 7), ONLY (substring of the
// peers to run), NOGC=1 (no forced GC between runs, as packages/bench does).
import { Pool } from "../dist/index.js";
import pLimit from "../../bench/node_modules/p-limit/index.js";
import PQueue from "../../bench/node_modules/p-queue/dist/index.js";

const N = Number(process.env.N ?? 200_000);
const WORKERS = 8;
const WINDOW = 1024;
const REPS = Number(process.env.REPS ?? 7);

async function sumAll(results) {
  let sum = 0;
  for (const r of await Promise.all(results)) sum += r;
  return sum;
}

const peers = {
  "gochan all-at-once maxQueue=1024 (blocked submitters)": async () => {
    const pool = new Pool({ maxWorkers: WORKERS, maxQueue: WINDOW });
    const results = new Array(N);
    for (let i = 0; i < N; i++) results[i] = pool.submit(async () => i * 2);
    const s = await sumAll(results);
    await pool.stopAndWait();
    return s;
  },
  "gochan all-at-once maxQueue=N": async () => {
    const pool = new Pool({ maxWorkers: WORKERS, maxQueue: N });
    const results = new Array(N);
    for (let i = 0; i < N; i++) results[i] = pool.submit(async () => i * 2);
    const s = await sumAll(results);
    await pool.stopAndWait();
    return s;
  },
  "gochan bounded window=1024 maxQueue=1024": async () => {
    const pool = new Pool({ maxWorkers: WORKERS, maxQueue: WINDOW });
    const results = new Array(N);
    for (let i = 0; i < N; i++) {
      if (i >= WINDOW) await results[i - WINDOW];
      results[i] = pool.submit(async () => i * 2);
    }
    const s = await sumAll(results);
    await pool.stopAndWait();
    return s;
  },
  "gochan group.submit backpressure maxQueue=1024": async () => {
    const pool = new Pool({ maxWorkers: WORKERS, maxQueue: WINDOW });
    const g = pool.group();
    for (let i = 0; i < N; i++) await g.submit(async () => i * 2);
    let s = 0;
    for (const r of await g.wait()) s += r;
    await pool.stopAndWait();
    return s;
  },
  "gochan go() all-at-once maxQueue=1024, no results kept": async () => {
    let s = 0;
    const pool = new Pool({ maxWorkers: WORKERS, maxQueue: WINDOW });
    for (let i = 0; i < N; i++) pool.go(async () => void (s += i * 2));
    await pool.stopAndWait();
    return s;
  },
  "gochan submit all-at-once maxQueue=1024, no results kept": async () => {
    let s = 0;
    const pool = new Pool({ maxWorkers: WORKERS, maxQueue: WINDOW });
    for (let i = 0; i < N; i++) void pool.submit(async () => void (s += i * 2));
    await pool.stopAndWait();
    return s;
  },
  "p-limit all-at-once, no results kept": async () => {
    let s = 0;
    const limit = pLimit(WORKERS);
    const last = [];
    for (let i = 0; i < N; i++) {
      const p = limit(async () => void (s += i * 2));
      if (i >= N - WORKERS) last.push(p);
    }
    await Promise.all(last);
    while (limit.activeCount + limit.pendingCount > 0) await new Promise((r) => setImmediate(r));
    return s;
  },
  "p-queue all-at-once, no results kept": async () => {
    let s = 0;
    const q = new PQueue({ concurrency: WORKERS });
    for (let i = 0; i < N; i++) void q.add(async () => void (s += i * 2));
    await q.onIdle();
    return s;
  },
  "p-limit all-at-once": async () => {
    const limit = pLimit(WORKERS);
    const results = new Array(N);
    for (let i = 0; i < N; i++) results[i] = limit(async () => i * 2);
    return sumAll(results);
  },
  "p-limit bounded window=1024": async () => {
    const limit = pLimit(WORKERS);
    const results = new Array(N);
    for (let i = 0; i < N; i++) {
      if (i >= WINDOW) await results[i - WINDOW];
      results[i] = limit(async () => i * 2);
    }
    return sumAll(results);
  },
  "p-queue all-at-once": async () => {
    const q = new PQueue({ concurrency: WORKERS });
    const results = new Array(N);
    for (let i = 0; i < N; i++) results[i] = q.add(async () => i * 2);
    return sumAll(results);
  },
  "p-queue bounded onSizeLessThan(1024)": async () => {
    const q = new PQueue({ concurrency: WORKERS });
    const results = new Array(N);
    for (let i = 0; i < N; i++) {
      await q.onSizeLessThan(WINDOW);
      results[i] = q.add(async () => i * 2);
    }
    return sumAll(results);
  },
  "floor + a result promise per job (submit's minimum)": async () => {
    // What any submit(job): Promise<R> API must at least do: one promise per
    // job, settled by the worker that ran it.
    const jobs = new Array(N);
    const settle = new Array(N);
    const results = new Array(N);
    for (let i = 0; i < N; i++) {
      jobs[i] = async () => i * 2;
      results[i] = new Promise((resolve) => (settle[i] = resolve));
    }
    let next = 0;
    const worker = async () => {
      while (next < N) {
        const i = next++;
        const resolve = settle[i];
        settle[i] = undefined;
        resolve(await jobs[i]());
      }
    };
    for (let w = 0; w < WORKERS; w++) void worker();
    return sumAll(results);
  },
  "floor: 8 async loops over an array": async () => {
    const jobs = new Array(N);
    for (let i = 0; i < N; i++) jobs[i] = async () => i * 2;
    const results = new Array(N);
    let next = 0;
    const worker = async () => {
      while (next < N) {
        const i = next++;
        results[i] = await jobs[i]();
      }
    };
    const ws = [];
    for (let w = 0; w < WORKERS; w++) ws.push(worker());
    await Promise.all(ws);
    let s = 0;
    for (const r of results) s += r;
    return s;
  },
};

const only = process.env.ONLY;
const expected = N * (N - 1);
const samples = {};
for (let rep = 0; rep < REPS + 1; rep++) {
  for (const [name, run] of Object.entries(peers)) {
    if (only && !name.includes(only)) continue;
    if (!process.env.NOGC) globalThis.gc?.();
    const t0 = process.hrtime.bigint();
    const sum = await run();
    const t1 = process.hrtime.bigint();
    if (sum !== expected) throw new Error(`${name}: checksum ${sum} !== ${expected}`);
    if (rep > 0) (samples[name] ??= []).push(Number(t1 - t0) / N);
  }
}
console.log(`N=${N} workers=${WORKERS} reps=${REPS} (median ns/job, min-max), node ${process.version}`);
for (const [name, xs] of Object.entries(samples)) {
  xs.sort((a, b) => a - b);
  const med = xs[Math.floor(xs.length / 2)];
  console.log(`${name.padEnd(52)} ${med.toFixed(0).padStart(6)}   (${xs[0].toFixed(0)}-${xs[xs.length - 1].toFixed(0)})`);
}
