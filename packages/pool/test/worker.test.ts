import { describe, expect, it } from "vitest";
import { Chan, SendOnClosedError } from "@gochan/core";
import { Worker } from "@gochan/pool";
import { deferred, observe, settle, turn } from "./helpers.js";

describe("Worker", () => {
  it("registers its job channel when idle, runs the job sent on it, then registers again", async () => {
    const workerPool = new Chan<Chan<string>>(1);
    const seen: string[] = [];
    const worker = new Worker(workerPool, (job: string) => {
      seen.push(job);
    });
    expect(workerPool.len).toBe(0);
    worker.start();
    const jobChannel = (await workerPool.recv()) as Chan<string>;
    expect(jobChannel).toBe(worker.jobChannel);
    await jobChannel.send("a");
    expect(await workerPool.recv()).toBe(worker.jobChannel); // idle again
    await worker.jobChannel.send("b");
    await turn();
    expect(seen).toEqual(["a", "b"]);
    await worker.stop();
  });

  it("waits for an async handler before taking another job", async () => {
    const workerPool = new Chan<Chan<number>>(1);
    const release = deferred();
    const log: string[] = [];
    const worker = new Worker(workerPool, async (n: number) => {
      log.push(`start ${n}`);
      await release.promise;
      log.push(`end ${n}`);
    });
    worker.start();
    await ((await workerPool.recv()) as Chan<number>).send(1);
    await settle();
    expect(workerPool.len).toBe(0); // busy: not registered
    release.resolve();
    await ((await workerPool.recv()) as Chan<number>).send(2);
    await settle();
    expect(log).toEqual(["start 1", "end 1", "start 2", "end 2"]);
    await worker.stop();
  });

  it("stop() is awaitable and idempotent, and resolves after the current job", async () => {
    const workerPool = new Chan<Chan<number>>(1);
    const release = deferred();
    const worker = new Worker(workerPool, () => release.promise);
    worker.start();
    await ((await workerPool.recv()) as Chan<number>).send(1);
    const stops = [observe(worker.stop()), observe(worker.stop())];
    await settle();
    expect(stops.map((s) => s.current.state)).toEqual(["pending", "pending"]);
    release.resolve();
    await worker.done;
    await turn();
    expect(stops.map((s) => s.current.state)).toEqual(["fulfilled", "fulfilled"]);
    expect(workerPool.len).toBe(0); // it did not register again
    expect(worker.quit.closed && worker.jobChannel.closed).toBe(true);
  });

  it("a stopped worker's stale registration refuses jobs: the sender keeps the job (flaw 3)", async () => {
    const workerPool = new Chan<Chan<string>>(1);
    const ran: string[] = [];
    const worker = new Worker(workerPool, (job: string) => {
      ran.push(job);
    });
    worker.start();
    await turn();
    expect(workerPool.len).toBe(1); // registered, idle
    await worker.stop();
    const stale = (await workerPool.recv()) as Chan<string>;
    await expect(stale.send("would be lost")).rejects.toBeInstanceOf(SendOnClosedError);
    expect(ran).toEqual([]);
  });

  it("stop interrupts a registration blocked on a full worker pool", async () => {
    const workerPool = new Chan<Chan<number>>(1);
    await workerPool.send(new Chan<number>()); // someone else's registration fills it
    const worker = new Worker(workerPool, () => undefined);
    worker.start();
    await settle();
    await worker.stop(); // would hang if the registration ignored quit
    expect(workerPool.len).toBe(1);
  });

  it("errors go to onError with the job; the worker keeps running (flaw 6)", async () => {
    const workerPool = new Chan<Chan<number>>(1);
    const errors: [unknown, number][] = [];
    const worker = new Worker(
      workerPool,
      (n: number) => {
        if (n % 2 === 1) throw new Error(`odd ${n}`);
        return Promise.reject(new Error(`even ${n}`));
      },
      { onError: (e, job) => errors.push([e, job]) },
    );
    worker.start();
    for (const n of [1, 2, 3]) await ((await workerPool.recv()) as Chan<number>).send(n);
    await settle();
    expect(errors.map(([e, job]) => [(e as Error).message, job])).toEqual([
      ["odd 1", 1],
      ["even 2", 2],
      ["odd 3", 3],
    ]);
    await worker.stop();
  });

  it("start twice or after stop throws; stop before start resolves at once; bad arguments are TypeErrors", async () => {
    const workerPool = new Chan<Chan<number>>(1);
    const worker = new Worker(workerPool, () => undefined);
    worker.start();
    expect(() => worker.start()).toThrow("Worker.start: the worker was already started");
    await worker.stop();
    expect(() => worker.start()).toThrow("already stopped");
    const never = new Worker(workerPool, () => undefined);
    await never.stop();
    expect(() => new Worker({} as Chan<Chan<number>>, () => undefined)).toThrow(/workerPool must be a Chan/);
    expect(() => new Worker(workerPool, 1 as unknown as () => void)).toThrow(/handler must be a function, got 1 \(number\)/);
  });

  it("exits when the worker pool channel is closed", async () => {
    const workerPool = new Chan<Chan<number>>(0);
    const worker = new Worker(workerPool, () => undefined);
    worker.start();
    await turn();
    workerPool.close();
    await worker.done;
    expect(worker.jobChannel.closed).toBe(true);
  });
});
