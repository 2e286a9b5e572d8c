// The driver: its command line, and one end-to-end quick run of one workload as
// a child process (the whole `pnpm bench --quick` takes too long for the unit
// suite; it runs as its own command).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { BENCH_DIR, carryDemoSection, FAMILIES, parseArgs, runChild, runChildren, runsOf, USAGE } from "../src/main.ts";
import { misbehaving } from "./fixtures/misbehaving.ts";
import type { BenchResult } from "../src/results.ts";

describe("carryDemoSection", () => {
  it("keeps the demo's comparison when benchmarks.md is regenerated, and adds nothing when there is none", () => {
    const section = "<!-- demo-compare:start -->\n## Demo\n| a |\n<!-- demo-compare:end -->";
    expect(carryDemoSection(`# Old\n\nold tables\n\n${section}\n`, "# New\n")).toBe(`# New\n\n${section}\n`);
    expect(carryDemoSection("# Old\n", "# New\n")).toBe("# New\n");
    expect(carryDemoSection(undefined, "# New\n")).toBe("# New\n");
  });
});

describe("parseArgs", () => {
  it("defaults to 5 runs and, for a full run of everything, writes docs/", () => {
    const o = parseArgs([], "/somewhere");
    expect(o).toMatchObject({ quick: false, runs: 5, only: null, go: true, build: true });
    expect(o.docs).toBe(resolve(BENCH_DIR, "../../docs"));
    expect(o.json).toBe(resolve(BENCH_DIR, "../../docs/benchmarks.json"));
  });

  it("--quick is one run with tiny counts, written under .bench-out, never over docs/", () => {
    const o = parseArgs(["--quick"], "/somewhere");
    expect(o).toMatchObject({ quick: true, runs: 1 });
    expect(o.docs).toBe(join(BENCH_DIR, ".bench-out"));
    expect(o.json).toBe(join(BENCH_DIR, ".bench-out", "benchmarks-quick.json"));
  });

  it("--only selects workloads and keeps docs/ untouched; paths resolve against the caller's directory", () => {
    const o = parseArgs(["--only", "select|POOL", "--runs", "3", "--json", "out.json", "--no-go", "--", "--no-build"], "/work/x");
    expect(o.only?.test("select2")).toBe(true);
    expect(o.only?.test("pool")).toBe(true);
    expect(o.only?.test("buffered")).toBe(false);
    expect(o).toMatchObject({ runs: 3, json: "/work/x/out.json", go: false, build: false });
    expect(o.docs).toBe(join(BENCH_DIR, ".bench-out"));
    expect(parseArgs(["--only", "pool"], "/w").json).toBe(join(BENCH_DIR, ".bench-out", "benchmarks.json"));
    expect(o.args).toEqual(["--only", "select|POOL", "--runs", "3", "--json", "out.json", "--no-go", "--no-build"]);
  });

  it("a workload may ask for more runs than the default; --runs and --quick decide for every workload", () => {
    const w = FAMILIES.flatMap((f) => f.workloads).find((x) => x.id === "prog-dispatcher");
    expect(w?.runs).toBeGreaterThan(5);
    expect(runsOf(parseArgs([], "/w"), w!)).toBe(w!.runs);
    expect(runsOf(parseArgs(["--only", "prog"], "/w"), w!)).toBe(w!.runs);
    expect(runsOf(parseArgs(["--runs", "3"], "/w"), w!)).toBe(3);
    expect(runsOf(parseArgs(["--quick"], "/w"), w!)).toBe(1);
    const plain = FAMILIES.flatMap((f) => f.workloads).find((x) => x.id === "unbuffered");
    expect(runsOf(parseArgs([], "/w"), plain!)).toBe(5);
  });

  it("names bad arguments", () => {
    expect(() => parseArgs(["--runs", "0"])).toThrow(new RangeError('--runs must be a positive integer, got "0"'));
    expect(() => parseArgs(["--runs", "2.5"])).toThrow(/got "2.5"/);
    expect(() => parseArgs(["--runs"])).toThrow(/--runs needs a value/);
    expect(() => parseArgs(["--only", "("])).toThrow(new RangeError('--only must be a regular expression, got "("'));
    expect(() => parseArgs(["--fast"])).toThrow(/unknown argument "--fast"/);
    expect(USAGE).toMatch(/--quick/);
  });

  it("every workload has a unique id, quick counts below full ones, and a peer", () => {
    const ws = FAMILIES.flatMap((f) => f.workloads);
    expect(new Set(ws.map((w) => w.id)).size).toBe(ws.length);
    for (const w of ws) {
      expect(w.count.quick).toBeLessThan(w.count.full);
      expect(Object.keys(w.peers).length).toBeGreaterThan(0);
    }
  });
});

