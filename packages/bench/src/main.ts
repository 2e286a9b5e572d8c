/**
 * The bench driver: `pnpm bench [--quick] [--runs N] [--only <pattern>] [--json <path>] [--no-go]`.
 *
 * Builds @gochan/core and @gochan/pool, then for every workload runs every peer
 * `runs` times, each run a fresh `node --expose-gc --import tsx` process (or a
 * fresh process of the Go test binary), the peers alternating within each round
 * (round r starts at peer r); `--quick` runs a workload's peers in one process. Prints the table, writes the JSON file, and after
 * a full run of every workload writes docs/benchmarks.{md,svg,json}.
 * Exits 1 if a run failed or moved the wrong values; a missed target is
 * reported, never an exit status.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { WARMUP_MS } from "./child.ts";
import { buildGoBench, findGo, runGoBench } from "./go.ts";
import { renderJson, renderMarkdown, renderSvg, renderTable } from "./report.ts";
import { summarize, type BenchResult, type GoInfo, type PeerResult, type WorkloadResult } from "./results.ts";
import { peerLabel, RESULT_MARK, type ChildResult, type Family, type Workload } from "./spec.ts";
import { evaluateTargets } from "./targets.ts";
import { channels } from "./workloads/channels.ts";
import { maps } from "./workloads/map.ts";
import { memory } from "./workloads/memory.ts";
import { pools } from "./workloads/pool.ts";
import { programs } from "./workloads/programs.ts";
import { redisQueues } from "./workloads/redis.ts";
import { selects } from "./workloads/select.ts";
import { soak } from "./workloads/soak.ts";
import { synctest } from "./workloads/synctest.ts";
import { threads } from "./workloads/threads.ts";

/** packages/bench */
export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The workspace's pinned pnpm ("pnpm@x.y.z", package.json's packageManager), as the report's command names it. */
export function pinnedPnpm(): string {
  const root = JSON.parse(readFileSync(resolve(BENCH_DIR, "..", "..", "package.json"), "utf8")) as { packageManager?: string };
  return root.packageManager ?? "pnpm";
}
/** Every workload family, in report order. */
export const FAMILIES: readonly Family[] = [channels, selects, pools, maps, programs, memory, soak, synctest, threads, redisQueues];

/** The driver's options, from the command line. */
export interface Options {
  quick: boolean;
  /** Runs per peer: `--runs`, else 1 with `--quick`, else 5 (see {@link runsOf}). */
  runs: number;
  /** Whether `runs` was set by `--runs` or `--quick`, and so holds for every workload. */
  runsFixed: boolean;
  /** Only workloads whose id or family name matches. */
  only: RegExp | null;
  /** Where the JSON goes. */
  json: string;
  /** Where benchmarks.md and benchmarks.svg go. */
  docs: string;
  /** Run the Go side if a toolchain is on PATH. */
  go: boolean;
  /** Build @gochan/core and @gochan/pool first. */
  build: boolean;
  /** The arguments as given, for the report's command line. */
  args: string[];
}

export const USAGE = `usage: pnpm bench [--quick] [--runs N] [--only <pattern>] [--json <path>] [--no-go]
  --quick          every workload with tiny counts, one run, a workload's peers sharing one
                   process (CI's smoke run); figures mean nothing
  --runs N         runs per peer (default 5, or more where a workload asks for more: the
                   Go programs under run() and the fairness policy; 1 with --quick);
                   figures are medians, ratio targets compare each peer's fastest run
  --only <regex>   only workloads whose id or family matches (e.g. "pool", "select|unbuffered")
  --json <path>    where to write the JSON results (default: docs/benchmarks.json after a full
                   run of every workload, else packages/bench/.bench-out/benchmarks[-quick].json)
  --docs <dir>     where to write benchmarks.md and benchmarks.svg (default: docs/ after a full
                   run of every workload, else packages/bench/.bench-out/)
  --no-go          skip the Go workloads even if a Go toolchain is on PATH
  --no-build       do not build @gochan/core and @gochan/pool first`;

