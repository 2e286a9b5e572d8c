/**
 * The issue's targets, evaluated on one result set. Every ratio compares the
 * two peers' fastest runs (their minimum over the runs, wall or CPU time; see
 * {@link Stat} for why), measured in the same invocation; a value target (bytes,
 * a job's time) reads the median. A target whose peers were not measured is
 * reported as such (met: null), never as met.
 *
 * @module
 */
import { BEST_REF, figure, holds, OURS_REF, peerOf, type BenchResult, type Stat, type TargetResult } from "./results.ts";

/** A peer in a workload, or (third element) one of its secondary figures. */
type Ref = readonly [workload: string, peer: string, extra?: string];

interface RatioTarget {
  id: string;
  text: string;
  kind: "ratio";
  /** measured = num / den */
  num: Ref;
  den: Ref;
  comparator: TargetResult["comparator"];
  limit: number;
  /**
   * The same ratio with the floor of our contract in place of our peer, for a
   * target set against another peer: it tells whether any implementation of
   * the contract can meet the target (see {@link TargetResult.reach}).
   */
  reach?: { num: Ref; den: Ref };
}

interface ValueTarget {
  id: string;
  text: string;
  kind: "value";
  of: Ref;
  comparator: TargetResult["comparator"];
  limit: number;
  unit: string;
}

/** The Go programs of workloads/programs.ts, by workload id. */
const PROGRAMS: readonly [id: string, name: string][] = [
  ["prog-sieve", "prime sieve"],
  ["prog-pipeline", "pipeline"],
  ["prog-daisy", "daisy chain"],
  ["prog-stateful", "stateful goroutine"],
  ["prog-dispatcher", "seed dispatcher"],
];

/** Per Go program: run()'s cost over a plain run, and the CPU time against Go's. */
const PROGRAM_TARGETS: readonly RatioTarget[] = PROGRAMS.flatMap(([id, name]): RatioTarget[] => [
  {
    id: `run-${id.slice("prog-".length)}`,
    text: `run() costs under 10% CPU time over no run() (${name})`,
    kind: "ratio",
    num: [id, "gochan", "cpu"],
    den: [id, "gochan-plain", "cpu"],
    comparator: "<",
    limit: 1.1,
  },
  {
    id: `go-${id.slice("prog-".length)}`,
    text: `Go's ${name} under run() <= 5x Go's CPU time (GOMAXPROCS=1)`,
    kind: "ratio",
    num: [id, "gochan", "cpu"],
    den: [id, "go-1", "cpu"],
    comparator: "<=",
    limit: 5,
  },
]);

/**
 * How far above the floor of its contract the pool may be: it does what the
 * floor does not (cancellation, timeouts, errors kept apart per job, metrics,
 * stop), so it cannot reach the floor itself. The limit is the project's
 * choice, the same for every contract.
 */
export const POOL_FLOOR_LIMIT = 1.5;

/**
 * The pool workloads of workloads/pool.ts: id, what the row is, our peer
 * there, and the floor with our row's contract. The group rows' producer
 * awaits a submit per job, which the batch floor (floorMap, handed the whole
 * batch as p-map is) does not: their floor is the minimal group with that
 * producer (FloorGroup); the batch floor stays in the table beside it.
 */
const POOL_CONTRACTS: readonly [id: string, name: string, ours: string, floor: string][] = [
  ["pool", "a promise per job, all at once", "gochan-pool", "floor"],
  ["pool-bounded", "a promise per job, bounded submission", "gochan-pool", "floor"],
  ["pool-serial", "a promise per job, one at a time (idle worker)", "gochan-pool", "floor"],
  ["pool-io", "a promise per job, I/O-like jobs", "gochan-pool", "floor"],
  ["pool-group", "a batch (group), a submit awaited per job", "gochan-pool-group", "floor-group"],
  ["pool-group-io", "a batch (group), a submit awaited per job, I/O-like jobs", "gochan-pool-group", "floor-group"],
];

