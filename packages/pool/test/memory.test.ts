/**
 * Nothing finished stays alive (issue 11, items 7-9): counted with WeakRefs
 * after a forced garbage collection, never with heap sizes or time.
 */
import { describe, expect, it } from "vitest";
import { Chan } from "@gochan/core";
import { Dispatcher, Pool, Worker, type JobInfo } from "@gochan/pool";
import { Fifo } from "../src/fifo.js";
import { alive, collect } from "./gc.js";
import { deferred, settle } from "./helpers.js";

describe("an idle pool keeps nothing of its finished jobs", () => {
  it("Pool: what the last job of each worker captured is collectable", async () => {
    const pool = new Pool({ maxWorkers: 4, maxQueue: 16 });
    const refs: WeakRef<object>[] = [];
    const jobs: Promise<unknown>[] = [];
    (() => {
      for (let i = 0; i < 8; i++) {
        const body = { bytes: new Uint8Array(1024) };
        refs.push(new WeakRef(body));
        jobs.push(pool.submit(async () => body.bytes.length));
      }
    })();
    await Promise.all(jobs);
    jobs.length = 0;
    await collect();
    expect(pool.metrics().idle).toBeGreaterThan(0);
    expect(alive(refs)).toBe(0);
    await pool.stop();
  });

  it("Pool: a job handed to an idle worker (through its job channel) is collectable once done", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 3; i++) {
      await (async () => {
        const body = { bytes: new Uint8Array(1024) };
        refs.push(new WeakRef(body));
        await pool.submit(async () => body.bytes.length);
      })();
      await settle(); // the worker is idle, parked in its select, before the next job
    }
    await collect();
    expect(alive(refs)).toBe(0);
    await pool.stop();
  });

  it("Worker (the seed's): the last job handled is collectable", async () => {
    const workerPool = new Chan<Chan<{ bytes: Uint8Array }>>(1);
    const worker = new Worker(workerPool, (job: { bytes: Uint8Array }) => job.bytes.length);
    worker.start();
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 3; i++) {
      const jobChannel = (await workerPool.recv()) as Chan<{ bytes: Uint8Array }>;
      await (async () => {
        const job = { bytes: new Uint8Array(1024) };
        refs.push(new WeakRef(job));
        await jobChannel.send(job);
      })();
    }
    await settle();
    await collect();
    expect(alive(refs)).toBe(0);
    await worker.stop();
  });

  it("Dispatcher: the jobs it handed out are collectable", async () => {
    const queue = new Chan<{ bytes: Uint8Array }>(4);
    const dispatcher = new Dispatcher(queue, 2, (job: { bytes: Uint8Array }) => job.bytes.length);
    dispatcher.run();
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 6; i++) {
      await (async () => {
        const job = { bytes: new Uint8Array(1024) };
        refs.push(new WeakRef(job));
        await queue.send(job);
      })();
    }
    await settle();
    await collect();
    expect(alive(refs)).toBe(0);
    await dispatcher.stop();
  });
});

describe("a fail-fast group keeps only its unsettled jobs", () => {
  it("settled job records are collectable while the group still has a running job", async () => {
    const refs: WeakRef<object>[] = [];
    const pool = new Pool({
      maxWorkers: 2,
      maxQueue: 64,
      onEvent: (e) => {
        if (e.type === "end" && e.job.id > 1) refs.push(new WeakRef(e.job as JobInfo & object));
      },
    });
    const group = pool.group<number>({ failFast: true });
    const release = deferred();
    await group.submit(async () => {
      await release.promise;
      return 0;
    });
    for (let i = 1; i <= 50; i++) await group.submit(() => i);
    await settle();
    await collect();
    expect(refs.length).toBe(50);
    expect(alive(refs)).toBe(0);
    release.resolve();
    await group.wait();
    await pool.stop();
  });
});

describe("the line of blocked submitters gives back its memory", () => {
  it("Fifo shrinks as it empties", () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 100_000; i++) fifo.push(i);
    expect(fifo.capacity).toBeGreaterThanOrEqual(100_000);
    while (fifo.shift() !== undefined);
    expect(fifo.capacity).toBeLessThanOrEqual(64);
  });

});
