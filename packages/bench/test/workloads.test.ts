// Every peer of every workload moves the right values: each run computes a
// checksum of what it moved (values received, jobs' results, operations
// completed) and runOne turns a mismatch into an error. Small counts,
// in-process; nothing here looks at time. The Go side is checked in go.test.ts.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { REPETITIONS, runOne, Unavailable, load } from "../src/child.ts";
import { FAMILIES } from "../src/main.ts";
import type { Family } from "../src/spec.ts";

const poolWritten = existsSync(new URL("../../pool/src/index.ts", import.meta.url));

/** Counts small enough for a unit test, large enough to cross the fairness budget (1024). */
const COUNTS: Record<string, number> = {
  unbuffered: 3000,
  pingpong: 3000,
  buffered: 3000,
  fairness: 3000,
  select2: 500,
  select8: 500,
  pool: 500,
  "pool-bounded": 1500,
  "pool-group": 500,
  "pool-serial": 500,
  "pool-io": 300,
  "pool-group-io": 300,
  "mem-chan": 200,
  "mem-recv": 200,
  "mem-select": 200,
  "soak-never": 2000,
  "soak-timer": 2000,
  sieve: 300,
  "thread-empty": 100,
  "thread-cpu": 20,
  "xthread-buffered": 500,
  "xthread-unbuffered": 100,
  "redis-queue": 200,
  map: 2000,
  "map-io": 500,
  "map-stream": 2000,
  "prog-sieve": 40,
  "prog-pipeline": 3000,
  "prog-daisy": 2000,
  "prog-stateful": 3000,
  "prog-dispatcher": 3000,
};

describe("workloads", () => {
  for (const family of FAMILIES) {
    for (const w of family.workloads) {
      for (const peer of Object.keys(w.peers)) {
        it(`${w.id} / ${peer} moves the right values`, async () => {
          const count = COUNTS[w.id];
          expect(count, `a test count for ${w.id}`).toBeDefined();
          const r = await runOne(family, w.id, peer, count as number);
          if (peer.startsWith("gochan-pool") && !poolWritten) {
            // The pool is not written yet: the bench must say "not available", not fail.
            expect(r.status).toBe("unavailable");
            return;
          }
          if (r.status !== "ok") throw new Error(`${w.id}/${peer}: ${r.status}: ${r.reason}`);
          expect(r.measurement.check).toBe(r.measurement.expected);
          expect(r.measurement.unit).toBe(w.unit);
          expect(r.measurement.ops).toBeGreaterThan(0);
          expect(Number.isFinite(r.measurement.value)).toBe(true);
        });
      }
    }
  }

  it("the fairness workload really switches the policy off, and restores it", async () => {
    const core = await import("@gochan/core");
    const before = core.getScheduling().yieldEvery;
    const fairness = FAMILIES.flatMap((f) => f.workloads).find((w) => w.id === "fairness");
    const on = await fairness?.peers["default"]?.(3000);
    const off = await fairness?.peers["yield-off"]?.(3000);
    // 3000 messages are 6000 fast-path completions: the default policy yields, Infinity never does.
    expect(on?.extra?.["yields"]).toBeGreaterThan(0);
    expect(off?.extra?.["yields"]).toBe(0);
    expect(core.getScheduling().yieldEvery).toBe(before);
  });
});

