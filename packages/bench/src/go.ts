/**
 * The Go side: when a Go toolchain is on PATH, the same workloads written in Go
 * (packages/bench/go) run in the same invocation, as peers `<peer>-1` and
 * `<peer>-2` (GOMAXPROCS=1 and 2). The test binary is built once; each run is
 * one fresh process of it, interleaved with the TypeScript peers.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ChildResult, Unit } from "./spec.ts";

/** A usable Go toolchain, or why there is none. */
export type GoToolchain = { ok: true; go: string; version: string } | { ok: false; reason: string };

/** Looks for `go` on PATH (of `env`). */
export function findGo(env: NodeJS.ProcessEnv = process.env): GoToolchain {
  const r = spawnSync("go", ["version"], { env, encoding: "utf8", timeout: 30_000 });
  if (r.error !== undefined || r.status !== 0) {
    return { ok: false, reason: "no Go toolchain on PATH" };
  }
  return { ok: true, go: "go", version: r.stdout.trim() };
}

/** Compiles the Go benchmarks in `goDir` into `outDir`; the binary's path, or why it failed. */
export function buildGoBench(goDir: string, outDir: string): { ok: true; binary: string } | { ok: false; reason: string } {
  mkdirSync(outDir, { recursive: true });
  const binary = join(outDir, "gochan-bench.test");
  const r = spawnSync("go", ["test", "-c", "-o", binary, "."], { cwd: goDir, encoding: "utf8", timeout: 600_000 });
  if (r.error !== undefined || r.status !== 0) {
    return { ok: false, reason: `go test -c failed: ${(r.error?.message ?? r.stderr).trim().split("\n").slice(0, 3).join(" ")}` };
  }
  return { ok: true, binary };
}

/** What one `go test -bench` result line says: ns/op, and CPU ns/op where the benchmark reports it. */
export interface GoFigures {
  ns: number;
  /** The `cpu-ns/op` metric (process CPU time per op), if reported. */
  cpu?: number;
}

/**
 * The figures of benchmark `bench` at GOMAXPROCS `cpu` in `go test -bench`
 * output, or null. Go names the run `BenchmarkX-<cpu>`, without the suffix
 * when GOMAXPROCS is 1.
 */
export function parseGoFigures(output: string, bench: string, cpu: number): GoFigures | null {
  for (const line of output.split("\n")) {
    const m = /^Benchmark(\w+)(?:-(\d+))?\s+\d+\s+([\d.]+) ns\/op(?:.*?\s([\d.]+) cpu-ns\/op)?/.exec(line.trim());
    if (m === null || m[1] !== bench) continue;
    const procs = m[2] === undefined ? 1 : Number(m[2]);
    if (procs !== cpu) continue;
    return m[4] === undefined ? { ns: Number(m[3]) } : { ns: Number(m[3]), cpu: Number(m[4]) };
  }
  return null;
}

/** The ns/op of benchmark `bench` at GOMAXPROCS `cpu` in `go test -bench` output, or null. */
export function parseGoBench(output: string, bench: string, cpu: number): number | null {
  return parseGoFigures(output, bench, cpu)?.ns ?? null;
}

/** Runs one Go benchmark once in a fresh process of the test binary. */
export function runGoBench(binary: string, bench: string, cpu: number, count: number, unit: Unit): ChildResult {
  const args = [
    "-test.run",
    "^$",
    "-test.bench",
    `^Benchmark${bench}$`,
    "-test.benchtime",
    `${count}x`,
    "-test.cpu",
    String(cpu),
    "-test.count",
    "1",
  ];
  const r = spawnSync(binary, args, { encoding: "utf8", timeout: 600_000 });
  if (r.error !== undefined) return { status: "error", reason: r.error.message };
  const f = parseGoFigures(r.stdout, bench, cpu);
  if (r.status !== 0 || f === null) {
    return { status: "error", reason: `Go benchmark ${bench} failed: ${(r.stdout + r.stderr).trim().split("\n").slice(-3).join(" ")}` };
  }
  const measurement: ChildResult & { status: "ok" } = { status: "ok", measurement: { value: f.ns, unit, ops: count, check: 0, expected: 0 } };
  if (f.cpu !== undefined) measurement.measurement.extra = { cpu: f.cpu };
  return measurement;
}
