import { ThreadCrashedError, ThreadJobTimeoutError, ThreadPool, ThreadPoolStoppedError, UncloneableValueError, ValueTooLargeError } from "@gochan/threads";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiJobs, type ApiJobs } from "./api-jobs.ts";
import { ensureBuilt } from "./helpers.ts";

let pool: ThreadPool<ApiJobs> | null = null;
function make(options: Partial<ConstructorParameters<typeof ThreadPool>[0]> = {}): ThreadPool<ApiJobs> {
  pool = new ThreadPool<ApiJobs>({ module: apiJobs, maxThreads: 1, ...options });
  return pool;
}
beforeAll(() => ensureBuilt());
afterEach(async () => {
  await pool?.stop();
  pool = null;
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

describe("ThreadPool.stream", () => {
  it("delivers every value a generator yields, in order, once, and ends when it returns", async () => {
    const p = make();
    expect(await collect(p.stream("count", [1000], { buffer: 4 }))).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const objs = await collect(p.stream("countAsync", [5]));
    expect(objs).toEqual([0, 1, 2, 3, 4].map((i) => ({ i, sq: i * i })));
    expect(await collect(p.stream("count", [0]))).toEqual([]);
    expect(await p.submit("counters", [])).toEqual({ cleanups: 3, started: 3 });
    expect(p.metrics()).toMatchObject({ succeeded: 4, failed: 0 });
  });

  it("backpressure: the job runs at most `buffer` values ahead of the consumer", async () => {
    const p = make({ maxThreads: 1 });
    const s = p.stream("count", [100], { buffer: 3 });
    expect(await s.next()).toEqual({ value: 0, done: false });
    // Give the thread ample time to run ahead; it must park on the full channel.
    await new Promise((r) => setTimeout(r, 100));
    const behind: number[] = [];
    for (let r = await s.next(); !r.done; r = await s.next()) behind.push(r.value);
    expect(behind).toEqual(Array.from({ length: 99 }, (_, i) => i + 1));
    // The job was still running (parked) while we were not reading: a job behind it had to wait.
    expect(p.metrics().succeeded).toBe(1);
  });

  it("a throw rejects the consumer with the remote error and stack, after the values sent before it", async () => {
    const p = make();
    const got: number[] = [];
    const e = await (async () => {
      for await (const v of p.stream("failAfter", [3])) got.push(v);
    })().catch((x: unknown) => x);
    expect(got).toEqual([0, 1, 2]);
    expect(e).toBeInstanceOf(RangeError);
    expect((e as Error).message).toBe("failed after 3");
    expect((e as Error).stack).toContain("api-jobs.mjs");
  });

  it("break stops the job: its finally runs, the thread is free, nothing is reported as an error", async () => {
    const p = make({ onError: (e) => void errors.push(e) });
    const errors: unknown[] = [];
    const got: number[] = [];
    for await (const v of p.stream("count", [1_000_000], { buffer: 2 })) {
      got.push(v);
      if (v === 4) break;
    }
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(await p.submit("counters", [])).toEqual({ cleanups: 1, started: 1 }); // same thread: it ran its finally
    expect(p.metrics()).toMatchObject({ succeeded: 2, failed: 0, cancelled: 0 });
    expect(errors).toEqual([]);
  });

  it("a stream stopped before its job started never runs the generator", async () => {
    const p = make({ depth: 1 });
    const blocker = p.submit("spin", [100]);
    const s = p.stream("count", [10]);
    await s.return();
    expect(await s.next()).toEqual({ value: undefined, done: true });
    await blocker;
    expect(await p.submit("counters", [])).toEqual({ cleanups: 0, started: 0 });
  });

  it("abort: a running stream job's thread is terminated and the consumer rejects with the reason", async () => {
    const p = make();
    const ac = new AbortController();
    const s = p.stream("spinAfter", [2], { signal: ac.signal });
    expect((await s.next()).value).toBe(0);
    expect((await s.next()).value).toBe(1);
    const pending = s.next(); // the job spins: nothing more comes
    ac.abort(new Error("enough"));
    await expect(pending).rejects.toThrow("enough");
    expect(await s.next()).toEqual({ value: undefined, done: true });
    expect(p.metrics()).toMatchObject({ cancelled: 1, crashed: 0 });
    expect(await p.submit("add", [1, 1])).toBe(2);
  });

  it("a crash mid-stream: values sent before it, then ThreadCrashedError; nothing pending", async () => {
    const p = make();
    const got: number[] = [];
    const e = await (async () => {
      for await (const v of p.stream("exitAfter", [3], { buffer: 8 })) got.push(v);
    })().catch((x: unknown) => x);
    expect(got).toEqual([0, 1, 2]);
    expect(e).toBeInstanceOf(ThreadCrashedError);
    expect((e as ThreadCrashedError).exitCode).toBe(5);
  });

  it("a thread terminated while parked on a full stream channel (timeout): the values sent, then the error", async () => {
    const p = make();
    await p.submit("add", [1, 1]); // the thread is up: the timeout counts only the job
    const s = p.stream("count", [1000], { buffer: 1, timeout: 300 });
    expect((await s.next()).value).toBe(0);
    const got: number[] = [0];
    const e = await (async () => {
      for (let r = await s.next(); !r.done; r = await s.next()) {
        got.push(r.value);
        if (got.length === 3) await new Promise((resolve) => setTimeout(resolve, 900)); // stop reading: the job parks
      }
    })().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ThreadJobTimeoutError);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i)); // a prefix: nothing lost in between, nothing twice
    expect(got.length).toBeLessThan(1000);
    expect(await collect(p.stream("count", [3]))).toEqual([0, 1, 2]); // the replacement thread streams
  });

  it("stop(): a queued stream is dropped and its consumer rejects with ThreadPoolStoppedError", async () => {
    const p = make({ depth: 1 });
    void p.submit("spin", [50]);
    const s = p.stream("count", [3]);
    const stopped = p.stop();
    await expect(collect(s)).rejects.toBeInstanceOf(ThreadPoolStoppedError);
    await stopped;
    expect(() => p.stream("count", [1])).toThrow(ThreadPoolStoppedError);
  });

  it("an uncloneable or oversized value fails the job naming it; a non-iterable result is a TypeError", async () => {
    const p = make();
    const got: unknown[] = [];
    const e = await (async () => {
      for await (const v of p.stream("yieldsFunction", [])) got.push(v);
    })().catch((x: unknown) => x);
    expect(got).toEqual([1]);
    expect((e as Error).name).toBe(UncloneableValueError.name);
    await expect(collect(p.stream("notIterable" as "count", [1]))).rejects.toThrow(/must return an iterable/);
    await expect(collect(p.stream("big", [4096], { bytes: 1024 }))).rejects.toMatchObject({ name: ValueTooLargeError.name });
    expect(() => p.stream("count", [1], { buffer: -1 })).toThrow(RangeError);
  });

  it("await using stops the job at the end of the scope", async () => {
    const p = make();
    {
      await using s = p.stream("count", [1_000_000], { buffer: 1 });
      expect((await s.next()).value).toBe(0);
    }
    expect(await p.submit("counters", [])).toEqual({ cleanups: 1, started: 1 });
  });
});
