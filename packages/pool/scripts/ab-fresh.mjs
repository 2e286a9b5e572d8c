// A/B of two builds of @gochan/pool across the pool's workloads (not a test):
// like ab.mjs, but every sample is a fresh process (two builds in one process
// share core's inline caches, which skews both), the builds alternating which
// goes first; WARM untimed runs, then one timed; CPU time (user + system) per
// job, medians. Build the old version as ab.mjs says, then
//   A=$PWD/packages/pool/.ab-old/dist/index.js B=$PWD/packages/pool/dist/index.js \
//     node packages/pool/scripts/ab-fresh.mjs
// Env: N (jobs, 100000; the I/O-like workload runs N/4), REPS (5), WARM (2),
// ONLY (a regex of workload names).
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
const N = Number(process.env.N ?? 100000), W = 8, WIN = 1024, REPS = Number(process.env.REPS ?? 5), WARM = Number(process.env.WARM ?? 2);
const builds = { A: process.env.A, B: process.env.B };
const immediate = () => new Promise((r) => setImmediate(r));
const work = {
  "all at once": async (Pool, n) => { const p = new Pool({ maxWorkers: W, maxQueue: n }); const r = new Array(n); for (let i = 0; i < n; i++) r[i] = p.submit(async () => i); let s = 0; for (const x of await Promise.all(r)) s += x; await p.stopAndWait(); return s; },
  "bounded window": async (Pool, n) => { const p = new Pool({ maxWorkers: W, maxQueue: n }); const r = new Array(n); let s = 0; for (let i = 0; i < n; i++) { if (i >= WIN) s += await r[i - WIN]; r[i] = p.submit(async () => i); } for (const x of await Promise.all(r.slice(Math.max(0, n - WIN)))) s += x; await p.stopAndWait(); return s; },
  "io all at once": async (Pool, n) => { n = n >> 2; const p = new Pool({ maxWorkers: W, maxQueue: n }); const r = new Array(n); for (let i = 0; i < n; i++) r[i] = p.submit(async () => { await immediate(); return i; }); let s = 0; for (const x of await Promise.all(r)) s += x; await p.stopAndWait(); return [s, n]; },
  "group": async (Pool, n) => { const p = new Pool({ maxWorkers: W, maxQueue: WIN }); const g = p.group(); for (let i = 0; i < n; i++) await g.submit(async () => i); let s = 0; for (const x of await g.wait()) s += x; await p.stopAndWait(); return s; },
  "one at a time": async (Pool, n) => { const p = new Pool({ maxWorkers: W, maxQueue: WIN }); let s = 0; for (let i = 0; i < n; i++) s += await p.submit(async () => i); await p.stopAndWait(); return s; },
};
if (process.argv[2] === "--child") {
  const { Pool } = await import(builds[process.argv[3]]);
  const f = work[process.argv[4]];
  for (let i = 0; i < WARM; i++) await f(Pool, N);
  const t0 = process.cpuUsage();
  let out = await f(Pool, N);
  const c = process.cpuUsage(t0);
  const n = Array.isArray(out) ? out[1] : N; const s = Array.isArray(out) ? out[0] : out;
  if (s !== (n * (n - 1)) / 2) throw new Error("checksum");
  console.log(((c.user + c.system) * 1000) / n);
} else {
  const names = Object.keys(work).filter((n) => !process.env.ONLY || new RegExp(process.env.ONLY).test(n));
  const samples = {};
  for (let rep = 0; rep < REPS; rep++) for (const name of names) for (const b of rep % 2 ? ["A", "B"] : ["B", "A"]) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child", b, name], { encoding: "utf8" });
    (samples[`${name} ${b}`] ??= []).push(Number(out));
  }
  const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  console.log(`N=${N} reps=${REPS} warm=${WARM} median CPU ns/job, fresh process per sample; A=${builds.A} B=${builds.B}`);
  for (const name of names) { const a = med(samples[`${name} A`]), b = med(samples[`${name} B`]); console.log(`${name.padEnd(16)} A ${a.toFixed(0).padStart(6)}  B ${b.toFixed(0).padStart(6)}  B/A ${(b / a).toFixed(2)}   A:[${samples[`${name} A`].map(x=>x.toFixed(0))}] B:[${samples[`${name} B`].map(x=>x.toFixed(0))}]`); }
}
