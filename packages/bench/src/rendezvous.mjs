// The unbuffered rendezvous and its knobs, one child run per call, for docs/threads.md:
// node src/rendezvous.mjs <mode> <count> prints ns and CPU ns per value. Modes: floor (a bare
// Atomics.waitAsync ping-pong), unbuffered (SharedChan(0), one value per send), batch16 (arrays
// of 16 values per send), buffered (SharedChan(1024)). Run the modes interleaved, several rounds.
import { Worker } from "node:worker_threads";
const [mode, countArg] = process.argv.slice(2);
const count = Number(countArg);
const url = import.meta.resolve("@gochan/threads");
function worker(body, data) {
  const w = new Worker(`(async () => { const { parentPort, workerData } = require("node:worker_threads"); ${body} })()`, { eval: true, workerData: data });
  let started; const s = new Promise((r) => (started = r));
  const result = new Promise((resolve, reject) => { w.on("message", (m) => (m.ready ? started() : resolve(m.sum))); w.once("error", reject); });
  return { started: s, result, w };
}
async function timed(body) {
  const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint();
  const sum = await body();
  const ns = Number(process.hrtime.bigint() - t0); const c = process.cpuUsage(c0);
  return { ns: ns / count, cpu: ((c.user + c.system) * 1000) / count, sum };
}
let r;
if (mode === "floor") {
  const i32 = new Int32Array(new SharedArrayBuffer(12));
  const { started, result, w } = worker(`const i32 = workerData.i32; let sum = 0; const alive = setInterval(() => {}, 1 << 30);
    parentPort.postMessage({ ready: true });
    for (let n = 0; n < workerData.count; n++) { while (Atomics.load(i32, 0) !== n + 1) { const r = Atomics.waitAsync(i32, 0, n); if (r.async) await r.value; }
      sum += i32[2]; Atomics.store(i32, 1, n + 1); Atomics.notify(i32, 1); }
    clearInterval(alive); parentPort.postMessage({ sum });`, { i32, count });
  await started;
  r = await timed(async () => { for (let n = 0; n < count; n++) { i32[2] = n; Atomics.store(i32, 0, n + 1); Atomics.notify(i32, 0);
      while (Atomics.load(i32, 1) !== n + 1) { const x = Atomics.waitAsync(i32, 1, n); if (x.async) await x.value; } } return result; });
  await w.terminate();
} else {
  const { SharedChan } = await import("@gochan/threads");
  const batch = mode === "batch16" ? 16 : 1;
  const ch = new SharedChan(mode === "buffered" ? 1024 : 0, { bytes: 1 << 16 });
  const { started, result, w } = worker(`const { SharedChan } = await import(${JSON.stringify(url)}); const ch = SharedChan.from(workerData.ch);
    parentPort.postMessage({ ready: true }); let sum = 0;
    for await (const v of ch) { if (typeof v === "number") sum += v; else for (const x of v) sum += x; }
    parentPort.postMessage({ sum });`, { ch: ch.handle });
  await started;
  r = await timed(async () => {
    if (batch === 1) for (let i = 0; i < count; i++) await ch.send(i);
    else for (let i = 0; i < count; i += batch) { const b = []; for (let j = i; j < i + batch && j < count; j++) b.push(j); await ch.send(b); }
    ch.close(); return result; });
  await w.terminate();
}
if (r.sum !== (count * (count - 1)) / 2) throw new Error(`bad sum ${r.sum}`);
console.log(JSON.stringify({ mode, ns: Math.round(r.ns), cpu: Math.round(r.cpu) }));
process.exit(0);
