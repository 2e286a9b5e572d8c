/**
 * Events and metrics of a ThreadPool, with user code that re-enters the pool
 * from every place the pool calls out: event hooks, onError, abort listeners
 * of job signals, and `then` getters on abort reasons. Whatever the hooks do,
 * each job has one end event (after its start, if any), the counters add up,
 * every promise settles, and every go() failure is reported.
 */
import { ThreadPool, type JobInfo, type ThreadPoolEvent } from "@gochan/threads";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { apiJobs, type ApiJobs } from "./api-jobs.ts";
import { ensureBuilt } from "./helpers.ts";

beforeAll(() => ensureBuilt());

describe("ThreadPool events", () => {
  it("one start and one end per job, in order, after the change, with the outcome and whether it started", async () => {
    const events: ThreadPoolEvent[] = [];
    const cancelRunning = new AbortController();
    const p = new ThreadPool<ApiJobs>({
      module: apiJobs,
      maxThreads: 1,
      depth: 1,
      onEvent: (e) => {
        events.push(e);
        // Job 3 is handed to the thread once job 2 is done: it is running soon after.
        if (e.type === "start" && e.job.id === 3) setTimeout(() => cancelRunning.abort("too slow"), 300);
      },
    });
    const metricsAtEnd: number[] = [];
    const ok = p.submit("add", [1, 2]);
    const bad = p.submit("fail", ["x"]).catch(() => {});
    const running = p.submit("spin", [60_000], { signal: cancelRunning.signal }).catch(() => {});
    const queued = new AbortController();
    const withdrawn = p.submit("add", [0, 0], { signal: queued.signal }).catch(() => {});
    queued.abort("never mind");
    expect(() => new ThreadPool({ module: apiJobs, onEvent: 1 as unknown as () => void })).toThrow(TypeError);
    await Promise.all([ok, bad, running, withdrawn]);
    await p.stop();
    const byJob = new Map<number, string[]>();
    for (const e of events) {
      const list = byJob.get(e.job.id) ?? [];
      list.push(e.type === "start" ? "start" : `end:${e.outcome}:${e.started ? "ran" : "not run"}`);
      byJob.set(e.job.id, list);
      if (e.type === "end") metricsAtEnd.push(e.job.id);
    }
    expect(Object.fromEntries(byJob)).toEqual({
      1: ["start", "end:succeeded:ran"],
      2: ["start", "end:failed:ran"],
      3: ["start", "end:cancelled:ran"], // its thread was terminated
      4: ["end:cancelled:not run"], // withdrawn from the queue
    });
    const end = events.find((e) => e.type === "end" && e.job.id === 2);
    expect(end).toMatchObject({ job: { id: 2, kind: "submit", fn: "fail" }, error: { message: "x" } });
    expect(p.metrics()).toMatchObject({ submitted: 4, succeeded: 1, failed: 1, cancelled: 2, dropped: 0, completed: 2, crashed: 0 });
  });

  it("a hook that throws does not stop the others; its error is rethrown uncaught, never lost", async () => {
    const seen: number[] = [];
    const uncaught: unknown[] = [];
    const listeners = process.listeners("uncaughtException");
    process.removeAllListeners("uncaughtException");
    const catcher = (e: unknown): void => void uncaught.push(e);
    process.on("uncaughtException", catcher);
    try {
      const p = new ThreadPool<ApiJobs>({
        module: apiJobs,
        maxThreads: 1,
        onEvent: (e) => {
          if (e.type !== "end") return;
          seen.push(e.job.id);
          if (e.job.id === 1) throw new Error("hook bug");
        },
      });
      await Promise.all([p.submit("add", [1, 1]), p.submit("add", [2, 2])]);
      await p.stop();
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.off("uncaughtException", catcher);
      for (const l of listeners) process.on("uncaughtException", l);
    }
    expect(seen).toEqual([1, 2]);
    expect(uncaught.map((e) => (e as Error).message)).toEqual(["hook bug"]);
  });

  it("trySubmit on a full queue counts as submitted and dropped, with an end event", async () => {
    const events: ThreadPoolEvent[] = [];
    const p = new ThreadPool<ApiJobs>({ module: apiJobs, maxThreads: 1, depth: 1, maxQueue: 0, onEvent: (e) => void events.push(e) });
    const first = p.trySubmit("spin", [50]);
    expect(() => p.trySubmit("add", [1, 1])).toThrow(/queue is full/);
    await first;
    await p.stop();
    expect(p.metrics()).toMatchObject({ submitted: 2, succeeded: 1, dropped: 1 });
    expect(events.filter((e) => e.type === "end").map((e) => (e as { outcome: string }).outcome)).toEqual(["dropped", "succeeded"]);
  });
});

