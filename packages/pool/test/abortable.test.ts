/**
 * Waits that can be abandoned (issue 16, items 7 and 8): an aborted signal
 * rejects the wait with its reason, and what it waited for carries on.
 * `await using` stops pools, workers and dispatchers at the end of a scope.
 */
import { describe, expect, it } from "vitest";
import { Chan } from "@gochan/core";
import { Dispatcher, Pool, Worker } from "@gochan/pool";
import { deferred, observe, settle } from "./helpers.js";

describe("a signal on a wait ends the wait, not the work", () => {
  it("pool.stopAndWait: rejects with the reason; the drain goes on and a later wait resolves", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
    const release = deferred();
    const result = observe(pool.submit(() => release.promise.then(() => 42)));
    const queued = observe(pool.submit(() => 7));
    const ctl = new AbortController();
    const reason = new Error("gave up");
    const waiting = observe(pool.stopAndWait({ signal: ctl.signal }));
    ctl.abort(reason);
    await settle();
    expect(waiting.current).toEqual({ state: "rejected", reason });
    expect(pool.stopped).toBe(true);
    release.resolve();
    await pool.stopAndWait();
    expect(result.current).toEqual({ state: "fulfilled", value: 42 });
    expect(queued.current).toEqual({ state: "fulfilled", value: 7 });
  });

  it("pool.stop with an already aborted signal: rejects at once, and the pool still stops", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
    const reason = new Error("no time");
    await expect(pool.stop({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(pool.stopped).toBe(true);
    await pool.stop();
  });

  it("group.wait: rejects with the reason; the jobs carry on and a later wait has their results", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 4 });
    const group = pool.group<number>();
    const release = deferred();
    await group.submit(async () => {
      await release.promise;
      return 1;
    });
    const ctl = new AbortController();
    const waiting = observe(group.wait({ signal: ctl.signal }));
    ctl.abort("enough");
    await settle();
    expect(waiting.current).toEqual({ state: "rejected", reason: "enough" });
    release.resolve();
    expect(await group.wait()).toEqual([1]);
    await pool.stop();
  });

  it("Worker.stop and Dispatcher.stop: reject with the reason; the stop goes on", async () => {
    const release = deferred();
    const workerPool = new Chan<Chan<number>>(1);
    const worker = new Worker(workerPool, () => release.promise);
    worker.start();
    const jobChannel = (await workerPool.recv()) as Chan<number>;
    await jobChannel.send(1);
    const ctl = new AbortController();
    const waiting = observe(worker.stop({ signal: ctl.signal }));
    ctl.abort("later");
    await settle();
    expect(waiting.current).toEqual({ state: "rejected", reason: "later" });
    release.resolve();
    await worker.done;

    const d = new Dispatcher(new Chan<number>(1), 1, (n: number) => n);
    d.run();
    await expect(d.stop({ signal: AbortSignal.abort("now") })).rejects.toBe("now");
    await d.done;
  });

  it("a signal that is not an AbortSignal is a TypeError naming it", () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    expect(() => pool.stopAndWait({ signal: "x" as unknown as AbortSignal })).toThrow(/signal must be an AbortSignal, got "x" \(string\)/);
    expect(() => pool.group().wait({ signal: 1 as unknown as AbortSignal })).toThrow(TypeError);
    void pool.stop();
  });
});

describe("await using", () => {
  it("drains a pool at the end of the scope (stopAndWait)", async () => {
    const ran: number[] = [];
    let outer: Pool | null = null;
    {
      await using pool = new Pool({ maxWorkers: 2, maxQueue: 8 });
      outer = pool;
      for (let i = 0; i < 5; i++) pool.go(() => void ran.push(i));
    }
    expect(ran.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(outer.stopped).toBe(true);
    expect(outer.metrics().succeeded).toBe(5);
  });

  it("stops a Worker and a Dispatcher at the end of the scope", async () => {
    let worker: Worker<number> | null = null;
    let dispatcher: Dispatcher<number> | null = null;
    {
      await using w = new Worker(new Chan<Chan<number>>(1), (n: number) => n);
      w.start();
      await using d = new Dispatcher(new Chan<number>(1), 1, (n: number) => n);
      d.run();
      worker = w;
      dispatcher = d;
    }
    expect(worker.quit.closed).toBe(true);
    expect(dispatcher.quit.closed).toBe(true);
    let done = 0;
    void worker.done.then(() => done++);
    void dispatcher.done.then(() => done++);
    await settle();
    expect(done).toBe(2);
  });
});
