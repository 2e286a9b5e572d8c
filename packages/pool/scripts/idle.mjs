// The idle path (not a test): jobs submitted one at a time, each awaited
// before the next, so every job meets an idle worker (a server's case). Two
// builds of @gochan/pool (A, B: see ab.mjs for building an old one) against
// fastq, a minimal hand-written pool and a bare await of the job; also the
// cost of a pool `signal` (per-job signals), on the idle path and with every
// job submitted at once. Every sample is a fresh process (one workload:
// a warm-up run of N jobs, then a timed one), the workloads interleaved in a rotating
// order; CPU time (user + system) per job, medians.
//   A=$PWD/packages/pool/.ab-old/dist/index.js B=$PWD/packages/pool/dist/index.js \
//     node packages/pool/scripts/idle.mjs
// Env: N (jobs, 200000), REPS (samples per workload, 7), ONLY (a regex of
// workload names), WARM (untimed warm-up runs per sample, 1: on a loaded
// machine the optimising compiler may need 3 or more to settle). Without A, only B (default: this package's dist) and the
// peers run.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fastq from "../../bench/node_modules/fastq/queue.js";

const N = Number(process.env.N ?? 200_000), W = 8, REPS = Number(process.env.REPS ?? 7), WARM = Number(process.env.WARM ?? 1);
const builds = { B: process.env.B ?? new URL("../dist/index.js", import.meta.url).href };
if (process.env.A) builds.A = process.env.A;
const job = async (i) => i;

/** A minimal pool with the same contract (a result promise per job, W workers, FIFO). */
class MinimalPool {
  constructor(n) { this.free = n; this.waiting = []; }
  submit(fn) {
    return new Promise((resolve, reject) => {
      const t = { fn, resolve, reject };
      if (this.free > 0) { this.free--; void this.run(t); } else this.waiting.push(t);
    });
  }
  async run(t) {
    while (t !== undefined) {
      try { t.resolve(await t.fn()); } catch (e) { t.reject(e); }
      t = this.waiting.shift();
    }
    this.free++;
  }
}

const work = {};
for (const [label, url] of Object.entries(builds)) {
  const Pool = async () => (await import(url)).Pool;
  work[`${label} one at a time`] = async (n) => { const p = new (await Pool())({ maxWorkers: W, maxQueue: 1024 }); let s = 0; for (let i = 0; i < n; i++) s += await p.submit(() => job(i)); await p.stopAndWait(); return s; };
  work[`${label} one at a time, pool signal`] = async (n) => { const c = new AbortController(); const p = new (await Pool())({ maxWorkers: W, maxQueue: 1024, signal: c.signal }); let s = 0; for (let i = 0; i < n; i++) s += await p.submit(() => job(i)); await p.stopAndWait(); return s; };
  work[`${label} all at once, pool signal`] = async (n) => { const c = new AbortController(); const p = new (await Pool())({ maxWorkers: W, maxQueue: n, signal: c.signal }); const r = new Array(n); for (let i = 0; i < n; i++) r[i] = p.submit(() => job(i)); let s = 0; for (const x of await Promise.all(r)) s += x; await p.stopAndWait(); return s; };
}
work["fastq one at a time"] = async (n) => { const q = fastq.promise(job, W); let s = 0; for (let i = 0; i < n; i++) s += await q.push(i); return s; };
work["minimal pool one at a time"] = async (n) => { const p = new MinimalPool(W); let s = 0; for (let i = 0; i < n; i++) s += await p.submit(() => job(i)); return s; };
work["bare await one at a time"] = async (n) => { let s = 0; for (let i = 0; i < n; i++) s += await job(i); return s; };

if (process.argv[2] === "--child") {
  const f = work[process.argv[3]];
  // Warm up: the optimising compiler needs some 100,000 jobs to settle.
  for (let i = 0; i < WARM; i++) await f(N);
  const t0 = process.cpuUsage();
  const s = await f(N);
  const c = process.cpuUsage(t0);
  if (s !== (N * (N - 1)) / 2) throw new Error(`${process.argv[3]}: checksum ${s}`);
  console.log(((c.user + c.system) * 1000) / N);
} else {
  const names = Object.keys(work).filter((n) => !process.env.ONLY || new RegExp(process.env.ONLY).test(n));
  const samples = {};
  for (let rep = 0; rep < REPS; rep++) {
    const order = names.slice(rep % names.length).concat(names.slice(0, rep % names.length));
    if (rep % 2) order.reverse();
    for (const name of order) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child", name], { encoding: "utf8" });
      (samples[name] ??= []).push(Number(out));
    }
  }
  const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  console.log(`N=${N} reps=${REPS} warm-up runs=${WARM} workers=${W} median CPU ns/job (min-max), fresh process per sample, node ${process.version}`);
  for (const name of names) {
    const xs = samples[name];
    console.log(`${name.padEnd(34)} ${med(xs).toFixed(0).padStart(6)}  (${xs[0].toFixed(0)}-${xs[xs.length - 1].toFixed(0)})`);
  }
}