/** pool.map's workloads of workloads/map.ts (one contract, a pull-based map), by id, and what their jobs are. */
const MAP_WORKLOADS: readonly [id: string, jobs: string][] = [
  ["map", ""],
  ["map-io", ", I/O-like jobs"],
];

/**
 * Per pool contract: within {@link POOL_FLOOR_LIMIT} of that contract's floor,
 * and at least level with the best library with the same contract; plus the
 * issue's own figures (>= 5x p-queue and >= 4x p-limit all at once, no more
 * than fastq on the idle-worker path) and pool.map's goal (ahead of the best
 * of p-map and Effect.forEach, in workloads/map.ts's "map" and "map-io").
 */
const POOL_TARGETS: readonly RatioTarget[] = [
  ...POOL_CONTRACTS.flatMap(([id, name, ours, floor]): RatioTarget[] => [
    {
      id: `${id}-floor`,
      text: `Pool, ${name}: <= ${POOL_FLOOR_LIMIT}x its floor (a minimal pool with the same contract)`,
      kind: "ratio",
      num: [id, ours],
      den: [id, floor],
      comparator: "<=",
      limit: POOL_FLOOR_LIMIT,
    },
    {
      id: `${id}-best`,
      text: `Pool, ${name}: level with or ahead of the best library with the same contract`,
      kind: "ratio",
      num: [id, ours],
      den: [id, BEST_REF],
      comparator: "<=",
      limit: 1,
      reach: { num: [id, floor], den: [id, BEST_REF] },
    },
  ]),
  {
    id: "pool-vs-p-queue",
    text: "Pool, a promise per job, all at once: >= 5x faster than p-queue",
    kind: "ratio",
    num: ["pool", "p-queue"],
    den: ["pool", "gochan-pool"],
    comparator: ">=",
    limit: 5,
    reach: { num: ["pool", "p-queue"], den: ["pool", "floor"] },
  },
  {
    id: "pool-vs-p-limit",
    text: "Pool, a promise per job, all at once: >= 4x faster than p-limit",
    kind: "ratio",
    num: ["pool", "p-limit"],
    den: ["pool", "gochan-pool"],
    comparator: ">=",
    limit: 4,
    reach: { num: ["pool", "p-limit"], den: ["pool", "floor"] },
  },
  {
    id: "pool-serial-vs-fastq",
    text: "Pool, one job at a time (idle worker): no more than fastq's cost",
    kind: "ratio",
    num: ["pool-serial", "gochan-pool"],
    den: ["pool-serial", "fastq"],
    comparator: "<=",
    limit: 1,
    reach: { num: ["pool-serial", "floor"], den: ["pool-serial", "fastq"] },
  },
  ...MAP_WORKLOADS.map(
    ([id, jobs]): RatioTarget => ({
      id: `${id}-best`,
      text: `pool.map${jobs}: ahead of the best of p-map and Effect.forEach, same workload`,
      kind: "ratio",
      num: [id, OURS_REF],
      den: [id, BEST_REF],
      comparator: "<",
      limit: 1,
      reach: { num: [id, "floor"], den: [id, BEST_REF] },
    }),
  ),
];