/** Parses the command line; throws a RangeError naming a bad argument. */
export function parseArgs(argv: readonly string[], cwd: string = process.env.INIT_CWD ?? process.cwd()): Options {
  let quick = false;
  let runs: number | null = null;
  let only: RegExp | null = null;
  let json: string | null = null;
  let docs: string | null = null;
  let go = true;
  let build = true;
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new RangeError(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    switch (a) {
      case "--":
        break;
      case "--quick":
        quick = true;
        break;
      case "--runs": {
        const v = value(i++, a);
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new RangeError(`--runs must be a positive integer, got ${JSON.stringify(v)}`);
        runs = n;
        break;
      }
      case "--only": {
        const v = value(i++, a);
        try {
          only = new RegExp(v, "i");
        } catch {
          throw new RangeError(`--only must be a regular expression, got ${JSON.stringify(v)}`);
        }
        break;
      }
      case "--json":
        json = resolve(cwd, value(i++, a));
        break;
      case "--docs":
        docs = resolve(cwd, value(i++, a));
        break;
      case "--no-go":
        go = false;
        break;
      case "--no-build":
        build = false;
        break;
      default:
        throw new RangeError(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
    }
  }
  // Only a full run of every workload replaces the committed results in docs/.
  const out = complete(quick, only) ? resolve(BENCH_DIR, "../../docs") : join(BENCH_DIR, ".bench-out");
  return {
    quick,
    runs: runs ?? (quick ? 1 : 5),
    runsFixed: runs !== null || quick,
    only,
    json: json ?? join(out, quick ? "benchmarks-quick.json" : "benchmarks.json"),
    docs: docs ?? out,
    go,
    build,
    args: argv.filter((a) => a !== "--"),
  };
}

/** How many runs each peer of `w` gets: `--runs` or `--quick` if given, else the default or, if more, the workload's own `runs`. */
export function runsOf(options: Options, w: Workload): number {
  return options.runsFixed ? options.runs : Math.max(options.runs, w.runs ?? 0);
}

function complete(quick: boolean, only: RegExp | null): boolean {
  return !quick && only === null;
}

/** Builds core, then pool, then threads; a failure is reported and the bench goes on (the pool's rows then say "not available"). */
function build(log: (line: string) => void): void {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  for (const pkg of ["core", "pool", "threads"]) {
    const r = spawnSync(process.execPath, [tsc, "-b", `../${pkg}`], { cwd: BENCH_DIR, encoding: "utf8" });
    if (r.status !== 0) {
      const why = (r.stdout + r.stderr).trim().split("\n").slice(0, 3).join(" | ");
      log(`warning: building @gochan/${pkg} failed (${why}); the bench uses whatever dist/ holds`);
    }
  }
}

/** Where and how a child process runs its workload. */
export interface ChildOptions {
  /** The family's workload file (by default `workloads/<family>.ts`). */
  file?: string;
  /** The least time the child warms each peer up, in milliseconds (see WARMUP_MS); by default 0, one warm-up run. */
  warmUpMs?: number;
}

/** Runs one peer of one workload once in a fresh node process. */
export function runChild(family: Family, workload: Workload, peer: string, count: number, options: ChildOptions = {}): ChildResult {
  return runChildren(family, workload, [peer], count, options)[0] as ChildResult;
}

/**
 * Runs peers of one workload once each, one after another in ONE fresh node
 * process (only `--quick` shares a process; a measured run gives each peer its
 * own). One result per peer, in order; a peer the process never reported on
 * (it hung or crashed there) gets the error.
 */
export function runChildren(
  family: Family,
  workload: Workload,
  peers: readonly string[],
  count: number,
  options: ChildOptions = {},
): ChildResult[] {
  const file = options.file ?? fileURLToPath(new URL(`./workloads/${family.name}.ts`, import.meta.url));
  const r = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", file, workload.id, peers.join(","), String(count), String(options.warmUpMs ?? 0)],
    { cwd: BENCH_DIR, encoding: "utf8", timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const results = (r.stdout ?? "")
    .split("\n")
    .filter((l) => l.startsWith(RESULT_MARK))
    .map((l) => JSON.parse(l.slice(RESULT_MARK.length)) as ChildResult);
  if (results.length >= peers.length) return results.slice(0, peers.length);
  let failure: ChildResult;
  if (r.error !== undefined) failure = { status: "error", reason: `child process failed: ${r.error.message}` };
  else if (r.status === 0) {
    // Node exits 0 when nothing is left to run: the workload awaited a promise that never settled.
    failure = { status: "error", reason: "the workload hung: its process ran out of work with a promise still pending" };
  } else {
    const tail = (r.stderr ?? "").trim().split("\n").slice(-5).join(" | ");
    failure = { status: "error", reason: `child process gave no result (exit ${String(r.status ?? r.signal)}: ${tail})` };
  }
  return peers.map((_, i) => results[i] ?? failure);
}

interface Slot {
  peer: string;
  run: (count: number) => ChildResult;
  samples: number[];
  extras: Record<string, number>[];
  status: PeerResult["status"];
  reason?: string;
}

/** The commit measured, and uncommitted changes to the measured packages' sources. */
function codeInfo(): BenchResult["code"] {
  const git = (args: string[]): string | null => {
    const r = spawnSync("git", args, { cwd: BENCH_DIR, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const commit = git(["rev-parse", "--short", "HEAD"]);
  const status = git(["status", "--porcelain", "--", "../core/src", "../pool/src"]);
  if (commit === null || status === null) return null;
  return { commit, dirty: status === "" ? [] : status.split("\n").map((l) => l.slice(3)) };
}

function machine(loadStart: number): BenchResult["machine"] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    loadStart,
    loadEnd: os.loadavg()[0] ?? 0,
  };
}

/** Runs the bench as `options` say, logging progress; returns the result set (not yet written). */
export function runBench(options: Options, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): BenchResult {
  const started = Date.now();
  const loadStart = os.loadavg()[0] ?? 0;
  const code = codeInfo();
  if (code !== null && code.dirty.length > 0) log(`warning: measuring uncommitted changes: ${code.dirty.join(", ")}`);
  if (options.build) build(log);

  let goInfo: GoInfo = { available: false, reason: "disabled with --no-go" };
  let goBinary: string | null = null;
  if (options.go) {
    const tc = findGo();
    if (!tc.ok) goInfo = { available: false, reason: tc.reason };
    else {
      const b = buildGoBench(join(BENCH_DIR, "go"), join(BENCH_DIR, ".bench-out"));
      if (b.ok) {
        goBinary = b.binary;
        goInfo = { available: true, version: tc.version };
      } else goInfo = { available: false, reason: b.reason };
    }
  }

  const workloads: WorkloadResult[] = [];
  let failed = false;
  for (const family of FAMILIES) {
    for (const w of family.workloads) {
      if (options.only !== null && !options.only.test(w.id) && !options.only.test(family.name)) continue;
      const count = options.quick ? w.count.quick : w.count.full;
      // A quick run is a smoke test: one warm-up run is enough to see it work.
      const warmUpMs = options.quick ? 0 : WARMUP_MS;
      const slots: Slot[] = Object.keys(w.peers).map((peer) => ({
        peer,
        run: (n) => runChild(family, w, peer, n, { warmUpMs }),
        samples: [],
        extras: [],
        status: "ok",
      }));
      for (const g of w.go ?? []) {
        for (const cpu of [1, 2]) {
          const slot: Slot = { peer: `${g.peer}-${cpu}`, run: () => ({ status: "error", reason: "" }), samples: [], extras: [], status: "ok" };
          if (goBinary === null) {
            slot.status = "unavailable";
            slot.reason = goInfo.reason ?? "Go not available";
          } else {
            const binary = goBinary;
            slot.run = (n) => runGoBench(binary, g.bench, cpu, n, w.unit);
          }
          slots.push(slot);
        }
      }
      if (options.quick && options.runs === 1 && !family.onePeerPerProcess) {
        // A smoke run: the peers of a workload share one process, so CI starts a process per workload, not per peer.
        const node = slots.slice(0, Object.keys(w.peers).length);
        const results = runChildren(
          family,
          w,
          node.map((s) => s.peer),
          count,
        );
        node.forEach((slot, i) => {
          const r = results[i] as ChildResult;
          slot.run = () => r;
        });
      }
      const runs = runsOf(options, w);
      for (let round = 0; round < runs; round++) {
        const start = round % slots.length;
        const order = [...slots.slice(start), ...slots.slice(0, start)];
        for (const slot of order) {
          if (slot.status === "unavailable") continue;
          const r = slot.run(count);
          const tag = `[${w.id} ${round + 1}/${runs}] ${peerLabel(slot.peer, w.labels)}`;
          if (r.status === "ok") {
            slot.samples.push(r.measurement.value);
            if (r.measurement.extra !== undefined) slot.extras.push(r.measurement.extra);
            log(`${tag}: ${r.measurement.value.toFixed(1)} ${r.measurement.unit}`);
          } else if (r.status === "unavailable") {
            slot.status = "unavailable";
            slot.reason = r.reason;
            log(`${tag}: not available (${r.reason})`);
          } else {
            slot.status = "error";
            slot.reason = r.reason;
            failed = true;
            log(`${tag}: ERROR ${r.reason}`);
          }
        }
      }
      const result: WorkloadResult = {
        id: w.id,
        family: family.name,
        title: w.title,
        unit: w.unit,
        count,
        ...(runs !== options.runs ? { runs } : {}),
        peers: slots.map((s) => {
          const p: PeerResult = { peer: s.peer, label: peerLabel(s.peer, w.labels), status: s.status, samples: s.samples };
          if (s.reason !== undefined) p.reason = s.reason;
          return summarize(p, s.extras);
        }),
      };
      if (w.note !== undefined) result.note = w.note;
      if (w.contract !== undefined) result.contract = w.contract;
      workloads.push(result);
    }
  }
  const result: BenchResult = {
    date: new Date(started).toISOString(),
    command: [`npx --yes ${pinnedPnpm()} run bench`, ...options.args].join(" "),
    quick: options.quick,
    runs: options.runs,
    seconds: (Date.now() - started) / 1000,
    machine: machine(loadStart),
    code,
    go: goInfo,
    workloads,
    targets: evaluateTargets({ workloads }),
  };
  if (failed) process.exitCode = 1;
  return result;
}

/** Marks the demo's section of benchmarks.md, written by `pnpm --filter @gochan/demo compare`'s operator, not by the bench. */
const DEMO_START = "<!-- demo-compare:start -->";
const DEMO_END = "<!-- demo-compare:end -->";

/**
 * `fresh` with the demo section of `previous` (from DEMO_START to DEMO_END)
 * appended, so that regenerating benchmarks.md keeps the demo's comparison.
 */
export function carryDemoSection(previous: string | undefined, fresh: string): string {
  const start = previous?.indexOf(DEMO_START) ?? -1;
  const end = previous?.indexOf(DEMO_END) ?? -1;
  if (previous === undefined || start === -1 || end < start) return fresh;
  return `${fresh.trimEnd()}\n\n${previous.slice(start, end + DEMO_END.length)}\n`;
}

/** Writes the JSON, the markdown and the chart; returns the paths written. */
export function writeOutputs(result: BenchResult, options: Options): string[] {
  mkdirSync(dirname(options.json), { recursive: true });
  writeFileSync(options.json, renderJson(result));
  mkdirSync(options.docs, { recursive: true });
  const md = join(options.docs, "benchmarks.md");
  const svg = join(options.docs, "benchmarks.svg");
  writeFileSync(svg, renderSvg(result));
  const json = relative(options.docs, options.json).split(sep).join("/");
  const previous = existsSync(md) ? readFileSync(md, "utf8") : undefined;
  writeFileSync(md, carryDemoSection(previous, renderMarkdown(result, "benchmarks.svg", json.startsWith("..") || isAbsolute(json) ? undefined : json)));
  return [options.json, md, svg];
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let options: Options;
  try {
    options = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
    return;
  }
  const result = runBench(options);
  process.stdout.write(`\n${renderTable(result)}\n\n`);
  for (const path of writeOutputs(result, options)) process.stdout.write(`wrote ${path}\n`);
}

const script = process.argv[1];
if (script !== undefined && pathToFileURL(script).href === import.meta.url) main();
