// The renderers and the target verdicts, on a fixed, made-up result set.
import { describe, expect, it } from "vitest";
import { bySection, formatNumber, goHandOff, renderJson, renderMarkdown, renderSvg, renderTable, verdict, COLORS } from "../src/report.ts";
import { SECTIONS } from "../src/sections.ts";
import { median, summarize, type PeerResult, type TargetResult } from "../src/results.ts";
import { evaluateTargets, TARGETS } from "../src/targets.ts";
import { fixture } from "./fixture.ts";

function target(id: string) {
  const t = fixture().targets.find((x) => x.id === id);
  if (t === undefined) throw new Error(`no target ${id}`);
  return t;
}

describe("statistics", () => {
  it("median of odd and even lists, min, max and extras", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
    const p = summarize({ peer: "x", label: "x", status: "ok", samples: [5, 1, 9] }, [{ a: 1 }, { a: 3, b: 7 }, { a: 2 }]);
    expect(p).toMatchObject({ median: 5, min: 1, max: 9, extra: { a: 2, b: 7 }, extraMin: { a: 1, b: 7 } });
  });
});

describe("runs per peer", () => {
  it("the table and the markdown name the workloads that ran more runs than the bench run's", () => {
    const r = fixture();
    const fairness = r.workloads.find((w) => w.id === "fairness");
    fairness!.runs = 9;
    expect(renderTable(r)).toContain("median of 3 runs per peer (9 for fairness)");
    expect(renderMarkdown(r, "b.svg")).toContain("3 runs per peer (9 for fairness)");
    expect(renderTable(fixture())).toContain("median of 3 runs per peer;");
  });
});

describe("targets read each peer's fastest run", () => {
  const runs = (id: string, samples: number[], cpu: number[] = []) =>
    summarize({ peer: id, label: id, status: "ok", samples }, cpu.map((c) => ({ cpu: c })));

  it("a ratio compares minima, wall or CPU; the tables keep the medians", () => {
    // The second peer's median sits in the slow mode (two of three runs there), its minimum does not.
    const sieve = {
      id: "prog-sieve",
      title: "sieve",
      unit: "ns/prime" as const,
      count: 1000,
      peers: [runs("gochan", [500, 520, 510], [500, 520, 510]), runs("gochan-plain", [470, 800, 790], [470, 800, 790])],
    };
    const t = evaluateTargets({ workloads: [sieve] }).find((x) => x.id === "run-sieve");
    expect(t).toMatchObject({ met: true, detail: "prog-sieve/gochan cpu 500.0 / prog-sieve/gochan-plain cpu 470.0" });
    expect(t?.measured).toBeCloseTo(500 / 470, 10);
    // By medians the same runs would read 510 / 790: the ratio the tables' "x ours" column shows.
    expect(renderTable({ ...fixture(), workloads: [sieve], targets: [] })).toMatch(/790 +470 \.\. 800/);
    // And the other way: ours fast at the median, slow at its best, misses.
    sieve.peers = [runs("gochan", [600, 610, 620], [600, 610, 620]), runs("gochan-plain", [470, 800, 790], [470, 800, 790])];
    expect(evaluateTargets({ workloads: [sieve] }).find((x) => x.id === "run-sieve")).toMatchObject({ met: false });
  });

  it("the best library is the one with the fastest run, and value targets keep the median", () => {
    const pool = {
      id: "pool-serial",
      title: "serial",
      family: "pool",
      unit: "ns/job" as const,
      count: 100,
      // fastq has the lower median, p-limit the fastest run.
      peers: [runs("gochan-pool", [300, 300, 300]), runs("fastq", [260, 250, 255]), runs("p-limit", [240, 400, 410]), runs("floor", [150, 150, 150])],
    };
    const best = evaluateTargets({ workloads: [pool] }).find((x) => x.id === "pool-serial-best");
    expect(best?.detail).toMatch(/^pool-serial\/gochan-pool 300\.0 \/ pool-serial\/p-limit \(best\) 240\.0/);
    const mem = { id: "mem-recv", title: "mem", unit: "B" as const, count: 10, peers: [runs("gochan", [90, 200, 210])] };
    expect(evaluateTargets({ workloads: [mem] }).find((x) => x.id === "mem-recv")?.measured).toBe(200);
  });
});

