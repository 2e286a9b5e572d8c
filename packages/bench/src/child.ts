/**
 * The child side of the bench: a workload file run as a script measures one peer
 * of one workload once and prints one {@link ChildResult} line.
 *
 * Usage (the driver does this): `node --expose-gc --import tsx src/workloads/<family>.ts <workload> <peer> <count> [<warm-up ms>]`
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import { RESULT_MARK, type ChildResult, type Family, type Measurement } from "./spec.ts";

/** Thrown by {@link load} when a package cannot be imported: the peer is reported "not available". */
export class Unavailable extends Error {
  constructor(specifier: string, cause: unknown) {
    const first = (cause instanceof Error ? cause.message : String(cause)).split("\n")[0] ?? "";
    // "Cannot find module '/abs/node_modules/@gochan/pool/dist/index.js' imported from /abs/child.ts"
    const short = first.replace(/ imported from .*/, "").replace(/'[^']*node_modules\//g, "'");
    super(`${specifier} could not be imported (not built yet?): ${short}`);
    this.name = "Unavailable";
  }
}

/**
 * Imports a peer's package; a failure becomes {@link Unavailable}. The specifier
 * goes through a variable so that a package which does not exist yet (the pool,
 * while it is written) does not break type-checking; callers cast to the surface
 * they use.
 */
export async function load<M>(specifier: string): Promise<M> {
  try {
    return (await import(specifier)) as M;
  } catch (e) {
    throw new Unavailable(specifier, e);
  }
}

/** A full collection, when the process runs with --expose-gc (a no-op otherwise). */
export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === "function") {
    g();
    g();
  }
}

/** Whether the process was started with --expose-gc. */
export function canGc(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === "function";
}

/**
 * Times `body` (which returns the run's checksum) and makes the measurement:
 * wall-clock nanoseconds per operation, with the process's CPU time per
 * operation as a secondary figure (`cpu`: on a shared machine it is less
 * disturbed by being descheduled, though it includes V8's GC threads).
 *
 * No collection is forced first: a forced full GC shrinks V8's young
 * generation back to its minimum, so the timed run would pay for regrowing it
 * (many more scavenges, more promotion) instead of running in the steady state
 * the warm-up reached. Measured on the unbuffered hand-off, in-process, median
 * of 21 runs: floor 136 -> 203 ns/msg and @gochan/core 167 -> 358 ns/msg with
 * `gc()` before each run; it penalises whoever allocates more per operation.
 */
export async function timed(
  count: number,
  unit: Measurement["unit"],
  expected: number,
  body: () => Promise<number>,
): Promise<Measurement> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const check = await body();
  const ns = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { value: ns / count, unit, ops: count, check, expected, extra: { cpu: ((cpu.user + cpu.system) * 1000) / count } };
}

/** One `setImmediate` turn: what the I/O-like jobs of the pool and map workloads await. */
export function immediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** 0 + 1 + ... + (n - 1). */
export function triangle(n: number): number {
  return (n * (n - 1)) / 2;
}

/** Timed repetitions after the warm-up, for a workload that warms up. */
export const REPETITIONS = 3;

/**
 * The least time a measured run (not `--quick`) spends warming a peer up
 * before timing it, in milliseconds: whole runs with the full count, at least
 * one, until this much time has passed.
 *
 * One untimed run was not enough for short workloads. The seed's dispatcher
 * (50,000 jobs, ~45 ms a run once warm) was still settling in its third run,
 * with or without run(): V8 grew the young generation from 4 to 8 MB during
 * it (`v8.getHeapSpaceStatistics()` after each run), and recompiled what the
 * end of the first runs had deoptimized (`--trace-opt --trace-deopt`). Its
 * runs took ~2,400, ~1,700, ~1,100 and then ~730 ns/job, every run after
 * the same, so the median of runs 2-4 measured the warming, and how each peer
 * happened to warm. Half a second covers that with room, and costs a
 * workload that already runs that long (thread-cpu, the slower pool peers)
 * nothing.
 */
export const WARMUP_MS = 500;

/** How {@link runOne} warms a peer up. */
export interface WarmUp {
  /** The least time spent warming up, in whole runs, at least one (see {@link WARMUP_MS}); 0: one run. */
  ms: number;
  /** The clock, in milliseconds (a test's; by default `performance.now`). */
  now?: () => number;
}

/**
 * Runs one peer of one workload in this process and returns its result. A
 * workload that warms up runs untimed with the full count, once and then again
 * until `warmUp.ms` have passed (so the timed runs see optimised code and a
 * young generation grown to its steady size, as a long-running program does),
 * then {@link REPETITIONS} times timed; the result is the median of those.
 * Every run's checksum is checked.
 */
export async function runOne(
  family: Family,
  workloadId: string,
  peerId: string,
  count: number,
  warmUp: WarmUp = { ms: 0 },
): Promise<ChildResult> {
  const workload = family.workloads.find((w) => w.id === workloadId);
  if (workload === undefined) return { status: "error", reason: `no workload ${JSON.stringify(workloadId)} in ${family.name}` };
  const peer = workload.peers[peerId];
  if (peer === undefined) return { status: "error", reason: `no peer ${JSON.stringify(peerId)} in ${workloadId}` };
  if (!Number.isInteger(count) || count < 1) return { status: "error", reason: `bad count ${String(count)}` };
  if (!(warmUp.ms >= 0)) return { status: "error", reason: `bad warm-up ${String(warmUp.ms)} ms` };
  const now = warmUp.now ?? (() => performance.now());
  try {
    const runs: Measurement[] = [];
    const checked = async (): Promise<Measurement | string> => {
      const m = await peer(count);
      return m.check === m.expected ? m : `moved the wrong values: checksum ${m.check}, expected ${m.expected}`;
    };
    if (workload.warmup) {
      const start = now();
      do {
        const m = await checked();
        if (typeof m === "string") return { status: "error", reason: m };
      } while (now() - start < warmUp.ms);
    }
    const reps = workload.warmup ? REPETITIONS : 1;
    for (let i = 0; i < reps; i++) {
      const m = await checked();
      if (typeof m === "string") return { status: "error", reason: m };
      runs.push(m);
    }
    runs.sort((a, b) => a.value - b.value);
    return { status: "ok", measurement: runs[runs.length >> 1] as Measurement };
  } catch (e) {
    if (e instanceof Unavailable) return { status: "unavailable", reason: e.message };
    return { status: "error", reason: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
}

/**
 * Makes a workload file runnable: when `moduleUrl` is the script node was
 * started with, reads `<workload> <peer>[,<peer>...] <count> [<warm-up ms>]` from argv, runs
 * the peers one after another, prints one result line per peer in that order
 * and exits (so a peer's stray timers cannot keep the process alive). Several
 * peers share a process only in `--quick` runs, whose figures mean nothing.
 */
export function runIfMain(moduleUrl: string, family: Family): void {
  const script = process.argv[1];
  if (script === undefined || pathToFileURL(script).href !== moduleUrl) return;
  const [workloadId = "", peerIds = "", countArg = "", warmUpArg = "0"] = process.argv.slice(2);
  void (async () => {
    for (const peerId of peerIds.split(",")) {
      const result = await runOne(family, workloadId, peerId, Number(countArg), { ms: Number(warmUpArg) });
      await new Promise<void>((resolve) => process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`, () => resolve()));
    }
    process.exit(0);
  })();
}
