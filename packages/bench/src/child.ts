/**
 * The child side of the bench: a workload file run as a script measures one peer
 * of one workload once and prints one {@link ChildResult} line.
 *
 * Usage (the driver does this): `node --expose-gc --import tsx src/workloads/<family>.ts <workload> <peer> <count>`
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
 * Runs one peer of one workload in this process and returns its result. A
 * workload that warms up runs once untimed with the full count (so the timed
 * runs see optimised code and a young generation grown to its steady size, as
 * a long-running program does), then {@link REPETITIONS} times timed; the
 * result is the median of those. Every run's checksum is checked.
 */
export async function runOne(family: Family, workloadId: string, peerId: string, count: number): Promise<ChildResult> {
  const workload = family.workloads.find((w) => w.id === workloadId);
  if (workload === undefined) return { status: "error", reason: `no workload ${JSON.stringify(workloadId)} in ${family.name}` };
  const peer = workload.peers[peerId];
  if (peer === undefined) return { status: "error", reason: `no peer ${JSON.stringify(peerId)} in ${workloadId}` };
  if (!Number.isInteger(count) || count < 1) return { status: "error", reason: `bad count ${String(count)}` };
  try {
    const runs: Measurement[] = [];
    const reps = workload.warmup ? 1 + REPETITIONS : 1;
    for (let i = 0; i < reps; i++) {
      const m = await peer(count);
      if (m.check !== m.expected) {
        return { status: "error", reason: `moved the wrong values: checksum ${m.check}, expected ${m.expected}` };
      }
      if (!workload.warmup || i > 0) runs.push(m);
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
 * started with, reads `<workload> <peer>[,<peer>...] <count>` from argv, runs
 * the peers one after another, prints one result line per peer in that order
 * and exits (so a peer's stray timers cannot keep the process alive). Several
 * peers share a process only in `--quick` runs, whose figures mean nothing.
 */
export function runIfMain(moduleUrl: string, family: Family): void {
  const script = process.argv[1];
  if (script === undefined || pathToFileURL(script).href !== moduleUrl) return;
  const [workloadId = "", peerIds = "", countArg = ""] = process.argv.slice(2);
  void (async () => {
    for (const peerId of peerIds.split(",")) {
      const result = await runOne(family, workloadId, peerId, Number(countArg));
      await new Promise<void>((resolve) => process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`, () => resolve()));
    }
    process.exit(0);
  })();
}
