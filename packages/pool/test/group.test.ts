import { describe, expect, expectTypeOf, it } from "vitest";
import { Pool, PoolStoppedError, type Group } from "@gochan/pool";
import { balanced, deferred, gate, observe, settle, turn } from "./helpers.js";

describe("groups", () => {
  it("wait() resolves with the results in submission order, whatever the finishing order", async () => {
    const pool = new Pool({ maxWorkers: 4, maxQueue: 4 });
    const group = pool.group<number>();
    expectTypeOf(group).toEqualTypeOf<Group<number>>();
    const releases = [deferred(), deferred(), deferred(), deferred()];
    for (let i = 0; i < 4; i++) {
      await group.submit(async () => {
        await releases[i]?.promise;
        return i * 10;
      });
    }
    for (const i of [3, 1, 0, 2]) {
      releases[i]?.resolve();
      await turn();
    }
    const results = await group.wait();
    expectTypeOf(results).toEqualTypeOf<number[]>();
    expect(results).toEqual([0, 10, 20, 30]);
    expect(group.size).toBe(4);
    await pool.stop();
  });

  it("an empty group's wait() resolves with []; wait() can be called again after more jobs", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const group = pool.group<string>();
    expect(await group.wait()).toEqual([]);
    await group.submit(() => "a");
    expect(await group.wait()).toEqual(["a"]);
    await group.submit(() => "b");
    const [w1, w2] = [group.wait(), group.wait()];
    expect(await w1).toEqual(["a", "b"]);
    expect(await w2).toEqual(["a", "b"]);
    await pool.stop();
  });

  it("keeps submission order across thousands of jobs finishing out of order; an array wait() gave is never changed", async () => {
    const pool = new Pool({ maxWorkers: 64, maxQueue: 64 });
    const group = pool.group<number>();
    const n = 2500;
    // Later jobs finish first: each job waits for fewer turns than the one before.
    for (let i = 0; i < n; i++) {
      await group.submit(async () => {
        for (let t = 0; t < (n - i) % 7; t++) await turn();
        return i;
      });
    }
    const first = await group.wait();
    expect(first).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(Object.keys(first).length).toBe(n); // no holes
    await group.submit(() => -1);
    const second = await group.wait();
    expect(second.length).toBe(n + 1);
    expect(second[n]).toBe(-1);
    expect(first.length).toBe(n);
    second[0] = 99;
    expect((await group.wait())[0]).toBe(0);
    await pool.stop();
  });

  it("group.submit waits for queue space: a producer loop never holds more than the queue (backpressure)", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 2 });
    const group = pool.group<number>();
    const g = gate();
    await group.submit(async () => {
      await g.job(new AbortController().signal);
      return 0;
    });
    await group.submit(() => 1);
    await group.submit(() => 2);
    const third = observe(group.submit(() => 3));
    await turn();
    expect(third.current.state).toBe("pending");
    expect(pool.metrics()).toMatchObject({ running: 1, queued: 2, blockedSubmitters: 1 });
    g.release();
    await settle();
    expect(third.current.state).toBe("fulfilled");
    expect(await group.wait()).toEqual([0, 1, 2, 3]);
    await pool.stop();
  });

  it("collect mode: every job runs; wait() rejects with an AggregateError of all errors in submission order", async () => {
    const pool = new Pool({ maxWorkers: 3, maxQueue: 10 });
    const group = pool.group<number>();
    const e1 = new Error("one");
    const e3 = new Error("three");
    const late = deferred();
    let ran = 0;
    await group.submit(async () => {
      ran++;
      await late.promise; // fails last
      throw e1;
    });
    await group.submit(() => ++ran);
    await group.submit(async () => {
      ran++;
      throw e3;
    });
    await group.submit(() => ++ran);
    await settle();
    late.resolve();
    const error = await group.wait().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual([e1, e3]);
    expect((error as AggregateError).message).toBe("2 of 4 group job(s) failed");
    expect(ran).toBe(4);
    await pool.stop();
  });

  it("fail-fast: the first error cancels queued jobs, aborts running ones, and rejects wait() at once", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 10 });
    const group = pool.group<string>({ failFast: true });
    const boom = new Error("first failure");
    const fail = deferred();
    const returned = deferred();
    let abortReason: unknown = "not aborted";
    let queuedRan = false;
    await group.submit(async (signal) => {
      signal.addEventListener("abort", () => {
        abortReason = signal.reason;
      });
      await returned.promise;
      return "slow";
    });
    await group.submit(async () => {
      await fail.promise;
      throw boom;
    });
    for (let i = 0; i < 3; i++) {
      await group.submit(() => {
        queuedRan = true;
        return "queued";
      });
    }
    const waiting = observe(group.wait());
    expect(pool.metrics()).toMatchObject({ running: 2, queued: 3 });
    fail.resolve();
    await settle();
    expect(waiting.current).toEqual({ state: "rejected", reason: boom });
    expect(abortReason).toBe(boom);
    expect(group.signal.aborted).toBe(true);
    expect(pool.metrics()).toMatchObject({ queued: 0, failed: 1, cancelled: 4, running: 1 });
    // Later submissions are refused with the group's error.
    await expect(group.submit(() => "too late")).rejects.toBe(boom);
    returned.resolve();
    await pool.stop();
    expect(queuedRan).toBe(false);
    expect(balanced(pool.metrics())).toBe(true);
  });

  it("fail-fast cancels the group's blocked submissions too, and leaves other jobs alone", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const group = pool.group<number>({ failFast: true });
    const fail = deferred();
    await group.submit(async () => {
      await fail.promise;
      throw new Error("x");
    });
    const other = pool.submit(() => "not in the group");
    const blocked = observe(group.submit(() => 2));
    expect(pool.metrics().blockedSubmitters).toBe(1);
    fail.resolve();
    await settle();
    expect(blocked.current.state).toBe("rejected");
    expect(pool.metrics().blockedSubmitters).toBe(0);
    expect(await other).toBe("not in the group");
    await expect(group.wait()).rejects.toThrow("x");
    await pool.stop();
  });

  it("a job of a group with its own signal: cancelled while queued, its error is the group's", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
    const group = pool.group<number>();
    const g = gate();
    await group.submit(async () => {
      await g.job(new AbortController().signal);
      return 1;
    });
    const ac = new AbortController();
    await group.submit(() => 2, { signal: ac.signal });
    ac.abort("no longer needed");
    g.release();
    const error = (await group.wait().catch((e: unknown) => e)) as AggregateError;
    expect(error.errors).toEqual(["no longer needed"]);
    await pool.stop();
  });

  it("stop drops the group's waiting jobs (PoolStoppedError in wait), and submit rejects afterwards", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const group = pool.group<number>();
    const g = gate();
    await group.submit(async () => {
      await g.job(new AbortController().signal);
      return 1;
    });
    await group.submit(() => 2);
    const blocked = observe(group.submit(() => 3));
    const stopped = pool.stop();
    await turn();
    expect((blocked.current as { reason: unknown }).reason).toBeInstanceOf(PoolStoppedError);
    await expect(group.submit(() => 4)).rejects.toBeInstanceOf(PoolStoppedError);
    g.release();
    await stopped;
    const error = (await group.wait().catch((e: unknown) => e)) as AggregateError;
    // The dropped job, the refused blocked submission and the submit after stop.
    expect(error.errors).toHaveLength(3);
    expect(error.errors.every((e) => e instanceof PoolStoppedError)).toBe(true);
    expect(group.size).toBe(4);
  });
});
