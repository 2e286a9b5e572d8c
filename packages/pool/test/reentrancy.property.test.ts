/**
 * Property test: user code that re-enters the pool in the middle of its
 * transitions. Abort listeners of jobs, the onEvent and onError hooks, the
 * synchronous part of job functions (which may run inside the submit call
 * that started them), and `then` methods and `then` getters of what jobs
 * return run random actions: abort the pool's signal, cancel other jobs or
 * the job itself, fail a fail-fast group, resize, stop, stopAndWait, submit
 * and trySubmit more jobs. Whatever they do:
 * - every job has exactly one outcome: one end event per job id, and the end
 *   events add up to the pool's counters;
 * - the counters balance and nothing is left running, queued or blocked;
 * - every promise the pool handed out settles (job results, group submits,
 *   group waits, stops);
 * - no job function is called twice;
 * - a job function finds the pool's counters consistent when it is called:
 *   itself counted running, within maxWorkers, no outcome counted twice;
 *   and once its caller's signal aborts, its own signal is aborted.
 *
 * Fixed seed. POOL_PROPERTY_RUNS raises the number of runs, e.g. ten times:
 *   POOL_PROPERTY_RUNS=1000 node_modules/.bin/vitest run --project pool test/reentrancy.property.test.ts
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Pool, type Group, type JobOutcome } from "@gochan/pool";
import { deferred, settle } from "./helpers.js";

const RUNS = Number(process.env.POOL_PROPERTY_RUNS ?? 100);

type Action =
  | { kind: "none" }
  | { kind: "abortPool" }
  | { kind: "cancel"; k: number }
  | { kind: "failGroup" }
  | { kind: "resize"; n: number }
  | { kind: "stop" }
  | { kind: "stopAndWait" }
  | { kind: "submit" }
  | { kind: "trySubmit" }
  | { kind: "abortOwn" };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: "none" } as const) },
  fc.constant({ kind: "abortPool" } as const),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("cancel" as const), k: fc.nat(20) }) },
  fc.constant({ kind: "failGroup" } as const),
  fc.record({ kind: fc.constant("resize" as const), n: fc.integer({ min: 1, max: 4 }) }),
  fc.constant({ kind: "stop" } as const),
  fc.constant({ kind: "stopAndWait" } as const),
  { weight: 2, arbitrary: fc.constant({ kind: "submit" } as const) },
  fc.constant({ kind: "trySubmit" } as const),
  fc.constant({ kind: "abortOwn" } as const),
);

type Behavior = "ok" | "fail" | "throwSync" | "slow" | "slowHonour" | "thenable" | "thenGetter";
interface JobSpec {
  via: "submit" | "trySubmit" | "go" | "group";
  behavior: Behavior;
  withSignal: boolean;
  timeout: number | undefined;
  onAbort: Action;
  inThen: Action;
  /** Run first thing in the job function, before it awaits anything. */
  inBody: Action;
  /** Macrotask turns to let pass before the next submission. */
  pause: number;
}

const jobSpec: fc.Arbitrary<JobSpec> = fc.record({
  via: fc.constantFrom("submit" as const, "trySubmit" as const, "go" as const, "group" as const),
  behavior: fc.constantFrom(
    "ok" as const,
    "fail" as const,
    "throwSync" as const,
    "slow" as const,
    "slowHonour" as const,
    "thenable" as const,
    "thenGetter" as const,
  ),
  withSignal: fc.boolean(),
  timeout: fc.constantFrom(undefined, undefined, 0, 1),
  onAbort: action,
  inThen: action,
  inBody: action,
  pause: fc.nat(2),
});

