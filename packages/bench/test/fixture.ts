// A fixed result set for the renderer and target tests: every figure is made up.
import type { BenchResult, PeerResult, WorkloadResult } from "../src/results.ts";
import { summarize } from "../src/results.ts";
import { peerLabel, type Unit } from "../src/spec.ts";
import { evaluateTargets } from "../src/targets.ts";

function peer(id: string, samples: number[], cpu: number[] = []): PeerResult {
  return summarize({ peer: id, label: peerLabel(id), status: "ok", samples }, cpu.map((c) => ({ cpu: c })));
}

/** The family of each workload id of the fixture (the section it goes in). */
const FAMILY: Record<string, string> = {
  unbuffered: "channels",
  buffered: "channels",
  select2: "select",
  select8: "select",
  pool: "pool",
  "mem-recv": "memory",
  "mem-select": "memory",
  "soak-never": "soak",
  fairness: "channels",
};

function workload(id: string, unit: Unit, count: number, peers: PeerResult[]): WorkloadResult {
  const w: WorkloadResult = { id, title: `Title of ${id}`, unit, count, peers };
  const family = FAMILY[id];
  if (family !== undefined) w.family = family;
  return w;
}

/** Made-up figures: some targets met, some missed, the pool not available, Go missing. */
export function fixture(): BenchResult {
  const workloads: WorkloadResult[] = [
    workload("unbuffered", "ns/msg", 200_000, [
      peer("gochan", [130, 120, 125], [110, 112, 111]), // median 125, fastest 120, CPU 111
      peer("ts-chan", [900, 1000, 950], [800, 820, 810]),
      peer("floor", [100, 100, 100], [90, 91, 92]), // 1.2x (fastest runs): met
      { peer: "go-1", label: peerLabel("go-1"), status: "unavailable", reason: "no Go toolchain on PATH", samples: [] },
    ]),
    workload("buffered", "ns/msg", 1_000_000, [
      peer("gochan", [300, 300, 300]),
      peer("floor", [100, 100, 100]), // 3x: missed by 131%
    ]),
    workload("select2", "ns/recv", 200_000, [peer("gochan", [300])]), // 3x the unbuffered floor: met (<=)
    workload("select8", "ns/recv", 200_000, [peer("gochan", [600])]), // 6x: missed
    workload("pool", "ns/job", 200_000, [
      {
        peer: "gochan-pool",
        label: peerLabel("gochan-pool"),
        status: "unavailable",
        reason: "@gochan/pool could not be imported",
        samples: [],
      },
      peer("p-limit", [1000]),
      peer("p-queue", [2000]),
      { ...peer("floor", [400]), status: "error", reason: "child process gave no result (exit 1)\nstack" },
    ]),
    workload("mem-recv", "B/receiver", 10_000, [peer("gochan", [320]), peer("ts-chan", [850])]),
    workload("mem-select", "B/select", 10_000, [peer("gochan", [1200]), peer("ts-chan", [2500])]),
    workload("soak-never", "B", 1_000_000, [peer("gochan", [-152]), peer("promise-race", [280_000_000])]),
    workload("fairness", "ns/msg", 200_000, [peer("default", [105]), peer("yield-off", [100])]),
  ];
  const w0 = workloads[0] as WorkloadResult;
  w0.note = "A note with a | pipe & <angle> brackets.";
  return {
    date: "2025-01-02T03:04:05.000Z",
    command: "pnpm bench --runs 3",
    quick: false,
    runs: 3,
    seconds: 123.4,
    machine: {
      cpu: "Test CPU <model>",
      cores: 2,
      memoryGiB: 8,
      os: "Linux 6.1 x64",
      node: "v20.0.0",
      v8: "11.3",
      loadStart: 1.5,
      loadEnd: 2.25,
    },
    code: { commit: "abc1234", dirty: [] },
    go: { available: false, reason: "no Go toolchain on PATH" },
    workloads,
    targets: evaluateTargets({ workloads }),
  };
}
