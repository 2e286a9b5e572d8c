/**
 * Renders a result set: the terminal table, the JSON file, docs/benchmarks.md
 * and its SVG chart (drawn by hand, no charting dependency). Pure functions of
 * the result set, so they are tested on a fixed one.
 *
 * @module
 */
import { REPETITIONS, WARMUP_MS } from "./child.ts";
import { sectionOf } from "./sections.ts";
import { figure, holds, oursOf, type BenchResult, type PeerResult, type TargetResult, type WorkloadResult } from "./results.ts";

export { oursOf };

/** Thousands separators, and decimals only where they carry information. */
export function formatNumber(v: number): string {
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A figure with its unit, e.g. "340 ns/msg", "-152 B". */
export function formatFigure(v: number, unit: string): string {
  return `${formatNumber(v)} ${unit}`;
}

/** "x ours" of a peer: its median over ours ("1.00x" for ours), or "" when either is missing. */
function timesOurs(w: WorkloadResult, p: PeerResult): string {
  const ours = oursOf(w);
  // A ratio to a figure at or below zero (a heap that shrank) means nothing.
  if (ours?.median === undefined || p.median === undefined || ours.median <= 0) return "";
  return `${(p.median / ours.median).toFixed(2)}x`;
}

/** Go's GOMAXPROCS=1 row of a workload, if it measured CPU time. */
function goCpu(w: WorkloadResult): number | undefined {
  return w.peers.find((x) => x.peer === "go-1")?.extra?.["cpu"];
}

/** "TS / Go (CPU)" of a TypeScript peer: its CPU time over Go's at GOMAXPROCS=1, or "". */
export function cpuOverGo(w: WorkloadResult, p: PeerResult): string {
  const go = goCpu(w);
  const cpu = p.extra?.["cpu"];
  if (go === undefined || go <= 0 || cpu === undefined || p.peer.startsWith("go-")) return "";
  return `${(cpu / go).toFixed(2)}x`;
}

function statusText(p: PeerResult): string {
  if (p.status === "unavailable") return `not available: ${p.reason ?? ""}`.trim();
  if (p.status === "error") return `ERROR: ${(p.reason ?? "").split("\n")[0] ?? ""}`;
  return "";
}

/** How a target compares: "1.56x (limit <= 1.3x)". */
export function formatMeasured(t: TargetResult): string {
  if (t.measured === null) return "not measured";
  const m = t.unit === "x" ? `${t.measured.toFixed(2)}x` : formatFigure(t.measured, t.unit);
  const limit = t.unit === "x" ? `${Number(t.limit.toFixed(2))}x` : formatFigure(t.limit, t.unit);
  return `${m} (target ${t.comparator} ${limit})`;
}

/** How far a figure is from a limit it misses: "32% short", "83% over". */
function distance(measured: number, comparator: TargetResult["comparator"], limit: number): string {
  return comparator === ">="
    ? `${((1 - measured / limit) * 100).toFixed(0)}% short`
    : `${((measured / limit - 1) * 100).toFixed(0)}% over`;
}

/** True if the contract's floor itself misses the target (see {@link TargetResult.reach}). */
function outOfReach(t: TargetResult): boolean {
  return t.reach !== undefined && t.reach !== null && !holds(t.reach, t.comparator, t.limit);
}

/**
 * met / MISSED by how much / OUT OF REACH (missed, and the minimal
 * implementation of the same contract misses it too) / NOT MEASURED.
 */
export function verdict(t: TargetResult): string {
  if (t.met === null || t.measured === null) return "NOT MEASURED";
  if (t.met) return "met";
  const by = distance(t.measured, t.comparator, t.limit);
  if (outOfReach(t)) return `OUT OF REACH (${by}; the contract's floor: ${(t.reach as number).toFixed(2)}x)`;
  return `MISSED (${by})`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function padLeft(s: string, n: number): string {
  return s.length >= n ? s : " ".repeat(n - s.length) + s;
}

/** "5 runs per peer", and which workloads ran more (see Workload.runs), e.g. "5 runs per peer (9 for fairness, prog-sieve)". */
export function runsText(r: BenchResult): string {
  const base = `${r.runs} run${r.runs === 1 ? "" : "s"} per peer`;
  const more = new Map<number, string[]>();
  for (const w of r.workloads) {
    if (w.runs === undefined || w.runs === r.runs) continue;
    more.set(w.runs, [...(more.get(w.runs) ?? []), w.id]);
  }
  if (more.size === 0) return base;
  return `${base} (${[...more].map(([n, ids]) => `${n} for ${ids.join(", ")}`).join("; ")})`;
}

/** The terminal table: every workload's peers, then the targets. */
export function renderTable(r: BenchResult): string {
  const out: string[] = [];
  if (r.quick) out.push("QUICK RUN: tiny counts, one run; the figures and verdicts below mean nothing.", "");
  out.push(`gochan bench, ${r.date}, ${r.machine.cpu} x ${r.machine.cores}, Node ${r.machine.node}`);
  out.push(
    `median of ${runsText(r)}; each run a fresh process (warm-up of ${WARMUP_MS} ms or more in whole runs, then median of ${REPETITIONS} timed); peers alternating; ratio targets compare each peer's fastest run`,
  );
  if (r.code !== null && r.code.dirty.length > 0) out.push(`WARNING: measured uncommitted changes in ${r.code.dirty.join(", ")}`);
  if (!r.go.available) out.push(`Go: not run (${r.go.reason ?? "unavailable"})`);
  for (const w of r.workloads) {
    const goCol = goCpu(w) !== undefined;
    out.push(
      "",
      `${w.title}: ${w.count.toLocaleString("en-US")} ops, ${w.unit} (median, min .. max, CPU time, x ours${goCol ? ", TS / Go (CPU)" : ""})`,
    );
    for (const p of w.peers) {
      const label = pad(`  ${p.label}`, 46);
      const status = statusText(p);
      if (p.median === undefined) {
        out.push(`${label}${status}`);
        continue;
      }
      const range = `${formatNumber(p.min ?? p.median)} .. ${formatNumber(p.max ?? p.median)}`;
      const cpu = p.extra?.["cpu"] === undefined ? "" : `cpu ${formatNumber(p.extra["cpu"])}`;
      const row = `${label}${padLeft(formatNumber(p.median), 12)}  ${pad(range, 24)}${pad(cpu, 12)}${padLeft(timesOurs(w, p), 8)}${goCol ? padLeft(cpuOverGo(w, p), 9) : ""}`;
      out.push(status === "" ? row : `${row}  ${status}`);
    }
  }
  out.push("", "Targets:");
  for (const t of r.targets) {
    out.push(`  ${pad(verdict(t), 19)} ${pad(t.text, 69)} ${formatMeasured(t)}`);
    if (t.met === null) out.push(`  ${" ".repeat(20)}${t.detail}`);
  }
  return out.join("\n");
}

/** The JSON file. */
export function renderJson(r: BenchResult): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

/** Text for a table cell: pipes escaped, line breaks (a stack in a reason) made spaces. */
function mdEscape(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

/** The workloads grouped by family (their report section), sections in order of first appearance. */
export function bySection(workloads: readonly WorkloadResult[]): [family: string | undefined, workloads: WorkloadResult[]][] {
  const groups = new Map<string | undefined, WorkloadResult[]>();
  for (const w of workloads) {
    const group = groups.get(w.family);
    if (group === undefined) groups.set(w.family, [w]);
    else group.push(w);
  }
  return [...groups];
}

/** What this run says about Go's unbuffered hand-off against ours, or null if either is missing. */
export function goHandOff(r: BenchResult): string | null {
  const ours = figure(r, "unbuffered", "gochan");
  const go = figure(r, "unbuffered", "go-1");
  if (ours === null || go === null || go <= 0) return null;
  return `in this run ours took ${(ours / go).toFixed(2)}x Go's time at GOMAXPROCS=1 (${formatNumber(ours)} against ${formatNumber(go)} ns)`;
}

/** The load average above which the report says the machine was loaded: more runnable processes than cores. */
function loaded(m: BenchResult["machine"]): boolean {
  return Math.max(m.loadStart, m.loadEnd) > m.cores;
}

function workloadTable(w: WorkloadResult): string[] {
  const out: string[] = [`### ${w.title}`, "", `${w.count.toLocaleString("en-US")} operations per run; ${w.unit}.`, ""];
  if (w.contract !== undefined) out.push(w.contract, "");
  const cpu = w.peers.some((p) => p.extra?.["cpu"] !== undefined);
  const goCol = goCpu(w) !== undefined;
  out.push(
    `| Peer | Median | Min | Max |${cpu ? " CPU time |" : ""} x ours |${goCol ? " TS / Go (CPU) |" : ""}`,
    `| --- | ---: | ---: | ---: |${cpu ? " ---: |" : ""} ---: |${goCol ? " ---: |" : ""}`,
  );
  for (const p of w.peers) {
    if (p.median === undefined) {
      out.push(`| ${mdEscape(p.label)} | ${mdEscape(statusText(p))} | | |${cpu ? " |" : ""} |${goCol ? " |" : ""}`);
      continue;
    }
    const label = p.status === "error" ? `${p.label} (${statusText(p)})` : p.label;
    const c = p.extra?.["cpu"];
    out.push(
      `| ${mdEscape(label)} | ${formatNumber(p.median)} | ${formatNumber(p.min ?? p.median)} | ${formatNumber(p.max ?? p.median)} |${cpu ? ` ${c === undefined ? "" : formatNumber(c)} |` : ""} ${timesOurs(w, p)} |${goCol ? ` ${cpuOverGo(w, p)} |` : ""}`,
    );
  }
  if (w.note !== undefined) out.push("", w.note);
  out.push("");
  return out;
}

/**
 * docs/benchmarks.md: the machine and its load, the date, the command, the
 * targets, the chart, then a section per workload family (see sections.ts),
 * each workload with what its rows measure.
 */
export function renderMarkdown(r: BenchResult, svgFile: string, jsonFile?: string): string {
  const m = r.machine;
  const out: string[] = [
    "# Benchmarks",
    "",
    "<!-- Written by packages/bench (pnpm bench); do not edit by hand. -->",
    "",
  ];
  if (r.quick) out.push("> **Quick run**: tiny counts, one run, a workload's peers sharing one process. These figures mean nothing.", "");
  out.push(
    `- **Command**: \`${r.command}\` (from the repository root; ${runsText(r)}, ${Math.round(r.seconds)} s in all). A full run (no \`--only\`, no \`--quick\`) rewrites this whole file, every section below, keeping only the demo's section.`,
    `- **Date**: ${r.date}`,
    `- **Machine**: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node} (V8 ${m.v8}); load average ${m.loadStart.toFixed(2)} at the start, ${m.loadEnd.toFixed(2)} at the end`,
    `- **Code**: ${
      r.code === null
        ? "unknown (no git)"
        : `commit ${r.code.commit}, ${r.code.dirty.length === 0 ? "@gochan/core and @gochan/pool as committed" : `with uncommitted changes in ${r.code.dirty.join(", ")}`}`
    }`,
    ...(jsonFile === undefined ? [] : [`- **Raw results**: [${jsonFile}](${jsonFile}) (every sample of every run)`]),
    `- **Go**: ${r.go.available ? (r.go.version ?? "available") : `not run: ${r.go.reason ?? "unavailable"}. The Go rows are missing.`}`,
    "",
  );
  if (loaded(m)) {
    out.push(
      `> **A loaded machine**: the load average reached ${Math.max(m.loadStart, m.loadEnd).toFixed(1)} on ${m.cores} cores (other`,
      "> processes were running), so absolute figures are inflated and noisy, thread figures most of all. Read the",
      "> ratios of rows measured side by side; rerun the command above on a quiet machine for absolute figures.",
      "",
    );
  }
  const hand = goHandOff(r);
  out.push(
    "Every figure is the median over the runs. Each run is a fresh `node --expose-gc` process that",
    `runs one peer untimed with the full count, once and again until ${WARMUP_MS} ms have passed (the warm-up:`,
    "one run was not enough for short workloads, whose young generation was still growing in their",
    `third run), then ${REPETITIONS} times timed, and reports the median of those; memory and soak runs`,
    "measure once, between forced collections. The",
    "peers of a workload alternate within each round, so every ratio compares figures taken side",
    "by side on the same machine. The \"x ours\" columns are ratios of medians; the targets' ratios",
    "compare each peer's fastest run (its minimum over the runs). Interference on a shared machine only",
    "adds time, to a run or to a whole process: on the 2-vCPU VM these figures come from, fresh processes",
    "of the same program land in a fast mode or one about 1.6x slower at random, so a median of five can",
    "sit in different modes for the two peers of a ratio, and verdicts near a limit flipped from run to",
    "run. The fastest run is the figure least disturbed by it, the estimator Julia's BenchmarkTools uses",
    "to compare code (Chen and Revels, \"Robust benchmarking in noisy environments\", 2016); workloads",
    "whose target is a ratio within a few percent of 1 (run()'s cost, the fairness policy's) run more",
    "processes a peer (the command line above says how many), so that a peer's fastest run is less",
    "often left to chance. Value",
    "targets (bytes, a job's time) read the median. Go runs",
    "`go test -bench` with `-benchtime <count>x`, one fresh process per run, in the same rounds.",
    "Times are wall-clock; the CPU time column is the process's CPU time per operation (less",
    "disturbed by other processes, but it includes V8's background GC threads). Lower is better everywhere.",
    "Rows are compared only within a workload, whose peers all keep the contract its section states.",
    "",
    "Absolute figures belong to this machine and its load: read the ratios, measured side by side",
    "in one run. Go's rows especially do not move with Node's from one CPU to another (on one 2-core",
    "AMD EPYC VM Go's unbuffered hand-off took 137 ns against our 221, where a run on a 2-core Xeon",
    `had us ahead${hand === null ? "" : `; ${hand}`}), so no claim here says "as fast as Go" in general.`,
    "",
    "## Targets",
    "",
    "A target set against another library is also computed with the floor of our contract (the minimal",
    "implementation with the same contract, measured in the same run) in place of ours. Where that floor",
    "misses the target too, no implementation of the contract can meet it: the verdict says OUT OF REACH,",
    "and the contract's own floor target is the one that measures our implementation.",
    "",
    "| Target | Measured | Verdict |",
    "| --- | --- | --- |",
  );
  for (const t of r.targets) {
    const measured = t.met === null ? t.detail : `${formatMeasured(t)}: ${t.detail}`;
    out.push(`| ${mdEscape(t.text)} | ${mdEscape(measured)} | ${t.met === true ? "met" : `**${verdict(t)}**`} |`);
  }
  out.push("", `![Benchmark chart](${svgFile})`, "");
  for (const [family, workloads] of bySection(r.workloads)) {
    const section = sectionOf(family);
    out.push(`## ${section.heading}`, "");
    if (section.intro !== "") out.push(section.intro, "");
    for (const w of workloads) out.push(...workloadTable(w));
  }
  return out.join("\n");
}

function xml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Bar colours: ours, the floor, Go, everyone else. */
export const COLORS = { ours: "#1f6feb", floor: "#8b949e", go: "#00add8", peer: "#d29922" } as const;

function colorOf(peer: string): string {
  if (peer.startsWith("gochan") || peer === "default" || peer === "yield-off") return COLORS.ours;
  if (peer === "floor" || peer.startsWith("floor-")) return COLORS.floor;
  if (peer.startsWith("go-")) return COLORS.go;
  return COLORS.peer;
}

/**
 * The chart: one group per workload, one horizontal bar per measured peer,
 * scaled to the slowest peer of the group, labelled with its median.
 */
export function renderSvg(r: BenchResult): string {
  const width = 960;
  const labelWidth = 300;
  const barMax = 480;
  const row = 18;
  const body: string[] = [];
  let y = 44;
  body.push(
    `<text x="10" y="20" font-size="14" font-weight="bold">${xml(`gochan benchmarks, ${r.date.slice(0, 10)}: median per peer, lower is better${r.quick ? " (QUICK RUN: meaningless)" : ""}`)}</text>`,
  );
  const legend: [string, string][] = [
    ["@gochan", COLORS.ours],
    ["floor", COLORS.floor],
    ["Go", COLORS.go],
    ["other libraries", COLORS.peer],
  ];
  legend.forEach(([name, color], i) => {
    const x = 10 + i * 140;
    body.push(
      `<rect x="${x}" y="28" width="12" height="12" fill="${color}"/>`,
      `<text x="${x + 18}" y="38" font-size="12">${xml(name)}</text>`,
    );
  });
  for (const w of r.workloads) {
    const measured = w.peers.filter((p) => p.median !== undefined);
    y += 16;
    body.push(`<text x="10" y="${y}" font-size="13" font-weight="bold">${xml(`${w.title} (${w.unit})`)}</text>`);
    y += 6;
    if (measured.length === 0) {
      y += row;
      body.push(`<text x="20" y="${y - 5}" font-size="12">${xml("nothing measured")}</text>`);
      continue;
    }
    const max = Math.max(...measured.map((p) => Math.max(0, p.median as number)));
    for (const p of measured) {
      const v = p.median as number;
      const len = max > 0 ? Math.max(0, (v / max) * barMax) : 0;
      body.push(
        `<text x="${labelWidth - 6}" y="${y + row - 5}" font-size="12" text-anchor="end">${xml(p.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 2}" width="${len.toFixed(1)}" height="${row - 4}" fill="${colorOf(p.peer)}"><title>${xml(`${p.label}: ${formatFigure(v, w.unit)}`)}</title></rect>`,
        `<text x="${(labelWidth + len + 6).toFixed(1)}" y="${y + row - 5}" font-size="12">${xml(formatFigure(v, w.unit))}</text>`,
      );
      y += row;
    }
  }
  y += 14;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif">`,
    `<rect width="${width}" height="${y}" fill="#ffffff"/>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}