describe("targets", () => {
  it("cover every target of the issue", () => {
    expect(TARGETS.map((t) => t.id)).toEqual([
      "unbuffered",
      "buffered",
      "select2",
      "select8",
      "redis-per-minute",
      "redis-vs-bullmq",
      ...["pool", "pool-bounded", "pool-serial", "pool-io", "pool-group", "pool-group-io"].flatMap((id) => [`${id}-floor`, `${id}-best`]),
      "pool-vs-p-queue",
      "pool-vs-p-limit",
      "pool-serial-vs-fastq",
      "map-best",
      "map-io-best",
      "mem-recv",
      "mem-select",
      "soak-never",
      "soak-timer",
      "fairness",
      "synctest",
      "threads-vs-piscina",
      "threads-vs-tinypool",
      "threads-cpu",
      "xthread-buffered",
      "xthread-unbuffered",
      ...["sieve", "pipeline", "daisy", "stateful", "dispatcher"].flatMap((id) => [`run-${id}`, `go-${id}`]),
    ]);
  });

  it("compare a Go program's CPU times: run() against no run(), and against Go at GOMAXPROCS=1", () => {
    const w = fixture().workloads;
    const peer = (id: string, ns: number, cpu: number) =>
      summarize({ peer: id, label: id, status: "ok", samples: [ns] }, [{ cpu }]);
    w.push({
      id: "prog-sieve",
      title: "sieve",
      unit: "ns/prime",
      count: 1000,
      peers: [peer("gochan", 900, 640), peer("gochan-plain", 850, 600), peer("go-1", 100, 160), peer("go-2", 90, 170)],
    });
    const ts = evaluateTargets({ workloads: w });
    const run = ts.find((t) => t.id === "run-sieve");
    expect(run).toMatchObject({ met: true, detail: "prog-sieve/gochan cpu 640.0 / prog-sieve/gochan-plain cpu 600.0" });
    expect(run?.measured).toBeCloseTo(640 / 600, 10);
    expect(ts.find((t) => t.id === "go-sieve")).toMatchObject({ measured: 4, met: true });
    expect(ts.find((t) => t.id === "go-pipeline")).toMatchObject({ met: null, detail: "not measured: prog-pipeline was not run; prog-pipeline was not run" });
    const sieve = w[w.length - 1] as (typeof w)[number];
    sieve.peers[0] = peer("gochan", 900, 900);
    expect(evaluateTargets({ workloads: w }).find((t) => t.id === "go-sieve")).toMatchObject({ measured: 5.625, met: false });
    // The table and the markdown show the TS / Go column for it only.
    const result = { ...fixture(), workloads: w };
    expect(renderTable(result)).toMatch(/\n  gochan\s+900\s.*5\.63x\n/);
    expect(renderMarkdown(result, "b.svg")).toContain("| x ours | TS / Go (CPU) |");
    expect(renderMarkdown(result, "b.svg")).toContain("| go-1 | 100 | 100 | 100 | 160 | 0.11x |  |");
  });

  it("compare the peers' fastest runs in the same bench run, with the limit itself counting as met for <=", () => {
    expect(target("unbuffered")).toMatchObject({ measured: 1.2, met: true }); // 120 / 100; the medians: 125 / 100
    expect(target("buffered")).toMatchObject({ measured: 3, met: false });
    expect(target("select2")).toMatchObject({ measured: 3, met: true }); // against the unbuffered floor
    expect(target("select8")).toMatchObject({ measured: 6, met: false });
    expect(target("mem-recv")).toMatchObject({ measured: 320, met: true });
    expect(target("mem-select")).toMatchObject({ measured: 1200, met: false });
    expect(target("soak-never")).toMatchObject({ measured: -152, met: true });
    expect(target("fairness").met).toBe(true);
    expect(target("fairness").measured).toBeCloseTo(1.05, 10);
  });

  it("never count a peer that was not measured as met", () => {
    const pool = target("pool-floor");
    expect(pool).toMatchObject({ measured: null, met: null });
    expect(pool.detail).toMatch(/gochan-pool in pool: unavailable \(@gochan\/pool could not be imported\)/);
    // A floor that failed is not a floor either.
    expect(pool.detail).toMatch(/floor in pool: error \(child process gave no result/);
    expect(target("pool-vs-p-queue").met).toBeNull();
    expect(target("soak-timer").detail).toBe("not measured: soak-timer was not run");
    expect(target("map-best").detail).toBe("not measured: map was not run; map was not run");
  });

  it("a faster-than target (>=) is met at the limit and missed below it", () => {
    const w = fixture().workloads;
    const pool = w.find((x) => x.id === "pool");
    if (pool === undefined) throw new Error("no pool");
    pool.peers[0] = summarize({ peer: "gochan-pool", label: "ours", status: "ok", samples: [250] });
    const ts = evaluateTargets({ workloads: w });
    expect(ts.find((t) => t.id === "pool-vs-p-queue")).toMatchObject({ measured: 8, met: true });
    expect(ts.find((t) => t.id === "pool-vs-p-limit")).toMatchObject({ measured: 4, met: true });
    pool.peers[0] = summarize({ peer: "gochan-pool", label: "ours", status: "ok", samples: [500] });
    const slow = evaluateTargets({ workloads: w }).find((t) => t.id === "pool-vs-p-limit");
    expect(slow).toMatchObject({ measured: 2, met: false });
    expect(verdict(slow as NonNullable<typeof slow>)).toBe("MISSED (50% short)");
  });

  it("compare each pool contract with its own floor and with the best library keeping the same contract", () => {
    const w = fixture().workloads;
    const ok = (id: string, v: number) => summarize({ peer: id, label: id, status: "ok", samples: [v] });
    w.push({
      id: "pool-serial",
      title: "serial",
      family: "pool",
      unit: "ns/job",
      count: 100,
      peers: [
        ok("gochan-pool", 300),
        ok("p-limit", 600),
        ok("fastq", 250),
        { ...ok("async-queue", 100), status: "error", reason: "boom" }, // failed: never the best
        ok("floor", 150),
        ok("bare-await", 60), // a reference, not a library
        ok("go-shared-1", 50), // Go is not a library users pick instead of ours
      ],
    });
    const ts = evaluateTargets({ workloads: w });
    expect(ts.find((t) => t.id === "pool-serial-floor")).toMatchObject({ measured: 2, met: false, detail: "pool-serial/gochan-pool 300.0 / pool-serial/floor 150.0" });
    expect(ts.find((t) => t.id === "pool-serial-best")).toMatchObject({ measured: 1.2, met: false, detail: "pool-serial/gochan-pool 300.0 / pool-serial/fastq (best) 250.0; the contract's floor: pool-serial/floor 150.0 / pool-serial/fastq (best) 250.0 = 0.60x" });
    expect(ts.find((t) => t.id === "pool-serial-vs-fastq")?.measured).toBe(1.2);
    // The batch contract has its own rows and its own floor: none of them was run here.
    expect(ts.find((t) => t.id === "pool-group-best")).toMatchObject({ met: null, detail: "not measured: pool-group was not run; pool-group was not run" });
    // The group rows' producer awaits a submit per job: their floor is the minimal group with
    // that producer, not the batch floor handed the whole batch (both rows are in the table).
    const withGroup = [...w];
    withGroup.push({
      id: "pool-group",
      title: "group",
      family: "pool",
      unit: "ns/job",
      count: 100,
      peers: [ok("gochan-pool-group", 500), ok("p-map", 540), ok("floor", 110), ok("floor-group", 450)],
    });
    const groups = evaluateTargets({ workloads: withGroup });
    expect(groups.find((t) => t.id === "pool-group-floor")).toMatchObject({ met: true, detail: "pool-group/gochan-pool-group 500.0 / pool-group/floor-group 450.0" });
    expect(groups.find((t) => t.id === "pool-group-best")).toMatchObject({
      met: true,
      reach: 450 / 540,
      detail: "pool-group/gochan-pool-group 500.0 / pool-group/p-map (best) 540.0; the contract's floor: pool-group/floor-group 450.0 / pool-group/p-map (best) 540.0 = 0.83x",
    });
    // With no library measured, the best peer is missing, not our own row or the floor.
    const alone = [{ ...(w[w.length - 1] as (typeof w)[number]), peers: [ok("gochan-pool", 300), ok("floor", 150)] }];
    expect(evaluateTargets({ workloads: alone }).find((t) => t.id === "pool-serial-best")).toMatchObject({
      met: null,
      detail: "not measured: no other library was measured in pool-serial",
    });
  });

  it("a workload whose ours is not in the list takes its first gochan peer (pool.map's map workload)", () => {
    const ok = (id: string, v: number) => summarize({ peer: id, label: id, status: "ok", samples: [v] });
    const map = { id: "map", title: "map", family: "map", unit: "ns/job" as const, count: 10, peers: [ok("gochan-pool-map", 400), ok("p-map", 500), ok("effect", 800), ok("floor", 200)] };
    const t = evaluateTargets({ workloads: [map] }).find((x) => x.id === "map-best");
    expect(t).toMatchObject({
      measured: 0.8,
      met: true,
      detail: "map/gochan-pool-map (ours) 400.0 / map/p-map (best) 500.0; the contract's floor: map/floor 200.0 / map/p-map (best) 500.0 = 0.40x",
    });
    expect(renderTable({ ...fixture(), workloads: [map] })).toMatch(/p-map\s+500\s.*1\.25x/);
  });

  it("a missed target that the contract's own floor misses too is out of reach; one the floor meets is a miss of ours", () => {
    const ok = (id: string, v: number) => summarize({ peer: id, label: id, status: "ok", samples: [v] });
    const workload = (id: string, peers: PeerResult[]) => ({ id, title: id, family: "pool", unit: "ns/job" as const, count: 10, peers });
    const evaluate = (ours: number, floorGroup: number) =>
      evaluateTargets({
        workloads: [workload("pool-group-io", [ok("gochan-pool-group", ours), ok("p-map", 1000), ok("floor-group", floorGroup)])],
      }).find((t) => t.id === "pool-group-io-best") as TargetResult;
    // Ours 1.8x p-map, the floor 1.4x: no group with this producer can be level with p-map.
    const unreachable = evaluate(1800, 1400);
    expect(unreachable).toMatchObject({ met: false, reach: 1.4 });
    expect(verdict(unreachable)).toBe("OUT OF REACH (80% over; the contract's floor: 1.40x)");
    // The floor level with p-map: the same miss is ours.
    const ours = evaluate(1800, 900);
    expect(ours).toMatchObject({ met: false, reach: 0.9 });
    expect(verdict(ours)).toBe("MISSED (80% over)");
    // ">=" targets: the floor 3x p-queue against a 5x target.
    const all = evaluateTargets({ workloads: [workload("pool", [ok("gochan-pool", 1000), ok("p-queue", 3500), ok("floor", 1200)])] });
    const pQueue = all.find((t) => t.id === "pool-vs-p-queue") as TargetResult;
    expect(pQueue.reach).toBeCloseTo(3500 / 1200, 10);
    expect(verdict(pQueue)).toBe("OUT OF REACH (30% short; the contract's floor: 2.92x)");
    // No floor measured: the verdict cannot excuse the miss.
    const noFloor = evaluateTargets({ workloads: [workload("pool", [ok("gochan-pool", 1000), ok("p-queue", 3500)])] }).find((t) => t.id === "pool-vs-p-queue") as TargetResult;
    expect(noFloor.reach).toBeNull();
    expect(verdict(noFloor)).toBe("MISSED (30% short)");
  });

  it("verdicts say plainly how far a miss is", () => {
    expect(verdict(target("unbuffered"))).toBe("met");
    expect(verdict(target("buffered"))).toBe("MISSED (131% over)");
    expect(verdict(target("select8"))).toBe("MISSED (20% over)");
    expect(verdict(target("pool-floor"))).toBe("NOT MEASURED");
  });
});

describe("renderTable", () => {
  const table = renderTable(fixture());

  it("has a row per peer with median, range and the ratio to ours", () => {
    expect(table).toMatch(/Title of unbuffered: 200,000 ops, ns\/msg/);
    expect(table).toMatch(/@gochan\/core\s+125\s+120 \.\. 130\s+cpu 111\s+1\.00x/);
    expect(table).toMatch(/ts-chan\s+950\s+900 \.\. 1,000\s+cpu 810\s+7\.60x/);
    expect(table).toMatch(/floor\s+100\s+100 \.\. 100\s+cpu 91.0\s+0\.80x/);
    expect(table).toMatch(/ts-chan\s+850\s+850 \.\. 850\s+2\.66x/); // mem-recv: no CPU figure
  });

  it("gives no ratio to ours when ours is at or below zero", () => {
    expect(table).toMatch(/Promise\.race\(\[ch\.recv\(\), p\]\) \(reference\)\s+280,000,000\s+280,000,000 \.\. 280,000,000\s*\n/);
  });

  it("says which peers are missing and which failed", () => {
    expect(table).toMatch(/Go, GOMAXPROCS=1\s+not available: no Go toolchain on PATH/);
    expect(table).toMatch(/@gochan\/pool\s+not available: @gochan\/pool could not be imported/);
    expect(table).toMatch(/floor\s+400\s+400 \.\. 400\s+ERROR: child process gave no result \(exit 1\)/);
    expect(table).toMatch(/Go: not run \(no Go toolchain on PATH\)/);
  });

  it("lists every target with its verdict and measured value", () => {
    expect(table).toMatch(/met\s+Unbuffered hand-off <= 1\.3x the floor\s+1\.20x \(target <= 1\.3x\)/);
    expect(table).toMatch(/MISSED \(131% over\)\s+Buffered hand-off <= 1\.3x the floor\s+3\.00x \(target <= 1\.3x\)/);
    expect(table).toMatch(/MISSED \(20% over\)\s+<= 1,000 bytes per blocked 2-case select\s+1,200 B \(target <= 1,000 B\)/);
    expect(table).toMatch(/NOT MEASURED\s+Pool, a promise per job, all at once: <= 1\.5x its floor .*not measured/);
    expect(table).not.toMatch(/QUICK RUN/);
  });

  it("warns that a quick run means nothing", () => {
    expect(renderTable({ ...fixture(), quick: true })).toMatch(/^QUICK RUN: tiny counts/);
  });
});

describe("renderMarkdown", () => {
  const md = renderMarkdown(fixture(), "benchmarks.svg");

  it("gives the command, the date, the machine and whether Go ran", () => {
    expect(md).toMatch(/^# Benchmarks\n/);
    expect(md).toContain("- **Command**: `pnpm bench --runs 3` (from the repository root; 3 runs per peer, 123 s in all)");
    expect(md).toContain("- **Date**: 2025-01-02T03:04:05.000Z");
    expect(md).toContain("- **Machine**: Test CPU <model>, 2 cores, 8 GiB, Linux 6.1 x64; Node v20.0.0 (V8 11.3); load average 1.50 at the start, 2.25 at the end");
    expect(md).toContain("- **Go**: not run: no Go toolchain on PATH. The Go rows are missing.");
    expect(md).toContain("- **Code**: commit abc1234, @gochan/core and @gochan/pool as committed");
    const dirty = { ...fixture(), code: { commit: "abc1234", dirty: ["packages/pool/src/engine.ts"] } };
    expect(renderMarkdown(dirty, "c.svg")).toContain("- **Code**: commit abc1234, with uncommitted changes in packages/pool/src/engine.ts");
    expect(renderTable(dirty)).toContain("WARNING: measured uncommitted changes in packages/pool/src/engine.ts");
    expect(renderMarkdown({ ...fixture(), code: null }, "c.svg")).toContain("- **Code**: unknown (no git)");
  });

  it("has the targets table with misses in bold, and the chart", () => {
    expect(md).toContain(
      "| Unbuffered hand-off <= 1.3x the floor | 1.20x (target <= 1.3x): unbuffered/gochan 120.0 / unbuffered/floor 100.0 | met |",
    );
    expect(md).toContain(
      "| Buffered hand-off <= 1.3x the floor | 3.00x (target <= 1.3x): buffered/gochan 300.0 / buffered/floor 100.0 | **MISSED (131% over)** |",
    );
    expect(md).toMatch(/\| Pool, a promise per job, all at once: <= 1\.5x its floor \(a minimal pool with the same contract\) \| not measured: gochan-pool in pool: unavailable .*\| \*\*NOT MEASURED\*\* \|/);
    expect(md).toContain("![Benchmark chart](benchmarks.svg)");
    expect(md).not.toContain("Raw results");
    expect(renderMarkdown(fixture(), "c.svg", "r.json")).toContain("- **Raw results**: [r.json](r.json) (every sample of every run)");
  });

  it("has a table per workload, escaping pipes, with notes", () => {
    expect(md).toContain(
      "### Title of unbuffered\n\n200,000 operations per run; ns/msg.\n\n| Peer | Median | Min | Max | CPU time | x ours |\n| --- | ---: | ---: | ---: | ---: | ---: |",
    );
    expect(md).toContain("| @gochan/core | 125 | 120 | 130 | 111 | 1.00x |");
    expect(md).toContain("| Go, GOMAXPROCS=1 | not available: no Go toolchain on PATH | | | | |");
    expect(md).toContain("| Peer | Median | Min | Max | x ours |\n| --- | ---: | ---: | ---: | ---: |\n| @gochan/core | 320 | 320 | 320 | 1.00x |");
    expect(md).toContain("A note with a | pipe & <angle> brackets.");
    expect(md).toContain("| floor (ERROR: child process gave no result (exit 1)) | 400 | 400 | 400 |  |");
  });
});

describe("renderMarkdown's structure", () => {
  it("has one section per family in the order run, each workload under its own section", () => {
    const md = renderMarkdown(fixture(), "b.svg");
    const headings = md.split("\n").filter((l) => l.startsWith("## "));
    expect(headings).toEqual(["## Targets", "## Channels", "## Select", "## Worker pools", "## Memory", "## Soak"]);
    const sectionOf = (title: string): string | undefined => {
      const at = md.indexOf(`### ${title}\n`);
      expect(at, title).toBeGreaterThan(-1);
      return md.slice(0, at).split("\n").filter((l) => l.startsWith("## ")).pop();
    };
    // fairness comes last in the result set, but it belongs with the channels.
    expect(sectionOf("Title of fairness")).toBe("## Channels");
    expect(sectionOf("Title of pool")).toBe("## Worker pools");
    expect(sectionOf("Title of mem-select")).toBe("## Memory");
    expect(bySection(fixture().workloads).map(([f, ws]) => [f, ws.length])).toEqual([
      ["channels", 3],
      ["select", 2],
      ["pool", 1],
      ["memory", 2],
      ["soak", 1],
    ]);
  });

  it("states each workload's contract above its table, and every section's intro", () => {
    const r = fixture();
    const pool = r.workloads.find((w) => w.id === "pool") as (typeof r.workloads)[number];
    pool.contract = "Contract: a promise per job.";
    const md = renderMarkdown(r, "b.svg");
    expect(md).toContain("### Title of pool\n\n200,000 operations per run; ns/job.\n\nContract: a promise per job.\n\n| Peer |");
    for (const family of ["channels", "select", "pool", "memory", "soak"]) expect(md).toContain(`${SECTIONS[family]?.intro}\n`);
    expect(SECTIONS["programs"]?.heading).toMatch(/TypeScript and in Go/);
  });

  it("puts results written before sections under one Results heading", () => {
    const r = fixture();
    for (const w of r.workloads) delete w.family;
    expect(renderMarkdown(r, "b.svg").split("\n").filter((l) => l.startsWith("## "))).toEqual(["## Targets", "## Results"]);
  });

  it("says when the machine was loaded (load average above the cores), and not otherwise", () => {
    expect(renderMarkdown(fixture(), "b.svg")).toContain("> **A loaded machine**: the load average reached 2.3 on 2 cores");
    const quiet = fixture();
    quiet.machine = { ...quiet.machine, loadStart: 0.5, loadEnd: 1.9 };
    expect(renderMarkdown(quiet, "b.svg")).not.toContain("A loaded machine");
  });

  it("gives Go's unbuffered hand-off against ours as measured in this run, only when both were", () => {
    expect(goHandOff(fixture())).toBeNull();
    expect(renderMarkdown(fixture(), "b.svg")).toContain("had us ahead), so no claim");
    const r = fixture();
    const unbuffered = r.workloads[0] as (typeof r.workloads)[number];
    unbuffered.peers = unbuffered.peers.map((p) => (p.peer === "go-1" ? summarize({ peer: "go-1", label: "Go", status: "ok", samples: [100] }) : p));
    expect(goHandOff(r)).toBe("in this run ours took 1.25x Go's time at GOMAXPROCS=1 (125 against 100 ns)");
    expect(renderMarkdown(r, "b.svg")).toContain("had us ahead; in this run ours took 1.25x Go's time");
  });
});

describe("renderSvg", () => {
  const svg = renderSvg(fixture());

  it("is one svg element with a bar per measured peer and a legend", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    const measured = fixture().workloads.flatMap((w) => w.peers).filter((p) => p.median !== undefined).length;
    const bars = svg.match(/<rect x="300"/g) ?? [];
    expect(bars).toHaveLength(measured);
    const legend = svg.match(/<rect x="\d+" y="28" width="12"/g) ?? [];
    expect(legend).toHaveLength(4);
  });

  it("scales each group to its slowest peer and colours ours, the floor and the others apart", () => {
    // unbuffered: ts-chan (950) is the full 480 px; ours (125) is 125/950 of it.
    expect(svg).toContain(`width="480.0" height="14" fill="${COLORS.peer}"><title>ts-chan: 950 ns/msg</title>`);
    expect(svg).toContain(`width="${((125 / 950) * 480).toFixed(1)}" height="14" fill="${COLORS.ours}"><title>@gochan/core: 125 ns/msg</title>`);
    expect(svg).toContain(`fill="${COLORS.floor}"><title>floor: 100 ns/msg</title>`);
    // A negative figure (heap shrank) draws no bar but keeps its label.
    expect(svg).toContain(`width="0.0" height="14" fill="${COLORS.ours}"><title>@gochan/core: -152 B</title>`);
  });

  it("escapes text", () => {
    expect(svg).not.toMatch(/<angle>|<model>/);
    expect(svg).not.toMatch(/&(?!amp;|lt;|gt;|quot;)/);
  });
});

describe("renderJson", () => {
  it("round-trips the result set", () => {
    const r = fixture();
    expect(JSON.parse(renderJson(r))).toEqual(JSON.parse(JSON.stringify(r)));
  });

  it("formats numbers with separators and only meaningful decimals", () => {
    expect(formatNumber(1234567.8)).toBe("1,234,568");
    expect(formatNumber(42.345)).toBe("42.3");
    expect(formatNumber(1.2345)).toBe("1.23");
    expect(formatNumber(-152)).toBe("-152");
  });
});