const scenario = fc.record({
  maxWorkers: fc.integer({ min: 1, max: 3 }),
  maxQueue: fc.integer({ min: 1, max: 3 }),
  withPoolSignal: fc.boolean(),
  failFast: fc.boolean(),
  jobs: fc.array(jobSpec, { minLength: 1, maxLength: 12 }),
  onEvent: fc.array(action, { minLength: 1, maxLength: 8 }),
  onError: action,
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

async function run(s: Scenario): Promise<string[]> {
  const problems: string[] = [];
  const poolCtl = new AbortController();
  const release = deferred();
  const ctls: AbortController[] = [];
  const pending = new Set<Promise<unknown>>();
  const calls = new Map<number, number>();
  const ends = new Map<number, number>();
  const byOutcome: Record<JobOutcome, number> = { succeeded: 0, failed: 0, cancelled: 0, dropped: 0 };
  let extra = 0;
  let events = 0;
  let group: Group<unknown> | null = null;
  let pool: Pool | null = null;

  const watch = (p: Promise<unknown>): void => {
    pending.add(p);
    p.then(
      () => pending.delete(p),
      () => pending.delete(p),
    );
  };
  /** `own` is the controller of the job whose code runs the action, if any. */
  const act = (a: Action, own: AbortController | null = null): void => {
    const target = pool as Pool;
    switch (a.kind) {
      case "none":
        return;
      case "abortPool":
        poolCtl.abort(new Error("pool aborted"));
        return;
      case "cancel":
        ctls[a.k % Math.max(1, ctls.length)]?.abort(new Error("cancelled"));
        return;
      case "failGroup":
        if (group !== null && extra++ < 20) {
          watch(
            group.submit(() => {
              throw new Error("group job failed");
            }),
          );
        }
        return;
      case "resize":
        target.resize(a.n);
        return;
      case "stop":
        watch(target.stop());
        return;
      case "stopAndWait":
        watch(target.stopAndWait());
        return;
      case "submit":
        if (extra++ < 20) watch(target.submit(() => 1));
        return;
      case "trySubmit":
        if (extra++ < 20) {
          try {
            watch(target.trySubmit(() => 1));
          } catch {
            // Full or stopped: refused synchronously.
          }
        }
        return;
      case "abortOwn":
        own?.abort(new Error("cancelled itself"));
        return;
    }
  };

  pool = new Pool({
    maxWorkers: s.maxWorkers,
    maxQueue: s.maxQueue,
    signal: s.withPoolSignal ? poolCtl.signal : undefined,
    onError: () => act(s.onError),
    onEvent: (e) => {
      if (e.type === "end") {
        ends.set(e.job.id, (ends.get(e.job.id) ?? 0) + 1);
        byOutcome[e.outcome]++;
      }
      act(s.onEvent[events++ % s.onEvent.length] as Action);
    },
  });
  group = pool.group<unknown>({ failFast: s.failFast });

  const jobFn = (spec: JobSpec, n: number, own: AbortController) => (signal: AbortSignal): unknown => {
    calls.set(n, (calls.get(n) ?? 0) + 1);
    const m = (pool as Pool).metrics();
    if (m.running < 1 || m.running > Math.max(m.maxWorkers, 4)) problems.push(`job ${n} called with running ${m.running}`);
    if (m.succeeded + m.failed + m.cancelled + m.dropped > m.submitted) problems.push(`job ${n} called with ${JSON.stringify(m)}`);
    signal.addEventListener("abort", () => act(spec.onAbort, own), { once: true });
    act(spec.inBody, own);
    if (spec.withSignal && own.signal.aborted && !signal.aborted) problems.push(`job ${n}: its caller's signal aborted, its own did not`);
    switch (spec.behavior) {
      case "ok":
        return Promise.resolve(n);
      case "fail":
        return Promise.reject(new Error(`job ${n} failed`));
      case "throwSync":
        throw new Error(`job ${n} threw`);
      case "slow":
        return release.promise.then(() => n);
      case "slowHonour":
        return new Promise<void>((resolve, reject) => {
          void release.promise.then(resolve);
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        }).then(() => n);
      case "thenable":
        return {
          then(resolve: (v: unknown) => void): void {
            act(spec.inThen, own);
            resolve(n);
          },
        };
      case "thenGetter":
        // Not a thenable, but reading `then` (which awaiting it does, synchronously) runs user code.
        return {
          get then(): undefined {
            act(spec.inThen, own);
            return undefined;
          },
        };
    }
  };

  for (let n = 0; n < s.jobs.length; n++) {
    const spec = s.jobs[n] as JobSpec;
    const ctl = new AbortController();
    ctls.push(ctl);
    const options = { signal: spec.withSignal ? ctl.signal : undefined, timeout: spec.timeout };
    const fn = jobFn(spec, n, ctl);
    try {
      if (spec.via === "submit") watch(pool.submit(fn, options));
      else if (spec.via === "trySubmit") watch(pool.trySubmit(fn, options));
      else if (spec.via === "go") pool.go(fn, options);
      else watch(group.submit(fn, options));
    } catch {
      // trySubmit on a full queue, go/trySubmit on a stopped pool: refused synchronously.
    }
    for (let t = 0; t < spec.pause; t++) await settle(1);
  }
  watch(group.wait());
  await settle(2);
  release.resolve();
  watch(pool.stop());
  for (let i = 0; i < 50 && pending.size > 0; i++) await settle(1);
  await new Promise((resolve) => setTimeout(resolve, 2));
  await settle(3);

  if (pending.size > 0) problems.push(`${pending.size} promise(s) never settled`);
  const m = pool.metrics();
  if (m.succeeded + m.failed + m.cancelled + m.dropped !== m.submitted) problems.push(`unbalanced ${JSON.stringify(m)}`);
  if (m.running !== 0 || m.queued !== 0 || m.blockedSubmitters !== 0) problems.push(`left over ${JSON.stringify(m)}`);
  if (ends.size !== m.submitted) problems.push(`${ends.size} jobs ended, ${m.submitted} submitted`);
  for (const [id, count] of ends) if (count !== 1) problems.push(`job ${id} ended ${count} times`);
  for (const k of ["succeeded", "failed", "cancelled", "dropped"] as const) {
    if (byOutcome[k] !== m[k]) problems.push(`${k}: ${byOutcome[k]} end events, counter ${m[k]}`);
  }
  for (const [n, count] of calls) if (count > 1) problems.push(`job ${n} called ${count} times`);
  return problems;
}

describe("re-entrant user code cannot break a job's single outcome", () => {
  it("abort listeners, hooks and thenables that abort, cancel, fail, resize, stop and submit", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        expect(await run(s)).toEqual([]);
      }),
      { seed: 1101, numRuns: RUNS },
    );
  });
});
