/**
 * What a workload is and what one measured run of it reports. Shared by the
 * driver (which only reads the metadata) and the child processes (which run
 * one peer of one workload once and print a {@link ChildResult}).
 *
 * @module
 */

/** The unit of a figure; lower is better for every one of them. */
export type Unit =
  | "ns/msg"
  | "ns/recv"
  | "ns/job"
  | "ns/prime"
  | "ns/value"
  | "ns/task"
  | "ns/request"
  | "B/channel"
  | "B/receiver"
  | "B/select"
  | "B";

/** What one measured run of one peer reports. */
export interface Measurement {
  /** The figure, in `unit`. */
  value: number;
  unit: Unit;
  /** How many operations (messages, receives, jobs, receivers, iterations) the figure covers. */
  ops: number;
  /** A checksum of what the run moved (sum of values received, jobs' results, ...). */
  check: number;
  /** The checksum a correct run produces; a mismatch is an error, not a figure. */
  expected: number;
  /** Secondary figures (e.g. the wall time of a soak, the fairness policy's yields). */
  extra?: Record<string, number>;
}

/** Runs one peer of a workload once, with `count` operations, and measures it. */
export type Peer = (count: number) => Promise<Measurement>;

/** One workload: the same job for every peer. */
export interface Workload {
  /** Stable id, e.g. "unbuffered"; used on the command line and in the JSON. */
  id: string;
  /** Human title for tables. */
  title: string;
  unit: Unit;
  /** Operation counts for a full run and for `--quick`. */
  count: { full: number; quick: number };
  /**
   * Warm the peer up untimed with the full count (whole runs, for WARMUP_MS
   * at least), then time it REPETITIONS times and keep the median (see
   * runOne); false: one run, which measures itself (memory, soak).
   */
  warmup: boolean;
  /** The peers, in display order. Keys are peer ids (see PEER_LABELS). */
  peers: Record<string, Peer>;
  /**
   * The same workload in Go (packages/bench/go): each benchmark (name without the
   * `Benchmark` prefix) runs at GOMAXPROCS=1 and 2 as peers `<peer>-1` and `<peer>-2`.
   */
  go?: { bench: string; peer: string }[];
  /**
   * Runs per peer when `--runs` and `--quick` are not given, if more than the
   * default 5: for a workload whose target is a ratio within a few percent of
   * 1 (run()'s cost, the fairness policy's), which on a noisy machine five
   * fresh processes a peer leave to chance.
   */
  runs?: number;
  /** How peers had to be adapted, shown under the table. */
  note?: string;
  /**
   * What every row of the workload does, in the same words for every workload
   * with that contract (e.g. "a promise per job", "a batch"): the report prints
   * it above the table, so that no row is read against a row of another contract.
   */
  contract?: string;
  /** Display names of peers that differ from {@link PEER_LABELS} in this workload (e.g. which floor it is). */
  labels?: Record<string, string>;
}

/**
 * {@link Workload.runs} of the workloads whose target is a ratio within a few
 * percent of 1: with 5 runs a peer the same code read the seed dispatcher's
 * run() cost at 1.05x to 1.17x, and one fast run of yield-off made fairness
 * 1.22x.
 */
export const CLOSE_RATIO_RUNS = 9;

/** A family of workloads: one file under src/workloads/, runnable as a child process. */
export interface Family {
  /** File name under src/workloads/, without extension. */
  name: string;
  workloads: Workload[];
  /**
   * True if the file runs only one peer per process (its own main, not
   * runIfMain): `--quick` then still starts a process per peer.
   */
  onePeerPerProcess?: boolean;
}

/** What a child process prints (one JSON line after {@link RESULT_MARK}). */
export type ChildResult =
  | { status: "ok"; measurement: Measurement }
  | { status: "unavailable"; reason: string }
  | { status: "error"; reason: string };

/** Prefix of the child's result line on stdout. */
export const RESULT_MARK = "@@gochan-bench-result ";

/** Display names of peer ids. */
export const PEER_LABELS: Record<string, string> = {
  gochan: "@gochan/core",
  "gochan-pool": "@gochan/pool",
  "gochan-pool-group": "@gochan/pool, group()",
  "gochan-pool-map": "@gochan/pool, pool.map",
  "gochan-pool-map-stream": "@gochan/pool, pool.mapStream",
  "effect-forEach": "Effect.forEach",
  "ts-chan": "ts-chan",
  "ts-chan-unsafe": "ts-chan setUnsafe(true)",
  csp: "@thi.ng/csp",
  "csp-offer": "@thi.ng/csp, offer() first",
  floor: "floor",
  "p-limit": "p-limit",
  "p-queue": "p-queue",
  fastq: "fastq (promise API)",
  "async-queue": "async.queue (pushAsync)",
  "p-map": "p-map",
  effect: "Effect.forEach",
  "bare-await": "the job awaited directly, no pool (reference)",
  default: "@gochan/core, default fairness",
  "yield-off": "@gochan/core, yieldEvery: Infinity",
  "promise-race": "Promise.race([ch.recv(), p]) (reference)",
  outside: "@gochan/core, plain",
  bubble: "@gochan/core, in a synctest bubble",
  "gochan-threads": "@gochan/threads",
  piscina: "piscina",
  tinypool: "tinypool",
  single: "one thread, no pool",
  "bare-threads": "2 bare threads, no pool (ceiling)",
  "gochan-plain": "@gochan/core, without run()",
  "go-1": "Go, GOMAXPROCS=1",
  "go-2": "Go, GOMAXPROCS=2",
  "go-seed-1": "Go seed dispatcher, GOMAXPROCS=1",
  "go-seed-2": "Go seed dispatcher, GOMAXPROCS=2",
  "go-shared-1": "Go shared queue, GOMAXPROCS=1",
  "go-shared-2": "Go shared queue, GOMAXPROCS=2",
};

/** The label of a peer id (the id itself if it has none); `labels`: a workload's own names. */
export function peerLabel(id: string, labels?: Record<string, string>): string {
  return labels?.[id] ?? PEER_LABELS[id] ?? id;
}
