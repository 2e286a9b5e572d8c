import { ThreadPool, ThreadPoolStoppedError, type JobInfo } from "@gochan/threads";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiJobs, type ApiJobs } from "./api-jobs.ts";
import { ensureBuilt } from "./helpers.ts";

let pool: ThreadPool<ApiJobs> | null = null;
function make(options: Partial<ConstructorParameters<typeof ThreadPool>[0]> = {}): ThreadPool<ApiJobs> {
  pool = new ThreadPool<ApiJobs>({ module: apiJobs, maxThreads: 2, ...options });
  return pool;
}
beforeAll(() => ensureBuilt());
afterEach(async () => {
  await pool?.stop();
  pool = null;
});

describe("ThreadPool.group", () => {
  it("collect: results in submission order; every error in an AggregateError, in order", async () => {
    const p = make();
    const g = p.group<number>();
    for (let i = 0; i < 6; i++) await g.submit("add", [i, 10]);
    expect(await g.wait()).toEqual([10, 11, 12, 13, 14, 15]);
    const bad = p.group<number>();
    await bad.submit("fail", ["one"]);
    await bad.submit("add", [1, 1]);
    await bad.submit("fail", ["two"]);
    const e = await bad.wait().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AggregateError);
    expect((e as AggregateError).errors.map((x: Error) => x.message)).toEqual(["one", "two"]);
    expect(bad.size).toBe(3);
    expect(() => bad.submit(7 as unknown as "add", [1, 1])).toThrow(TypeError);
    expect(() => bad.submit("add", [1, 1], { timeout: -1 })).toThrow(RangeError);
    expect(bad.size).toBe(3); // refused input is not part of the group
    expect(bad.signal.aborted).toBe(false);
  });

  it("fail-fast: the first error cancels queued jobs (never run), aborts the signal, rejects later submits with it", async () => {
    const p = make({ maxThreads: 1, depth: 1 });
    const g = p.group<number>({ failFast: true });
    const signal = g.signal;
    await g.submit("spin", [200]); // running when the failure comes
    await g.submit("fail", ["first"]);
    await g.submit("add", [1, 1]); // queued behind: never runs
    const e = await g.wait().catch((x: unknown) => x);
    // One thread runs them in order: spin succeeds, fail fails, add is still queued.
    expect((e as Error).message).toBe("first");
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(e);
    await expect(g.submit("add", [2, 2])).rejects.toBe(e);
    expect(g.size).toBe(4);
    const m = p.metrics();
    expect(m).toMatchObject({ submitted: 3, succeeded: 1, failed: 1, cancelled: 1, dropped: 0, queued: 0 });
  });

  it("fail-fast cancels a running sibling by terminating its thread", async () => {
    const p = make({ maxThreads: 2, depth: 1 });
    const g = p.group({ failFast: true });
    await g.submit("spin", [60_000]);
    await g.submit("fail", ["boom"]);
    await expect(g.wait()).rejects.toThrow("boom");
    expect(p.metrics()).toMatchObject({ cancelled: 1, failed: 1, crashed: 0 });
    expect(await p.submit("add", [1, 2])).toBe(3); // the pool replaced the thread
  });

  it("wait({signal}) ends only the wait; the jobs carry on and a later wait sees them", async () => {
    const p = make({ maxThreads: 1 });
    const g = p.group<number>();
    await g.submit("spin", [100]);
    const ac = new AbortController();
    const w = g.wait({ signal: ac.signal });
    ac.abort(new Error("impatient"));
    await expect(w).rejects.toThrow("impatient");
    expect(await g.wait()).toEqual([100]);
    await expect(g.wait({ signal: AbortSignal.abort("already") })).rejects.toBe("already");
    expect(() => g.wait({ signal: "nope" as unknown as AbortSignal })).toThrow(TypeError);
  });

  it("group.submit waits for queue space (backpressure) and joins wait() when stop() drops it", async () => {
    const p = make({ maxThreads: 1, depth: 1, maxQueue: 1 });
    const g = p.group<number>();
    await g.submit("spin", [100]); // handed to the thread
    await g.submit("add", [1, 1]); // fills the queue
    let admitted = false;
    const third = g.submit("add", [2, 2]).then(() => (admitted = true));
    await Promise.resolve();
    expect(admitted).toBe(false);
    expect(p.metrics().blockedSubmitters).toBe(1);
    void p.stop();
    await expect(third).rejects.toBeInstanceOf(ThreadPoolStoppedError);
    const e = (await g.wait().catch((x: unknown) => x)) as AggregateError;
    expect(e.errors.map((x: unknown) => x instanceof ThreadPoolStoppedError)).toEqual([true, true]);
    expect(p.metrics()).toMatchObject({ submitted: 3, succeeded: 1, dropped: 2 });
    await expect(g.submit("add", [1, 1])).rejects.toBeInstanceOf(ThreadPoolStoppedError);
  });

  it("await using: a group is waited for, a pool drained, when the scope ends", async () => {
    const p = make();
    let results: number[] = [];
    {
      await using g = p.group<number>();
      await g.submit("add", [1, 2]);
      await g.submit("add", [3, 4]);
      void g.wait().then((r) => (results = r));
    }
    expect(results).toEqual([3, 7]);
    let ran = false;
    {
      await using q = new ThreadPool<ApiJobs>({ module: apiJobs, maxThreads: 1 });
      void q.submit("add", [1, 1]).then(() => (ran = true));
    }
    expect(ran).toBe(true);
  });
});

describe("ThreadPool.go", () => {
  it("runs jobs without a promise; failures go to onError with the job, never vanish", async () => {
    const errors: [string, JobInfo][] = [];
    const p = make({ onError: (e, job) => errors.push([(e as Error).message, job]) });
    p.go("add", [1, 1]);
    p.go("fail", ["lost?"]);
    await p.stopAndWait();
    expect(errors).toEqual([["lost?", { id: 2, kind: "go", fn: "fail" }]]);
    expect(p.metrics()).toMatchObject({ submitted: 2, succeeded: 1, failed: 1 });
    expect(() => p.go("add", [1, 1])).toThrow(ThreadPoolStoppedError);
    expect(() => make().go(42 as unknown as "add", [1, 1])).toThrow(TypeError);
  });

  it("without onError a failure is rethrown as an uncaught exception", async () => {
    const p = make();
    const uncaught: unknown[] = [];
    const listeners = process.listeners("uncaughtException");
    process.removeAllListeners("uncaughtException");
    const catcher = (e: unknown): void => void uncaught.push(e);
    process.on("uncaughtException", catcher);
    try {
      p.go("fail", ["panic"]);
      await p.stopAndWait();
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.off("uncaughtException", catcher);
      for (const l of listeners) process.on("uncaughtException", l);
    }
    expect(uncaught.map((e) => (e as Error).message)).toEqual(["panic"]);
  });

  it("cancelled and dropped go jobs are counted, not reported", async () => {
    const errors: unknown[] = [];
    const p = make({ maxThreads: 1, depth: 1, onError: (e) => errors.push(e) });
    p.go("spin", [50]);
    p.go("add", [1, 1], { signal: AbortSignal.abort("no") });
    p.go("add", [1, 1]);
    await p.stop();
    expect(errors).toEqual([]);
    expect(p.metrics()).toMatchObject({ submitted: 3, succeeded: 1, cancelled: 1, dropped: 1 });
  });
});
