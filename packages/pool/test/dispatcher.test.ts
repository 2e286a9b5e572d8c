import { describe, expect, it } from "vitest";
import { Chan } from "@gochan/core";
import { Dispatcher } from "@gochan/pool";
import { deferred, observe, settle, turn } from "./helpers.js";

describe("Dispatcher", () => {
  it("runs every job, handing them to workers in queue order", async () => {
    const jobQueue = new Chan<number>(4);
    const started: number[] = [];
    const dispatcher = new Dispatcher(jobQueue, 3, async (n: number) => {
      started.push(n);
      await turn();
    });
    dispatcher.run();
    expect(dispatcher.workers).toHaveLength(3);
    for (let i = 0; i < 20; i++) await jobQueue.send(i);
    jobQueue.close();
    await dispatcher.done;
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("closing the job queue drains it gracefully: every queued job runs, then the workers stop (flaws 4, 5)", async () => {
    const jobQueue = new Chan<number>(100);
    const release = deferred();
    let ran = 0;
    const dispatcher = new Dispatcher(jobQueue, 2, async () => {
      await release.promise;
      ran++;
    });
    dispatcher.run();
    for (let i = 0; i < 50; i++) await jobQueue.send(i);
    jobQueue.close();
    const done = observe(dispatcher.done);
    await settle();
    expect(done.current.state).toBe("pending");
    release.resolve();
    await dispatcher.done;
    expect(ran).toBe(50);
    expect(dispatcher.workers.every((w) => w.jobChannel.closed)).toBe(true);
  });

  it("stop() ends the dispatch loop and the workers; queued jobs stay in the queue; idempotent (flaw 4)", async () => {
    const jobQueue = new Chan<number>(10);
    const ran: number[] = [];
    const dispatcher = new Dispatcher(jobQueue, 2, (n: number) => {
      ran.push(n);
    });
    dispatcher.run();
    await jobQueue.send(1);
    await settle();
    const [a, b] = [dispatcher.stop(), dispatcher.stop()];
    expect(a).toBe(b);
    await a;
    await jobQueue.send(2);
    await settle();
    expect(ran).toEqual([1]);
    expect(jobQueue.tryRecv()).toEqual({ value: 2, ok: true });
  });

  it("a job already taken when stop() is called still reaches a worker", async () => {
    const jobQueue = new Chan<number>(10);
    const release = deferred();
    const ran: number[] = [];
    const dispatcher = new Dispatcher(jobQueue, 1, async (n: number) => {
      ran.push(n);
      await release.promise;
    });
    dispatcher.run();
    await jobQueue.send(1); // taken by the only worker
    await jobQueue.send(2); // taken by the dispatcher, which waits for a worker
    await jobQueue.send(3); // stays in the queue
    await settle();
    expect(jobQueue.len).toBe(1);
    const stopped = observe(dispatcher.stop());
    release.resolve();
    await dispatcher.done;
    await turn();
    expect(stopped.current.state).toBe("fulfilled");
    expect(ran).toEqual([1, 2]);
    expect(jobQueue.tryRecv()).toEqual({ value: 3, ok: true });
  });

  it("skips a stopped worker's stale registration instead of losing the job (flaw 3)", async () => {
    const jobQueue = new Chan<number>(10);
    const ran: number[] = [];
    const dispatcher = new Dispatcher(jobQueue, 3, (n: number) => {
      ran.push(n);
    });
    dispatcher.run();
    await settle();
    expect(dispatcher.workerPool.len).toBe(3); // all registered, idle
    await dispatcher.workers[0]?.stop(); // first in line: its registration is now stale
    await dispatcher.workers[1]?.stop();
    for (let i = 0; i < 10; i++) await jobQueue.send(i);
    jobQueue.close();
    await dispatcher.done;
    expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("worker errors go to onError and the workers survive (flaw 6)", async () => {
    const jobQueue = new Chan<number>(10);
    const errors: number[] = [];
    const dispatcher = new Dispatcher(
      jobQueue,
      2,
      (n: number) => {
        throw new Error(String(n));
      },
      { onError: (_e, n) => errors.push(n) },
    );
    dispatcher.run();
    for (let i = 0; i < 6; i++) await jobQueue.send(i);
    jobQueue.close();
    await dispatcher.done;
    expect(errors.sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("validates its arguments (flaw 7) and refuses to run twice", async () => {
    const q = new Chan<number>(1);
    expect(() => new Dispatcher(q, "8" as unknown as number, () => undefined)).toThrow(
      /new Dispatcher: maxWorkers must be an integer from 1 to 2147483647, got "8" \(string\)/,
    );
    expect(() => new Dispatcher(q, 0, () => undefined)).toThrow(RangeError);
    expect(() => new Dispatcher([] as unknown as Chan<number>, 1, () => undefined)).toThrow(/jobQueue must be a Chan/);
    expect(() => new Dispatcher(q, 1, null as unknown as () => void)).toThrow(/handler must be a function/);
    const d = new Dispatcher(q, 1, () => undefined);
    await d.stop(); // never run: resolves at once
    expect(() => d.run()).toThrow("already stopped");
    const e = new Dispatcher(q, 1, () => undefined);
    e.run();
    expect(() => e.run()).toThrow("already run");
    await e.stop();
  });
});

describe("Dispatcher: bad options are refused by the constructor (issue 11, item 6)", () => {
  it("an onError that is not a function throws TypeError at construction, naming the value", () => {
    const queue = new Chan<number>(1);
    const make = (): unknown => new Dispatcher(queue, 1, (n: number) => n, { onError: 1 as unknown as () => void });
    expect(make).toThrow(TypeError);
    expect(make).toThrow(/onError must be a function, got 1 \(number\)/);
  });

  it("a dispatcher whose run() failed still stops", async () => {
    const queue = new Chan<number>(1);
    const d = new Dispatcher(queue, 2, (n: number) => n);
    // A worker constructor that fails is the only way left for run() to fail.
    const poisoned = Object.defineProperty(d, "workerPool", { value: null });
    expect(() => poisoned.run()).toThrow(TypeError);
    let stopped = false;
    void d.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(true);
  });
});