describe("runChild", () => {
  const file = join(BENCH_DIR, "test", "fixtures", "misbehaving.ts");
  const w = misbehaving.workloads[0] as (typeof misbehaving.workloads)[number];

  it("reads the result line of a fresh process", () => {
    expect(runChild(misbehaving, w, "fine", 5, { file })).toEqual({
      status: "ok",
      measurement: { value: 42, unit: "ns/msg", ops: 5, check: 5, expected: 5 },
    });
  });

  it("says a workload hung when its process runs out of work without a result", () => {
    expect(runChild(misbehaving, w, "hangs", 5, { file })).toEqual({
      status: "error",
      reason: "the workload hung: its process ran out of work with a promise still pending",
    });
  });

  it("runs several peers in one process (--quick), one result each in order; peers after a hang get the hang", () => {
    const ok = { status: "ok", measurement: { value: 42, unit: "ns/msg", ops: 5, check: 5, expected: 5 } };
    const hung = { status: "error", reason: "the workload hung: its process ran out of work with a promise still pending" };
    expect(runChildren(misbehaving, w, ["fine", "fine", "hangs", "fine"], 5, { file })).toEqual([ok, ok, hung, hung]);
    const crash = runChildren(misbehaving, w, ["fine", "crashes"], 5, { file });
    expect(crash[0]).toEqual(ok);
    expect(crash[1]?.status === "error" && crash[1].reason).toMatch(/^child process gave no result \(exit 3: /);
  });

  it("reports a crash with its exit status and the end of its stderr", () => {
    const r = runChild(misbehaving, w, "crashes", 5, { file });
    expect(r.status).toBe("error");
    expect(r.status === "error" && r.reason).toMatch(/^child process gave no result \(exit 3: .*about to crash/);
  });
});

describe("pnpm bench --quick, one workload, end to end", () => {
  it("runs every peer (one process per workload, as --quick does) and writes the table, the JSON, the markdown and the chart", () => {
    const out = mkdtempSync(join(tmpdir(), "gochan-bench-"));
    try {
      const r = spawnSync(
        process.execPath,
        ["--expose-gc", "--import", "tsx", "src/main.ts", "--quick", "--only", "^unbuffered$", "--no-go", "--no-build", "--json", join(out, "r.json"), "--docs", out],
        { cwd: BENCH_DIR, encoding: "utf8", timeout: 120_000, env: { ...process.env, INIT_CWD: BENCH_DIR } },
      );
      expect(r.stderr).not.toMatch(/ERROR/);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/QUICK RUN/);
      expect(r.stdout).toMatch(/Unbuffered hand-off, one way: 2,000 ops, ns\/msg/);
      const result = JSON.parse(readFileSync(join(out, "r.json"), "utf8")) as BenchResult;
      expect(result.quick).toBe(true);
      expect(result.workloads.map((w) => w.id)).toEqual(["unbuffered"]);
      const peers = result.workloads[0]?.peers ?? [];
      expect(peers.map((p) => [p.peer, p.status])).toEqual([
        ["gochan", "ok"],
        ["ts-chan", "ok"],
        ["ts-chan-unsafe", "ok"],
        ["csp", "ok"],
        ["floor", "ok"],
        ["go-1", "unavailable"],
        ["go-2", "unavailable"],
      ]);
      for (const p of peers.slice(0, 5)) expect(p.samples).toHaveLength(1);
      expect(result.go).toEqual({ available: false, reason: "disabled with --no-go" });
      expect(result.targets.find((t) => t.id === "unbuffered")?.measured).toBeGreaterThan(0);
      expect(result.targets.find((t) => t.id === "buffered")?.met).toBeNull();
      const md = readFileSync(join(out, "benchmarks.md"), "utf8");
      expect(md).toMatch(/Quick run/);
      expect(md.split("\n").filter((l) => l.startsWith("## "))).toEqual(["## Targets", "## Channels"]);
      expect(result.workloads[0]?.family).toBe("channels");
      expect(md).toContain("[r.json](r.json)");
      expect(existsSync(join(out, "benchmarks.svg"))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