describe("runOne", () => {
  const family: Family = {
    name: "fake",
    workloads: [
      {
        id: "w",
        title: "fake",
        unit: "ns/msg",
        count: { full: 10, quick: 1 },
        warmup: true,
        peers: {
          wrong: async (n) => ({ value: 1, unit: "ns/msg", ops: n, check: n - 1, expected: n }),
          missing: async () => {
            await load("@gochan/no-such-package");
            throw new Error("unreachable");
          },
          throws: async () => {
            throw new TypeError("boom");
          },
        },
      },
    ],
  };

  /** A family whose peer "seq" reports `values` in turn, noting each call's count in `calls`. */
  function sequence(values: number[], calls: number[], onRun: () => void = () => {}): Family {
    return {
      name: "seq",
      workloads: [
        {
          ...(family.workloads[0] as Family["workloads"][number]),
          peers: {
            seq: async (n) => {
              calls.push(n);
              onRun();
              return { value: values[calls.length - 1] as number, unit: "ns/msg", ops: n, check: 1, expected: 1 };
            },
          },
        },
      ],
    };
  }

  it("warms up once untimed, then keeps the median of the timed repetitions", async () => {
    const calls: number[] = [];
    const f = sequence([1000, 5, 1, 3], calls); // the warm-up's 1000 must not count
    const r = await runOne(f, "w", "seq", 7);
    expect(calls).toEqual([7, 7, 7, 7]);
    expect(r.status === "ok" && r.measurement.value).toBe(3);
    const once = { ...f, workloads: [{ ...(f.workloads[0] as Family["workloads"][number]), warmup: false }] };
    calls.length = 0;
    const single = await runOne(once, "w", "seq", 7);
    expect(calls).toEqual([7]);
    expect(single.status === "ok" && single.measurement.value).toBe(1000);
  });

  it("warms up in whole runs until the warm-up time has passed, then times the repetitions", async () => {
    // Each run takes 100 ms of a fake clock; the warm-up needs 350 ms: 4 runs.
    let clock = 0;
    const calls: number[] = [];
    const f = sequence([9000, 8000, 7000, 6000, 5, 1, 3], calls, () => {
      clock += 100;
    });
    const r = await runOne(f, "w", "seq", 7, { ms: 350, now: () => clock });
    expect(calls).toHaveLength(4 + REPETITIONS);
    expect(r.status === "ok" && r.measurement.value).toBe(3);
    // A warm-up run that moves the wrong values is an error, as a timed one is.
    const wrong = await runOne(family, "w", "wrong", 10, { ms: 350, now: () => clock });
    expect(wrong).toEqual({ status: "error", reason: "moved the wrong values: checksum 9, expected 10" });
    expect(await runOne(f, "w", "seq", 7, { ms: Number.NaN })).toEqual({ status: "error", reason: "bad warm-up NaN ms" });
  });

  it("turns a wrong checksum into an error", async () => {
    const r = await runOne(family, "w", "wrong", 10);
    expect(r.status).toBe("error");
    expect(r.status === "error" && r.reason).toMatch(/moved the wrong values: checksum 9, expected 10/);
  });

  it("reports a package that cannot be imported as unavailable, and a crash as an error", async () => {
    const missing = await runOne(family, "w", "missing", 10);
    expect(missing).toMatchObject({ status: "unavailable" });
    expect(missing.status === "unavailable" && missing.reason).toMatch(/@gochan\/no-such-package could not be imported/);
    const crash = await runOne(family, "w", "throws", 10);
    expect(crash.status).toBe("error");
    expect(crash.status === "error" && crash.reason).toMatch(/TypeError: boom/);
  });

  it("names a bad workload, peer or count", async () => {
    expect(await runOne(family, "nope", "wrong", 10)).toEqual({ status: "error", reason: 'no workload "nope" in fake' });
    expect(await runOne(family, "w", "nope", 10)).toEqual({ status: "error", reason: 'no peer "nope" in w' });
    expect(await runOne(family, "w", "wrong", 0)).toEqual({ status: "error", reason: "bad count 0" });
  });

  it("Unavailable is an Error class usable with instanceof", () => {
    const e = new Unavailable("x", new Error("Cannot find module '/a/node_modules/x/dist/index.js' imported from /b.ts"));
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe("x could not be imported (not built yet?): Cannot find module 'x/dist/index.js'");
  });
});

describe("thread-cpu's job size", () => {
  it("is calibrated once by the first process that loads the workload, and every peer's job uses that count", async () => {
    const { cpu, CPU_ITERATIONS_ENV, DEFAULT_CPU_ITERATIONS } = await import("../src/workloads/threads-jobs.mjs");
    const threads = FAMILIES.find((f) => f.name === "threads");
    const n = Number(process.env[CPU_ITERATIONS_ENV]);
    expect(Number.isInteger(n) && n >= 1000).toBe(true); // set when main.ts loaded threads.ts
    expect(threads?.workloads.find((w) => w.id === "thread-cpu")?.note).toContain(`${n.toLocaleString("en-US")} rounds`);
    // A job called the way every pool calls it (no count) runs the calibrated count, not the default.
    expect(cpu(12345)).toBe(cpu(12345, n));
    if (n !== DEFAULT_CPU_ITERATIONS) expect(cpu(12345)).not.toBe(cpu(12345, DEFAULT_CPU_ITERATIONS));
  });
});