type Action = "submit" | "abortOther" | "stop" | "resize" | "metrics" | "go" | "none";
const actions: Action[] = ["submit", "abortOther", "stop", "resize", "metrics", "go", "none"];

interface Op {
  job: "add" | "fail" | "spin" | "stream" | "group";
  /** Submit with a signal whose listener re-enters; abort it after `abortAfter` microtask turns (or never). */
  abortAfter: number | null;
  /** What that abort listener does. */
  onAbort: Action;
  /** An abort reason with a `then` getter that re-enters. */
  thenable: boolean;
  via: "submit" | "trySubmit" | "go";
}

const opArb: fc.Arbitrary<Op> = fc.record({
  job: fc.constantFrom("add", "fail", "spin", "stream", "group"),
  abortAfter: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
  onAbort: fc.constantFrom(...actions),
  thenable: fc.boolean(),
  via: fc.constantFrom("submit", "trySubmit", "go"),
});

describe("ThreadPool events and metrics under re-entrant user code (property)", () => {
  it("every job ends once, the counters add up, nothing is pending, no go() failure is lost", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.constantFrom(...actions), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 2 }),
        // maxQueue 0 (a job enters only when a thread can take it at once) is left out: see docs/threads.md.
        fc.integer({ min: 1, max: 3 }),
        async (ops, hookActions, maxThreads, maxQueue) => {
          const starts = new Map<number, number>();
          const ends = new Map<number, number>();
          const violations: string[] = [];
          const promises: Promise<unknown>[] = [];
          const controllers: AbortController[] = [];
          const goFailures: JobInfo[] = [];
          let budget = 6; // re-entrant submissions allowed, so a run ends
          let hookTurn = 0;
          let pool!: ThreadPool<ApiJobs>;

          const consistent = (where: string): void => {
            const m = pool.metrics();
            const ended = m.succeeded + m.failed + m.cancelled + m.dropped;
            if (ended > m.submitted) violations.push(`${where}: ${ended} ended > ${m.submitted} submitted`);
            if (m.completed !== m.succeeded + m.failed) violations.push(`${where}: completed`);
            if (m.queued > m.maxQueue) violations.push(`${where}: queued ${m.queued} > maxQueue ${m.maxQueue} ${JSON.stringify(m)}`);
            let seenEnds = 0;
            for (const n of ends.values()) seenEnds += n;
            if (seenEnds > ended) violations.push(`${where}: ${seenEnds} end events > ${ended} counted`);
          };
          const act = (a: Action, where: string): void => {
            consistent(where);
            switch (a) {
              case "submit":
                if (budget-- > 0 && !pool.stopped) promises.push(pool.submit("add", [1, 1]).catch(() => {}));
                break;
              case "go":
                if (budget-- > 0 && !pool.stopped) pool.go("fail", ["from a hook"]);
                break;
              case "abortOther":
                for (const c of controllers) {
                  if (!c.signal.aborted) {
                    c.abort(new Error(`aborted from ${where}`));
                    break;
                  }
                }
                break;
              case "stop":
                promises.push(pool.stop());
                break;
              case "resize":
                pool.resize(pool.maxThreads === 1 ? 2 : 1);
                break;
              case "metrics":
              case "none":
                break;
            }
            consistent(`${where} after ${a}`);
          };

          pool = new ThreadPool<ApiJobs>({
            module: apiJobs,
            maxThreads,
            maxQueue,
            depth: 2,
            onEvent: (e) => {
              const map = e.type === "start" ? starts : ends;
              map.set(e.job.id, (map.get(e.job.id) ?? 0) + 1);
              if (e.type === "end" && (starts.get(e.job.id) ?? 0) === 0 && e.started) violations.push(`job ${e.job.id} ran without a start event`);
              act(hookActions[hookTurn++ % hookActions.length]!, `onEvent(${e.type} ${e.job.id})`);
            },
            onError: (_e, job) => {
              goFailures.push(job);
              act(hookActions[hookTurn++ % hookActions.length]!, "onError");
            },
          });

          for (const op of ops) {
            if (pool.stopped) break;
            let signal: AbortSignal | undefined;
            if (op.abortAfter !== null) {
              const ac = new AbortController();
              controllers.push(ac);
              ac.signal.addEventListener("abort", () => act(op.onAbort, "abort listener"));
              signal = ac.signal;
              let reason: unknown = new Error("abort");
              if (op.thenable) {
                reason = {};
                Object.defineProperty(reason, "then", {
                  get: () => {
                    act(op.onAbort, "then getter");
                    return undefined;
                  },
                });
              }
              const turns = op.abortAfter;
              void (async () => {
                for (let i = 0; i < turns; i++) await null;
                ac.abort(reason);
              })();
            }
            const args: [number, number] = [1, 2];
            try {
              if (op.job === "stream") {
                promises.push(
                  (async () => {
                    for await (const v of pool.stream("count", [3], { signal, buffer: 1 })) if (v === 1) break;
                  })().catch(() => {}),
                );
              } else if (op.job === "group") {
                const g = pool.group({ failFast: true });
                promises.push(g.submit("fail", ["group"], { signal }).catch(() => {}));
                promises.push(g.submit("spin", [5], { signal }).catch(() => {}));
                promises.push(g.wait().catch(() => {}));
              } else {
                const fn = op.job === "add" ? "add" : op.job === "fail" ? "fail" : "spin";
                const a = (fn === "add" ? args : fn === "fail" ? ["op"] : [5]) as never;
                if (op.via === "go") pool.go(fn, a, { signal });
                else promises.push((op.via === "submit" ? pool.submit(fn, a, { signal }) : pool.trySubmit(fn, a, { signal })).catch(() => {}));
              }
            } catch {
              // trySubmit on a full queue, go/stream on a stopped pool: refused synchronously
            }
            await null;
          }

          // Everything settles: no promise pending forever (a generous bound, not a timing assertion).
          const all = Promise.all(promises.concat(pool.stopAndWait()));
          let timer: ReturnType<typeof setTimeout> | undefined;
          const stuck = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 20_000)))]);
          clearTimeout(timer);
          await pool.stop();
          await new Promise((r) => setTimeout(r, 0)); // the last callouts
          expect(stuck).toBe(false);
          expect(violations).toEqual([]);
          const m = pool.metrics();
          expect(m.succeeded + m.failed + m.cancelled + m.dropped).toBe(m.submitted);
          expect({ queued: m.queued, running: m.running, blocked: m.blockedSubmitters, threads: m.threads }).toEqual({ queued: 0, running: 0, blocked: 0, threads: 0 });
          for (let id = 1; id <= m.submitted; id++) expect([id, ends.get(id) ?? 0]).toEqual([id, 1]);
          expect(ends.size).toBe(m.submitted);
          for (const n of starts.values()) expect(n).toBe(1);
          expect(goFailures.every((j) => j.kind === "go")).toBe(true);
        },
      ),
      { seed: 1307, numRuns: Number(process.env.RUNS ?? 12), endOnFailure: true },
    );
  }, 300_000);
});
