/**
 * The result set of one bench invocation, as written to the JSON file and read
 * by the renderers, and the statistics that make it.
 *
 * @module
 */
import type { Unit } from "./spec.ts";

/** One peer of one workload across all runs. */
export interface PeerResult {
  /** Peer id (see PEER_LABELS). */
  peer: string;
  label: string;
  /** ok: at least one run measured; unavailable: the package could not be imported (or no Go); error: a run failed. */
  status: "ok" | "unavailable" | "error";
  /** Why the peer is unavailable or failed. */
  reason?: string;
  /** One figure per run, in run order. */
  samples: number[];
  median?: number;
  min?: number;
  max?: number;
  /** Median of each secondary figure over the runs. */
  extra?: Record<string, number>;
  /** Minimum of each secondary figure over the runs (what the ratio targets compare; see {@link Stat}). */
  extraMin?: Record<string, number>;
}

/**
 * Which figure of a peer's runs to read: the median (the tables), or the
 * minimum (the ratio targets). Interference on a shared machine only ever adds
 * time, to a run or to a whole process (on the 2-vCPU VM of docs/benchmarks.md
 * fresh processes of the same program land in a fast or a ~1.6x slower mode at
 * random), so the fastest run is the figure least disturbed by it: the estimator
 * Julia's BenchmarkTools uses to compare code (Chen and Revels, "Robust
 * benchmarking in noisy environments", 2016). A median of five can sit in
 * different modes for the two peers of a ratio.
 */
export type Stat = "median" | "min";

/** One workload: its peers measured in the same rounds. */
export interface WorkloadResult {
  id: string;
  /** The family (src/workloads/<family>.ts) it belongs to: the report's section. Absent in results written before sections. */
  family?: string;
  title: string;
  unit: Unit;
  /** Operations per run. */
  count: number;
  /** Runs per peer, where the workload asked for more than the bench run's (see Workload.runs). */
  runs?: number;
  note?: string;
  /** What every row measures (see Workload.contract). */
  contract?: string;
  peers: PeerResult[];
}

/** A target of the issue, evaluated on this run. */
export interface TargetResult {
  id: string;
  /** What is promised, e.g. "unbuffered hand-off <= 1.3x the floor". */
  text: string;
  /** The measured figure (a ratio for "x" targets). */
  measured: number | null;
  limit: number;
  comparator: "<=" | ">=" | "<";
  /** "x" for a ratio, else the unit of the figure. */
  unit: string;
  /** null: could not be measured (a peer missing); see `detail`. */
  met: boolean | null;
  /** How it was computed, or why it could not be. */
  detail: string;
  /**
   * For a target set against another peer: the same ratio measured with the
   * minimal implementation of our contract (its floor) in place of ours, or
   * null if the floor was not measured. Where the floor itself misses the
   * limit, no implementation of the contract can meet it: the verdict says
   * "out of reach" rather than blaming ours.
   */
  reach?: number | null;
}

/** Whether a measured figure meets a limit under a target's comparator. */
export function holds(measured: number, comparator: TargetResult["comparator"], limit: number): boolean {
  if (comparator === "<=") return measured <= limit;
  if (comparator === ">=") return measured >= limit;
  return measured < limit;
}

/** The machine the bench ran on. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  v8: string;
  /** 1-minute load average at the start and at the end of the run. */
  loadStart: number;
  loadEnd: number;
}

/** Whether the Go side ran. */
export interface GoInfo {
  available: boolean;
  /** `go version` output when available. */
  version?: string;
  /** Why the Go rows are missing. */
  reason?: string;
}

/** The code measured: the commit, and whether the measured packages had uncommitted changes. */
export interface CodeInfo {
  commit: string;
  /** Paths under packages/core and packages/pool with uncommitted changes (empty: as committed). */
  dirty: string[];
}

/** Everything one invocation measured. */
export interface BenchResult {
  /** ISO date-time the run started. */
  date: string;
  /** The command as typed, e.g. "pnpm bench --runs 5". */
  command: string;
  quick: boolean;
  runs: number;
  /** Wall time of the whole invocation, in seconds. */
  seconds: number;
  machine: MachineInfo;
  /** null when git could not tell. */
  code: CodeInfo | null;
  go: GoInfo;
  workloads: WorkloadResult[];
  targets: TargetResult[];
}