/** The targets of the benchmark issue. */
export const TARGETS: readonly (RatioTarget | ValueTarget)[] = [
  {
    id: "unbuffered",
    text: "Unbuffered hand-off <= 1.3x the floor",
    kind: "ratio",
    num: ["unbuffered", "gochan"],
    den: ["unbuffered", "floor"],
    comparator: "<=",
    limit: 1.3,
  },
  {
    id: "buffered",
    text: "Buffered hand-off <= 1.3x the floor",
    kind: "ratio",
    num: ["buffered", "gochan"],
    den: ["buffered", "floor"],
    comparator: "<=",
    limit: 1.3,
  },
  {
    id: "select2",
    text: "select over 2 ready channels <= 3x the unbuffered floor",
    kind: "ratio",
    num: ["select2", "gochan"],
    den: ["unbuffered", "floor"],
    comparator: "<=",
    limit: 3,
  },
  {
    id: "select8",
    text: "select over 8 ready channels <= 5x the unbuffered floor",
    kind: "ratio",
    num: ["select8", "gochan"],
    den: ["unbuffered", "floor"],
    comparator: "<=",
    limit: 5,
  },
  {
    id: "redis-per-minute",
    text: "Redis queue >= 1,000,000 payloads/min end to end with 2 worker processes (<= 60,000 ns/job)",
    kind: "value",
    of: ["redis-queue", "gochan-redis"],
    comparator: "<=",
    limit: 60_000,
    unit: "ns/job",
  },
  {
    id: "redis-vs-bullmq",
    text: "Redis queue >= 3x BullMQ's jobs/s, same workload",
    kind: "ratio",
    num: ["redis-queue", "bullmq"],
    den: ["redis-queue", "gochan-redis"],
    comparator: ">=",
    limit: 3,
  },
  ...POOL_TARGETS,
  {
    id: "mem-recv",
    text: "<= 400 bytes per blocked receiver",
    kind: "value",
    of: ["mem-recv", "gochan"],
    comparator: "<=",
    limit: 400,
    unit: "B",
  },
  {
    id: "mem-select",
    text: "<= 1,000 bytes per blocked 2-case select",
    kind: "value",
    of: ["mem-select", "gochan"],
    comparator: "<=",
    limit: 1000,
    unit: "B",
  },
  {
    id: "soak-never",
    text: "Soak, never-settling case: heap growth under 1 MB",
    kind: "value",
    of: ["soak-never", "gochan"],
    comparator: "<",
    limit: 1_000_000,
    unit: "B",
  },
  {
    id: "soak-timer",
    text: "Soak, timer case: heap growth under 1 MB",
    kind: "value",
    of: ["soak-timer", "gochan"],
    comparator: "<",
    limit: 1_000_000,
    unit: "B",
  },
  {
    id: "fairness",
    text: "Fairness policy costs under 10% (default vs yieldEvery: Infinity)",
    kind: "ratio",
    num: ["fairness", "default"],
    den: ["fairness", "yield-off"],
    comparator: "<",
    limit: 1.1,
  },
  {
    id: "synctest",
    text: "Prime sieve inside a synctest bubble <= 1.5x outside",
    kind: "ratio",
    num: ["sieve", "bubble"],
    den: ["sieve", "outside"],
    comparator: "<=",
    limit: 1.5,
  },
  {
    id: "threads-vs-piscina",
    text: "Thread pool empty-job overhead <= 1/3 of piscina's",
    kind: "ratio",
    num: ["thread-empty", "gochan-threads"],
    den: ["thread-empty", "piscina"],
    comparator: "<=",
    limit: 1 / 3,
  },
  {
    id: "threads-vs-tinypool",
    text: "Thread pool empty-job overhead <= 1/3 of tinypool's",
    kind: "ratio",
    num: ["thread-empty", "gochan-threads"],
    den: ["thread-empty", "tinypool"],
    comparator: "<=",
    limit: 1 / 3,
  },
  {
    id: "threads-cpu",
    text: "~90 us CPU-bound jobs on 2 threads >= 1.8x one thread",
    kind: "ratio",
    num: ["thread-cpu", "single"],
    den: ["thread-cpu", "gochan-threads"],
    comparator: ">=",
    limit: 1.8,
  },
  {
    id: "xthread-buffered",
    text: "Cross-thread buffered channel within 2x of the MessagePort floor",
    kind: "ratio",
    num: ["xthread-buffered", "gochan-threads"],
    den: ["xthread-buffered", "floor"],
    comparator: "<=",
    limit: 2,
  },
  {
    id: "xthread-unbuffered",
    text: "Cross-thread unbuffered rendezvous within 1.3x of an Atomics.waitAsync round trip",
    kind: "ratio",
    num: ["xthread-unbuffered", "gochan-threads"],
    den: ["xthread-unbuffered", "floor"],
    comparator: "<=",
    limit: 1.3,
  },
  ...PROGRAM_TARGETS,
];

