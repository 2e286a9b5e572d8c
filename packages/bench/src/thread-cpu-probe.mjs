// Where the CPU of the thread-cpu workload goes, per thread, for docs/threads.md:
// node src/thread-cpu-probe.mjs <pool|bare> <count> <runs> [threads-entry] runs the workload's
// contract like the bench does (a fresh pool, or 2 bare workers, per run, 8 warm-up jobs, then
// <count> cpu jobs submitted at once and every result awaited) and prints, per run after the
// first, the wall time and the CPU time per job of the main thread, of the pool's (or the bare)
// threads and of every other thread of the process (V8's compiler and GC helpers), read from
// /proc/self/task/*/stat (Linux). threads-entry, if given, is the path of another build of
// @gochan/threads (to compare two builds interleaved, run after run). The job's rounds come from
// GOCHAN_BENCH_CPU_ITERATIONS as in the bench (50,000 is ~90 us on an idle core here).
import { readFileSync, readdirSync } from "node:fs";
import { Worker } from "node:worker_threads";

const [mode = "pool", countArg = "12000", runsArg = "3", entry] = process.argv.slice(2);
const count = Number(countArg);
const runs = Number(runsArg);
const jobs = new URL("./workloads/threads-jobs.mjs", import.meta.url).href;
const { ThreadPool } = await import(entry ?? "@gochan/threads");

/** CPU ms of every thread of this process, by thread id. */
function threadsCpu() {
  const out = new Map();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(tid, (Number(f[11]) + Number(f[12])) * 10); // utime + stime, in 10 ms ticks
    } catch {
      // the thread exited meanwhile
    }
  }
  return out;
}

async function pool() {
  const p = new ThreadPool({ module: jobs, maxThreads: 2, maxQueue: Infinity });
  const run = async (n) => {
    const results = new Array(n);
    for (let i = 0; i < n; i++) results[i] = p.submit("cpu", [i]);
    let sum = 0;
    for (const r of await Promise.all(results)) sum += r;
    return sum;
  };
  await run(8);
  return { run, close: () => p.stop() };
}

async function bare() {
  const ws = [0, 1].map(
    (t) =>
      new Worker(
        `const { parentPort, workerData } = require("node:worker_threads");
         (async () => {
           const { cpu } = await import(${JSON.stringify(jobs)});
           for (let i = 0; i < 8; i++) cpu(i);
           parentPort.on("message", () => { let s = 0; for (let i = workerData.from; i < workerData.to; i++) s += cpu(i); parentPort.postMessage(s); });
           parentPort.postMessage("ready");
         })()`,
        { eval: true, workerData: { from: Math.floor((t * count) / 2), to: Math.floor(((t + 1) * count) / 2) } },
      ),
  );
  await Promise.all(ws.map((w) => new Promise((r) => w.once("message", r))));
  const run = async () => {
    const sums = ws.map((w) => new Promise((r) => w.once("message", r)));
    for (const w of ws) w.postMessage("go");
    let sum = 0;
    for (const s of await Promise.all(sums)) sum += s;
    return sum;
  };
  return { run, close: () => Promise.all(ws.map((w) => w.terminate())) };
}

const perJob = (ms) => +((ms * 1000) / count).toFixed(1);
for (let r = 0; r < runs; r++) {
  const before = new Set(threadsCpu().keys());
  const peer = mode === "bare" ? await bare() : await pool();
  const c0 = threadsCpu();
  const t0 = performance.now();
  await peer.run(count);
  const wall = performance.now() - t0;
  const c1 = threadsCpu();
  await peer.close();
  if (r === 0) continue; // the first run warms this thread's code, as the bench's warm-up run does
  let main = 0;
  let threads = 0;
  let other = 0;
  for (const [tid, ms] of c1) {
    const d = ms - (c0.get(tid) ?? 0);
    if (tid === String(process.pid)) main += d;
    else if (!before.has(tid)) threads += d;
    else other += d;
  }
  console.log(JSON.stringify({ mode, wallUs: perJob(wall), mainUs: perJob(main), threadsUs: perJob(threads), otherUs: perJob(other), totalUs: perJob(main + threads + other) }));
}
