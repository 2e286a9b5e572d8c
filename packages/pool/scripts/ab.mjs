// A/B of two builds of @gochan/pool, interleaved in one process (not a test):
// the same workloads on build A and build B, alternating which goes first,
// CPU time (user + system) per job, medians. Build the old version into a
// directory under packages/pool (so that @gochan/core resolves), e.g.
//   git archive <old-commit> packages/pool/src | tar -x -C /tmp/old
//   mkdir -p packages/pool/.ab-old && cp -r /tmp/old/packages/pool/src packages/pool/.ab-old/
//   (a tsconfig there extending ../../../tsconfig.base.json with outDir dist), tsc -p it
//   A=$PWD/packages/pool/.ab-old/dist/index.js B=$PWD/packages/pool/dist/index.js \
//     node --expose-gc packages/pool/scripts/ab.mjs
// Env: N (jobs, 200000), REPS (7), ONLY (a regex of workload names).
const A = (await import(process.env.A)).Pool;
const B = (await import(process.env.B)).Pool;
const N = Number(process.env.N ?? 200_000), W = 8, WIN = 1024, REPS = Number(process.env.REPS ?? 7);
const work = {
  "submit all-at-once maxQueue=N": async (Pool) => { const p = new Pool({ maxWorkers: W, maxQueue: N }); const r = new Array(N); for (let i = 0; i < N; i++) r[i] = p.submit(async () => i); let s = 0; for (const x of await Promise.all(r)) s += x; await p.stopAndWait(); return s; },
  "submit all-at-once maxQueue=1024": async (Pool) => { const p = new Pool({ maxWorkers: W, maxQueue: WIN }); const r = new Array(N); for (let i = 0; i < N; i++) r[i] = p.submit(async () => i); let s = 0; for (const x of await Promise.all(r)) s += x; await p.stopAndWait(); return s; },
  "submit window=1024": async (Pool) => { const p = new Pool({ maxWorkers: W, maxQueue: WIN }); const r = new Array(N); for (let i = 0; i < N; i++) { if (i >= WIN) await r[i - WIN]; r[i] = p.submit(async () => i); } let s = 0; for (const x of await Promise.all(r)) s += x; await p.stopAndWait(); return s; },
  "group.submit backpressure": async (Pool) => { const p = new Pool({ maxWorkers: W, maxQueue: WIN }); const g = p.group(); for (let i = 0; i < N; i++) await g.submit(async () => i); let s = 0; for (const x of await g.wait()) s += x; await p.stopAndWait(); return s; },
  "fail-fast group.submit": async (Pool) => { const p = new Pool({ maxWorkers: W, maxQueue: WIN }); const g = p.group({ failFast: true }); for (let i = 0; i < N; i++) await g.submit(async () => i); let s = 0; for (const x of await g.wait()) s += x; await p.stopAndWait(); return s; },
  "go all-at-once": async (Pool) => { let s = 0; const p = new Pool({ maxWorkers: W, maxQueue: WIN }); for (let i = 0; i < N; i++) p.go(async () => void (s += i)); await p.stopAndWait(); return s; },
  "pool with a signal, submit all-at-once": async (Pool) => { const c = new AbortController(); const p = new Pool({ maxWorkers: W, maxQueue: N, signal: c.signal }); const r = new Array(N); for (let i = 0; i < N; i++) r[i] = p.submit(async () => i); let s = 0; for (const x of await Promise.all(r)) s += x; await p.stopAndWait(); return s; },
  "one at a time (idle worker)": async (Pool) => { const p = new Pool({ maxWorkers: W, maxQueue: WIN }); let s = 0; for (let i = 0; i < N; i++) s += await p.submit(async () => i); await p.stopAndWait(); return s; },
};
const samples = {};
for (let rep = 0; rep <= REPS; rep++) {
  for (const [name, f] of Object.entries(work)) {
    if (process.env.ONLY && !new RegExp(process.env.ONLY).test(name)) continue;
    for (const [label, Pool] of rep % 2 ? [["A", A], ["B", B]] : [["B", B], ["A", A]]) {
      globalThis.gc?.();
      const t0 = process.cpuUsage();
      const s = await f(Pool);
      const c = process.cpuUsage(t0);
      const dt = ((c.user + c.system) * 1000) / N;
      if (s !== (N * (N - 1)) / 2) throw new Error(`${name} ${label}: checksum ${s}`);
      if (rep > 0) ((samples[name] ??= { A: [], B: [] })[label]).push(dt);
    }
  }
}
const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
console.log(`N=${N} reps=${REPS} median CPU ns/job  A=${process.env.A}  B=${process.env.B}  node ${process.version}`);
for (const [name, { A: a, B: b }] of Object.entries(samples)) console.log(`${name.padEnd(40)} A ${med(a).toFixed(0).padStart(6)}  B ${med(b).toFixed(0).padStart(6)}  B/A ${(med(b) / med(a)).toFixed(2)}`);