/** A ratio target's figure of `ref`: the peer's fastest run. */
function fastest(result: Pick<BenchResult, "workloads">, [w, p, extra]: Ref): number | null {
  return figure(result, w, p, extra, "min");
}

/** "pool/fastq", "pool-serial/gochan-pool cpu"; `@ours` and `@best` name the peer they stand for. */
function refText(result: Pick<BenchResult, "workloads">, [w, p, extra]: Ref, stat: Stat): string {
  const wr = result.workloads.find((x) => x.id === w);
  const resolved = p.startsWith("@") && wr !== undefined ? (peerOf(wr, p, stat)?.peer ?? p) : p;
  const name = resolved === p ? p : `${resolved} (${p.slice(1)})`;
  return extra === undefined ? `${w}/${name}` : `${w}/${name} ${extra}`;
}

function missing(result: Pick<BenchResult, "workloads">, [w, p, extra]: Ref, stat: Stat): string {
  const wr = result.workloads.find((x) => x.id === w);
  if (wr === undefined) return `${w} was not run`;
  const pr = peerOf(wr, p, stat);
  if (pr === undefined) return p === BEST_REF ? `no other library was measured in ${w}` : `${p} was not run in ${w}`;
  if (pr.status === "ok" && extra !== undefined) return `${p} in ${w} has no ${extra} figure`;
  return `${pr.peer} in ${w}: ${pr.status}${pr.reason === undefined ? "" : ` (${pr.reason.split("\n")[0] ?? ""})`}`;
}

/** Evaluates every target on `result`. */
export function evaluateTargets(result: Pick<BenchResult, "workloads">): TargetResult[] {
  return TARGETS.map((t): TargetResult => {
    const base = { id: t.id, text: t.text, limit: t.limit, comparator: t.comparator };
    if (t.kind === "ratio") {
      const num = fastest(result, t.num);
      const den = fastest(result, t.den);
      if (num === null || den === null || den === 0) {
        const why = [num === null ? missing(result, t.num, "min") : null, den === null ? missing(result, t.den, "min") : null];
        return { ...base, unit: "x", measured: null, met: null, detail: `not measured: ${why.filter((x) => x !== null).join("; ")}` };
      }
      const measured = num / den;
      const met = holds(measured, t.comparator, t.limit);
      const detail = `${refText(result, t.num, "min")} ${num.toFixed(1)} / ${refText(result, t.den, "min")} ${den.toFixed(1)}`;
      if (t.reach === undefined) return { ...base, unit: "x", measured, met, detail };
      const rn = fastest(result, t.reach.num);
      const rd = fastest(result, t.reach.den);
      if (rn === null || rd === null || rd === 0) {
        return { ...base, unit: "x", measured, met, reach: null, detail: `${detail}; the contract's floor was not measured` };
      }
      const reach = rn / rd;
      const reachDetail = `; the contract's floor: ${refText(result, t.reach.num, "min")} ${rn.toFixed(1)} / ${refText(result, t.reach.den, "min")} ${rd.toFixed(1)} = ${reach.toFixed(2)}x`;
      return { ...base, unit: "x", measured, met, reach, detail: detail + reachDetail };
    }
    const v = figure(result, ...t.of);
    if (v === null) return { ...base, unit: t.unit, measured: null, met: null, detail: `not measured: ${missing(result, t.of, "median")}` };
    return { ...base, unit: t.unit, measured: v, met: holds(v, t.comparator, t.limit), detail: refText(result, t.of, "median") };
  });
}
