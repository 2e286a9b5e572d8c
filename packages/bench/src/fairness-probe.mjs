// Where the fairness row's cost goes, for docs/scheduling.md:
// node src/fairness-probe.mjs [count] [rounds] [-- extra node flags] runs the fairness workload's
// contract (one producer awaits count sends on an unbuffered channel, one consumer awaits as many
// receives; a warm-up run, then three timed) in a fresh `node --trace-gc-nvp` process per setting
// and round, the settings alternating: the default policy (a 10 ms slice), yieldEvery: Infinity,
// and the default budget with a time slice of 5, 2 and 1 ms. Per setting it prints the median over the rounds of: ns per
// message (the middle of the three timed runs), the policy's macrotask turns in a timed run, the
// scavenges of the whole process, their total time and the main thread's time in their parallel
// phase (from V8's --trace-gc-nvp lines), and the voluntary context switches of the process's
// other threads (how often they went to sleep: V8's worker threads, which run the parallel
// scavenges, and libuv's, idle here; from /proc/self/task/*/status, Linux).
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const SETTINGS = {
  default: {},
  "yieldEvery: Infinity": { yieldEvery: Infinity },
  "timeSlice: 5": { timeSlice: 5 },
  "timeSlice: 2": { timeSlice: 2 },
  "timeSlice: 1": { timeSlice: 1 },
};

/** The child: one setting, prints one JSON line. */
async function child(name, count) {
  const core = await import("@gochan/core");
  core.configureScheduling(SETTINGS[name]);
  const once = async () => {
    const ch = new core.Chan(0);
    let sum = 0;
    const consumer = (async () => {
      for (let i = 0; i < count; i++) sum += await ch.recv();
    })();
    for (let i = 0; i < count; i++) await ch.send(i);
    await consumer;
    if (sum !== (count * (count - 1)) / 2) throw new Error(`checksum ${sum}`);
  };
  await once();
  const times = [];
  let turns = 0;
  for (let k = 0; k < 3; k++) {
    const y0 = core.getScheduling().yields;
    const t0 = performance.now();
    await once();
    times.push(((performance.now() - t0) * 1e6) / count);
    turns = core.getScheduling().yields - y0;
  }
  times.sort((a, b) => a - b);
  let threadSleeps = 0;
  for (const tid of readdirSync("/proc/self/task")) {
    const status = readFileSync(`/proc/self/task/${tid}/status`, "utf8");
    // Every thread but the main one (tid === pid): V8's platform workers, which run the
    // parallel scavenges, and libuv's, which this program leaves idle.
    if (Number(tid) === process.pid) continue;
    threadSleeps += Number(/\nvoluntary_ctxt_switches:\s*(\d+)/.exec(status)?.[1] ?? 0);
  }
  console.log(`@@probe ${JSON.stringify({ ns: times[1], turns, threadSleeps })}`);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Sums V8's scavenge lines (--trace-gc-nvp) of one child's output. */
function scavenges(out) {
  let n = 0;
  let ms = 0;
  let parallel = 0;
  for (const line of out.split("\n")) {
    if (!line.includes(" gc=s ")) continue;
    n++;
    // pause= is printed to 0.1 ms, scavenge= (the collection itself) to 0.01 ms.
    ms += Number(/ scavenge=([\d.]+)/.exec(line)?.[1] ?? 0);
    parallel += Number(/ scavenge\.parallel=([\d.]+)/.exec(line)?.[1] ?? 0);
  }
  return { n, ms, parallel };
}

const [, , first, ...rest] = process.argv;
if (first === "--child") {
  await child(rest[0], Number(rest[1]));
} else {
  const count = Number(first ?? 1_000_000);
  const dash = rest.indexOf("--");
  const rounds = dash === 0 || rest[0] === undefined ? 5 : Number(rest[0]);
  const flags = dash < 0 ? [] : rest.slice(dash + 1);
  const self = fileURLToPath(import.meta.url);
  const rows = Object.fromEntries(Object.keys(SETTINGS).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of Object.keys(SETTINGS)) {
      const p = spawnSync(process.execPath, [...flags, "--trace-gc-nvp", self, "--child", name, String(count)], { encoding: "utf8", maxBuffer: 1 << 28 });
      const line = p.stdout.split("\n").find((l) => l.startsWith("@@probe "));
      if (p.status !== 0 || line === undefined) throw new Error(`${name}: exit ${p.status}\n${p.stderr}`);
      rows[name].push({ ...JSON.parse(line.slice("@@probe ".length)), ...scavenges(p.stdout) });
    }
  }
  console.log(`${count} messages per run, 4 runs per process (1 warm-up, 3 timed), median of ${rounds} processes${flags.length > 0 ? `, node ${flags.join(" ")}` : ""}`);
  console.log("setting               ns/msg  turns/run  scavenges  scavenge ms  parallel ms  thread sleeps");
  for (const [name, rs] of Object.entries(rows)) {
    const m = (k) => median(rs.map((x) => x[k]));
    console.log(
      `${name.padEnd(20)} ${m("ns").toFixed(1).padStart(7)} ${String(m("turns")).padStart(10)} ${String(m("n")).padStart(10)}` +
        ` ${m("ms").toFixed(1).padStart(12)} ${m("parallel").toFixed(1).padStart(12)} ${String(m("threadSleeps")).padStart(14)}`,
    );
  }
}
