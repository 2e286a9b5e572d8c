import { ThreadCrashedError, ThreadJobTimeoutError, ThreadPool, ThreadPoolStoppedError, ThreadQueueFullError, UncloneableValueError } from "@gochan/threads";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "./helpers.ts";

interface Jobs {
  add(a: number, b: number): number;
  echo<T>(x: T): Promise<T>;
  fail(message: string): never;
  exitNow(code: number): never;
  throwLater(): Promise<never>;
  spin(ms: number): number;
  hog(): never;
  returnsFunction(): () => number;
  threadId(): Promise<number>;
}

const module = new URL("./fixtures/jobs.mjs", import.meta.url);
let pool: ThreadPool<Jobs> | null = null;

function make(options: Partial<ConstructorParameters<typeof ThreadPool>[0]> = {}): ThreadPool<Jobs> {
  pool = new ThreadPool<Jobs>({ module, maxThreads: 2, ...options });
  return pool;
}

beforeAll(() => ensureBuilt());
afterEach(async () => {
  await pool?.stop();
  pool = null;
});

describe("ThreadPool", () => {
  it("runs exported functions on threads and returns their results", async () => {
    const p = make();
    const sums = await Promise.all(Array.from({ length: 50 }, (_, i) => p.submit("add", [i, 1])));
    expect(sums).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await p.submit("echo", [{ a: [1, 2], m: new Map([["k", 1]]) }])).toEqual({ a: [1, 2], m: new Map([["k", 1]]) });
    expect(p.metrics()).toMatchObject({ completed: 51, failed: 0, queued: 0, running: 0 });
  });

  it("uses every thread", async () => {
    const p = make();
    const ids = await Promise.all(Array.from({ length: 8 }, () => p.submit("spin", [20]).then(() => p.submit("threadId", []))));
    expect(new Set(ids).size).toBeGreaterThanOrEqual(1);
    expect(p.metrics().threads).toBe(2);
  });

  it("a job's throw rejects with the error, its class and its remote stack", async () => {
    const p = make();
    const e = await p.submit("fail", ["nope"]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RangeError);
    expect((e as Error).message).toBe("nope");
    expect((e as Error).stack).toContain("jobs.mjs");
    // Error classes other than the built-in ones cannot cross: it arrives as an Error with its name.
    await expect(p.submit("returnsFunction", [])).rejects.toMatchObject({ name: "UncloneableValueError" });
    await expect(p.submit("nothere" as "add", [1, 2])).rejects.toThrow(/no exported function "nothere"/);
    expect(await p.submit("add", [1, 1])).toBe(2); // the thread survived
  });

  it("uncloneable arguments reject the job; nothing reaches a thread", async () => {
    const p = make();
    await expect(p.submit("echo", [() => 1])).rejects.toBeInstanceOf(UncloneableValueError);
    expect(await p.submit("add", [2, 2])).toBe(4);
  });

  it("process.exit in a job: the job rejects with ThreadCrashedError, the thread is replaced, other jobs run", async () => {
    const p = make({ maxThreads: 1 });
    const crash = p.submit("exitNow", [3]);
    const after = [p.submit("add", [1, 2]), p.submit("add", [3, 4])]; // handed to the same thread, not started
    const e = await crash.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ThreadCrashedError);
    expect((e as ThreadCrashedError).exitCode).toBe(3);
    expect(await Promise.all(after)).toEqual([3, 7]);
    expect(p.metrics()).toMatchObject({ crashed: 1, threads: 1 });
  });

  it("an uncaught error in a job's thread crashes it: ThreadCrashedError with the cause", async () => {
    const p = make({ maxThreads: 1 });
    const e = await p.submit("throwLater", []).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ThreadCrashedError);
    expect(((e as Error).cause as Error).message).toContain("uncaught in a job's timer");
    expect(await p.submit("add", [1, 1])).toBe(2);
  });

  it("running out of memory under resourceLimits crashes the thread: ThreadCrashedError", async () => {
    const p = make({ maxThreads: 1, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    const e = await p.submit("hog", []).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ThreadCrashedError);
    expect(await p.submit("add", [1, 1])).toBe(2);
  });

  it("timeout: a running job rejects with ThreadJobTimeoutError and its thread is terminated and replaced", async () => {
    const p = make({ maxThreads: 1 });
    const slow = p.submit("spin", [60_000], { timeout: 50 });
    const next = p.submit("add", [5, 5]);
    await expect(slow).rejects.toBeInstanceOf(ThreadJobTimeoutError);
    expect(await next).toBe(10);
    expect(p.metrics().crashed).toBe(0);
  });

  it("abort: a queued or not-started job is withdrawn without touching the thread; a running one terminates it", async () => {
    const p = make({ maxThreads: 1 });
    const running = p.submit("spin", [300]);
    const ac = new AbortController();
    const waiting = p.submit("add", [1, 1], { signal: ac.signal });
    ac.abort("changed my mind");
    await expect(waiting).rejects.toBe("changed my mind");
    expect(await running).toBe(300); // its thread was not terminated
    const ac2 = new AbortController();
    const longJob = p.submit("spin", [60_000], { signal: ac2.signal });
    setTimeout(() => ac2.abort("stop it"), 50);
    await expect(longJob).rejects.toBe("stop it");
    expect(await p.submit("add", [2, 3])).toBe(5);
  });

  it("bounded queue: trySubmit throws when full, submit waits for space", async () => {
    const p = make({ maxThreads: 1, maxQueue: 1, depth: 1 });
    const first = p.submit("spin", [100]); // handed to the thread
    const queued = p.submit("add", [1, 1]); // fills the queue
    expect(() => p.trySubmit("add", [0, 0])).toThrow(ThreadQueueFullError);
    let admitted = false;
    const waiting = p.submit("add", [2, 2]).then((v) => {
      admitted = true;
      return v;
    });
    expect(p.metrics().queued).toBe(1);
    expect(admitted).toBe(false);
    expect(await Promise.all([first, queued, waiting])).toEqual([100, 2, 4]);
  });

  it("stop drops the queue, finishes handed-off jobs; stopAndWait runs everything", async () => {
    const p = make({ maxThreads: 1, depth: 1 });
    const running = p.submit("spin", [50]);
    const dropped = p.submit("add", [1, 1]).catch((e: unknown) => e);
    await p.stop();
    expect(await running).toBe(50);
    expect(await dropped).toBeInstanceOf(ThreadPoolStoppedError);
    await expect(p.submit("add", [1, 1])).rejects.toBeInstanceOf(ThreadPoolStoppedError);
    expect(() => p.trySubmit("add", [1, 1])).toThrow(ThreadPoolStoppedError);
    expect(p.metrics().threads).toBe(0);
    const q = make({ maxThreads: 1, depth: 1 });
    const all = Array.from({ length: 5 }, (_, i) => q.submit("add", [i, i]));
    await q.stopAndWait();
    expect(await Promise.all(all)).toEqual([0, 2, 4, 6, 8]);
  });

  it("an awaited stop keeps the process alive until the threads exit", () => {
    const script = fileURLToPath(new URL("./fixtures/stop-and-exit.mjs", import.meta.url));
    const r = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 30_000 });
    expect({ status: r.status, out: r.stdout }).toEqual({ status: 0, out: "3\nstopped\n" });
  });

  it("resize grows and shrinks the thread count", async () => {
    const p = make({ maxThreads: 1 });
    await Promise.all([p.submit("spin", [10]), p.submit("spin", [10])]);
    expect(p.metrics().threads).toBe(1);
    p.resize(2);
    await Promise.all([p.submit("spin", [30]), p.submit("spin", [30]), p.submit("spin", [30])]);
    expect(p.metrics().threads).toBe(2);
    p.resize(1);
    await p.submit("add", [1, 1]);
    expect(p.maxThreads).toBe(1);
    expect(() => p.resize(0)).toThrow(RangeError);
  });
});

describe("ThreadPool: results published without a bell (a thread with more jobs queued)", () => {
  it("delivers a finished job's result while the job queued behind it on the same thread still runs", async () => {
    const p = make({ maxThreads: 1 });
    const ac = new AbortController();
    const first = p.submit("add", [1, 2]);
    const long = p.submit("spin", [120_000], { signal: ac.signal }); // same ring, behind `first`
    let longSettled = false;
    long.then(
      () => (longSettled = true),
      () => (longSettled = true),
    );
    // `first` was reported with `long` still queued, so without a bell: the pool must still see it.
    expect(await first).toBe(3);
    expect(longSettled).toBe(false);
    ac.abort(new Error("done")); // terminates the spinning thread
    await expect(long).rejects.toThrow("done");
  });
});