/** The median of a non-empty list (the mean of the middle two for an even length). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError("median of an empty list");
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Fills in median, min, max and the extras' medians and minima of a peer from its samples. */
export function summarize(peer: PeerResult, extras: readonly Record<string, number>[] = []): PeerResult {
  if (peer.samples.length === 0) return peer;
  const out: PeerResult = {
    ...peer,
    median: median(peer.samples),
    min: Math.min(...peer.samples),
    max: Math.max(...peer.samples),
  };
  const keys = new Set(extras.flatMap((e) => Object.keys(e)));
  if (keys.size > 0) {
    out.extra = {};
    out.extraMin = {};
    for (const k of keys) {
      const vs = extras.map((e) => e[k]).filter((v): v is number => typeof v === "number");
      if (vs.length === 0) continue;
      out.extra[k] = median(vs);
      out.extraMin[k] = Math.min(...vs);
    }
  }
  return out;
}

/** `@ours` and `@best` in a target's reference: our peer, the best library peer (see {@link oursOf}, {@link bestPeerOf}). */
export const OURS_REF = "@ours";
export const BEST_REF = "@best";

/** A peer of a workload by id, or {@link OURS_REF} / {@link BEST_REF} (the best by `stat`). */
export function peerOf(w: WorkloadResult, peer: string, stat: Stat = "median"): PeerResult | undefined {
  if (peer === OURS_REF) return oursOf(w);
  if (peer === BEST_REF) return bestPeerOf(w, stat);
  return w.peers.find((x) => x.peer === peer);
}

/** Peer ids that are "ours" in a workload, in order of preference, before any other `gochan-*` peer. */
const OURS = ["gochan", "gochan-pool", "default"];

/**
 * Our peer in a workload (the baseline of its "x ours" column), if it has one:
 * the first of {@link OURS} present, else the first peer whose id starts with
 * "gochan" (e.g. gochan-pool-group, gochan-threads).
 */
export function oursOf(w: WorkloadResult): PeerResult | undefined {
  for (const id of OURS) {
    const p = w.peers.find((x) => x.peer === id);
    if (p !== undefined) return p;
  }
  return w.peers.find((x) => x.peer.startsWith("gochan"));
}

/**
 * Whether a peer is another library users pick instead of ours: not ours
 * (gochan*), not a floor (floor, floor-*), not Go (go-*), not a reference row (a bare await, a
 * hand-rolled Promise.race, one thread without a pool).
 */
export function isLibraryPeer(id: string): boolean {
  return !id.startsWith("gochan") && id !== "floor" && !id.startsWith("floor-") && !id.startsWith("go-") && !REFERENCES.has(id);
}

const REFERENCES = new Set(["bare-await", "promise-race", "single", "default", "yield-off", "outside", "bubble"]);

/** The library peer with the lowest median (or minimum) in a workload (see {@link isLibraryPeer}), if any was measured without error. */
export function bestPeerOf(w: WorkloadResult, stat: Stat = "median"): PeerResult | undefined {
  let best: PeerResult | undefined;
  for (const p of w.peers) {
    const v = stat === "min" ? p.min : p.median;
    if (!isLibraryPeer(p.peer) || p.status !== "ok" || v === undefined) continue;
    if (best === undefined || v < ((stat === "min" ? best.min : best.median) as number)) best = p;
  }
  return best;
}

/**
 * The median (or, with `stat` "min", the minimum) figure of `peer` in workload
 * `workload`, or of its secondary figure `extra` (e.g. "cpu"); null if it was
 * not measured or one of its runs failed. A result written before minima of
 * secondary figures were kept gives their median.
 */
export function figure(
  result: Pick<BenchResult, "workloads">,
  workload: string,
  peer: string,
  extra?: string,
  stat: Stat = "median",
): number | null {
  const w = result.workloads.find((x) => x.id === workload);
  const p = w === undefined ? undefined : peerOf(w, peer, stat);
  // A peer with a failed run proves nothing, whatever its other runs measured.
  if (p?.status !== "ok") return null;
  if (extra !== undefined) return (stat === "min" ? p.extraMin?.[extra] : undefined) ?? p.extra?.[extra] ?? null;
  return (stat === "min" ? p.min : p.median) ?? null;
}
