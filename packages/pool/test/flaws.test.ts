/**
 * Regression tests for the flaws of the seed's pool (shared/worker-pool.md),
 * one `describe` per flaw number. Where it helps, the seed's code as published
 * is reproduced on the same channels first, to show the flaw, then ours.
 */
import { describe, expect, it } from "vitest";
import { Chan, recv, select } from "@gochan/core";
import { Dispatcher, Pool, PoolStoppedError, QueueFullError, Worker } from "@gochan/pool";
import { balanced, deferred, observe, settle, turn } from "./helpers.js";

/** The seed's 200,000 jobs against stalled workers. */
const JOBS = 200_000;
const MAX_WORKERS = 8;
const MAX_QUEUE = 100;

/** The seed's Worker.Start loop as published: register, then select job / quit. */
function seedWorker(workerPool: Chan<Chan<number>>, handle: (job: number) => Promise<unknown>): {
  jobChannel: Chan<number>;
  quit: Chan<boolean>;
} {
  const jobChannel = new Chan<number>();
  const quit = new Chan<boolean>();
  void (async () => {
    for (;;) {
      await workerPool.send(jobChannel);
      const r = await select([recv(jobChannel), recv(quit)]);
      if (r.index === 1) return;
      await handle(r.value as number);
    }
  })();
  return { jobChannel, quit };
}

describe("flaw 1: one task per job in dispatch, so the queue never pushes back", () => {
  it("the seed's dispatcher as published accepts all 200,000 jobs with every worker stalled", async () => {
    const jobQueue = new Chan<number>(MAX_QUEUE);
    const workerPool = new Chan<Chan<number>>(MAX_WORKERS);
    const stall = deferred();
    for (let i = 0; i < MAX_WORKERS; i++) seedWorker(workerPool, () => stall.promise);
    let parked = 0;
    void (async () => {
      for (;;) {
        const job = await jobQueue.recv();
        // go func(job Job) { jobChannel := <-d.WorkerPool; jobChannel <- job }(job)
        void (async () => {
          parked++;
          const jobChannel = (await workerPool.recv()) as Chan<number>;
          parked--;
          await jobChannel.send(job as number);
        })();
      }
    })();
    let accepted = 0;
    for (let i = 0; i < JOBS; i++) {
      await jobQueue.send(i);
      accepted++;
    }
    await settle();
    expect(accepted).toBe(JOBS);
    expect(parked).toBe(JOBS - MAX_WORKERS); // one parked task per job
  });

  it("Dispatcher: with every worker stalled, exactly maxQueue + maxWorkers + 1 jobs are accepted, and the next send waits", async () => {
    const jobQueue = new Chan<number>(MAX_QUEUE);
    const stall = deferred();
    const started: number[] = [];
    const dispatcher = new Dispatcher(jobQueue, MAX_WORKERS, async (n: number) => {
      started.push(n);
      await stall.promise;
    });
    dispatcher.run();
    const bound = MAX_QUEUE + MAX_WORKERS + 1;
    let accepted = 0;
    let waiting: Promise<void> | undefined;
    for (let i = 0; i < JOBS; i++) {
      const send = jobQueue.send(i);
      const sent = observe(send);
      await settle(2);
      if (sent.current.state === "pending") {
        // The next send waits: backpressure. Nothing more gets in.
        await settle();
        expect(sent.current.state).toBe("pending");
        waiting = send;
        break;
      }
      accepted++;
    }
    expect(accepted).toBe(bound);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]); // in queue order
    expect(jobQueue.len).toBe(MAX_QUEUE);
    // Let everything drain: every job accepted (and the waiting one) runs, in order.
    stall.resolve();
    await waiting;
    jobQueue.close();
    await dispatcher.done;
    expect(started).toEqual(Array.from({ length: bound + 1 }, (_, i) => i));
  });

  it("Pool: 200,000 jobs against stalled workers: maxQueue + maxWorkers accepted, the rest wait; stop wakes them all", async () => {
    const pool = new Pool({ maxWorkers: MAX_WORKERS, maxQueue: MAX_QUEUE });
    const stall = deferred();
    const started: number[] = [];
    const results: Promise<unknown>[] = [];
    for (let i = 0; i < JOBS; i++) {
      results.push(
        pool.submit(async () => {
          started.push(i);
          await stall.promise;
        }),
      );
    }
    await settle();
    const m = pool.metrics();
    expect(m.running + m.queued).toBe(MAX_QUEUE + MAX_WORKERS); // <= maxQueue + maxWorkers + 1
    expect([m.running, m.queued, m.blockedSubmitters]).toEqual([MAX_WORKERS, MAX_QUEUE, JOBS - MAX_QUEUE - MAX_WORKERS]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]); // dispatch order kept
    expect(() => pool.trySubmit(() => undefined)).toThrow(QueueFullError);
    const stopped = pool.stop();
    stall.resolve();
    await stopped;
    const outcomes = await Promise.allSettled(results);
    const rejected = outcomes.filter((o) => o.status === "rejected");
    expect(rejected).toHaveLength(JOBS - MAX_WORKERS);
    expect(rejected.every((o) => (o as PromiseRejectedResult).reason instanceof PoolStoppedError)).toBe(true);
    expect(balanced(pool.metrics())).toBe(true);
  });
});

describe("flaw 2: the chan-chan indirection on every job", () => {
  it("a busy worker takes the next queued job itself: workers never go idle while jobs wait", async () => {
    let idleWhileQueued = 0;
    let starts = 0;
    const pool: Pool = new Pool({
      maxWorkers: 4,
      maxQueue: 1000,
      onEvent: (e) => {
        if (e.type !== "start") return;
        starts++;
        const m = pool.metrics();
        if (m.idle > 0 && m.queued > 0) idleWhileQueued++;
      },
    });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => pool.submit(async () => i)));
    expect(starts).toBe(1000);
    expect(idleWhileQueued).toBe(0);
    await pool.stop();
  });
});

describe("flaw 3: Stop() is fire-and-forget and strands a job on a stale registration", () => {
  it("the seed's Worker as published: stopped while registered, its channel stays in the pool and the next job is lost", async () => {
    const workerPool = new Chan<Chan<number>>(1);
    const ran: number[] = [];
    const w = seedWorker(workerPool, async (n) => {
      ran.push(n);
    });
    await turn(); // registered, idle
    // func (w Worker) Stop() { go func() { w.quit <- true }() }
    void w.quit.send(true);
    await settle();
    const secondStop = observe(w.quit.send(true)); // a second Stop: blocked forever (a leak)
    // The dispatcher receives the stale registration and hands the job over.
    const jobChannel = (await workerPool.recv()) as Chan<number>;
    const handOff = observe(jobChannel.send(42));
    await settle();
    expect(handOff.current.state).toBe("pending"); // the job is stranded
    expect(secondStop.current.state).toBe("pending");
    expect(ran).toEqual([]);
  });

  it("Worker + Dispatcher: the stale registration refuses the job and the dispatcher hands it to a live worker", async () => {
    const jobQueue = new Chan<number>(10);
    const ran: number[] = [];
    const dispatcher = new Dispatcher(jobQueue, 2, (n: number) => {
      ran.push(n);
    });
    dispatcher.run();
    await settle();
    const first = dispatcher.workers[0] as Worker<number>;
    await Promise.all([first.stop(), first.stop()]); // awaitable, and a second stop is harmless
    await jobQueue.send(42);
    await settle();
    expect(ran).toEqual([42]);
    jobQueue.close();
    await dispatcher.done;
  });

  it("Pool: workers retired while idle (shrink, idle timeout) deregister; no job is ever handed to them", async () => {
    const pool = new Pool({ maxWorkers: 8, maxQueue: 100, idleTimeout: 1 });
    for (let round = 0; round < 5; round++) {
      // Warm up 8 workers, let them idle, retire some by shrinking and the rest by their idle timeout.
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => pool.submit(async () => i)));
      expect(results).toHaveLength(50);
      await settle();
      pool.resize(2);
      expect(pool.metrics().idle).toBeLessThanOrEqual(2);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await settle();
      expect(pool.metrics().idle).toBe(0);
      pool.resize(8);
    }
    const m = pool.metrics();
    expect([m.succeeded, m.submitted]).toEqual([250, 250]);
    await pool.stop();
  });
});

describe("flaw 4: the dispatcher cannot be stopped and spins on a closed queue", () => {
  it("the seed's dispatch loop as published spins on zero values once the queue is closed", async () => {
    const jobQueue = new Chan<number>(1);
    jobQueue.close();
    let zeroValues = 0;
    // for { select { case job := <-JobQueue: go ... } }, capped here so the test ends.
    for (let i = 0; i < 10_000; i++) {
      const r = await select([recv(jobQueue)]);
      if (r.value === undefined) zeroValues++;
    }
    expect(zeroValues).toBe(10_000);
  });

  it("Dispatcher: stop() ends it, awaitably; a closed, drained queue ends it without spinning", async () => {
    const a = new Dispatcher(new Chan<number>(1), 2, () => undefined);
    a.run();
    await a.stop();
    await a.done;
    const q = new Chan<number>(10);
    let handled = 0;
    const b = new Dispatcher(q, 2, () => {
      handled++;
    });
    b.run();
    for (let i = 0; i < 5; i++) await q.send(i);
    q.close();
    await b.done;
    expect(handled).toBe(5);
  });

  it("Pool: there is no dispatcher task to leak; stop resolves and nothing stays pending", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
    await pool.submit(() => 1);
    await pool.stop();
    expect(pool.metrics()).toMatchObject({ running: 0, idle: 0, queued: 0, blockedSubmitters: 0 });
  });
});

describe("flaw 5: no graceful drain", () => {
  it("Pool.stopAndWait runs every accepted job; Dispatcher drains a closed queue", async () => {
    const pool = new Pool({ maxWorkers: 3, maxQueue: 5 });
    let ran = 0;
    for (let i = 0; i < 40; i++) {
      void pool.submit(async () => {
        await turn();
        ran++;
      });
    }
    await pool.stopAndWait();
    expect(ran).toBe(40);
    const q = new Chan<number>(40);
    let handled = 0;
    const d = new Dispatcher(q, 3, async () => {
      await turn();
      handled++;
    });
    d.run();
    for (let i = 0; i < 40; i++) await q.send(i);
    q.close();
    await d.done;
    expect(handled).toBe(40);
  });
});

describe("flaw 6: errors only logged; a throw would end a worker", () => {
  it("errors reach the caller and the workers survive them", async () => {
    const reported: unknown[] = [];
    const pool = new Pool({ maxWorkers: 1, maxQueue: 10, onError: (e) => reported.push(e) });
    const e1 = new Error("submit");
    await expect(pool.submit(() => { throw e1; })).rejects.toBe(e1);
    const e2 = new Error("go");
    pool.go(() => { throw e2; });
    expect(await pool.submit(() => "the worker survived")).toBe("the worker survived");
    expect(reported).toEqual([e2]);
    await pool.stop();
  });
});

describe("flaw 7: MAX_WORKERS / MAX_QUEUE unvalidated", () => {
  it("strings from the environment and zero workers are refused with a RangeError naming the value", () => {
    expect(() => new Pool({ maxWorkers: "8" as unknown as number, maxQueue: 100 })).toThrow(/maxWorkers .*"8" \(string\)/);
    expect(() => new Pool({ maxWorkers: 0, maxQueue: 100 })).toThrow(/maxWorkers .*got 0 \(number\)/);
    expect(() => new Pool({ maxWorkers: 8, maxQueue: "100" as unknown as number })).toThrow(/maxQueue .*"100" \(string\)/);
    expect(() => new Dispatcher(new Chan<number>(), 0, () => undefined)).toThrow(RangeError);
  });
});

describe("flaw 8: a global job queue", () => {
  it("pools and dispatchers are independent: any number per process", async () => {
    const p1 = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const p2 = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const stall = deferred();
    void p1.submit(() => stall.promise);
    expect(await p2.submit(() => "p2 is not affected by p1")).toBe("p2 is not affected by p1");
    stall.resolve();
    await Promise.all([p1.stop(), p2.stop()]);
    const [q1, q2] = [new Chan<string>(1), new Chan<string>(1)];
    const seen: string[] = [];
    const [d1, d2] = [q1, q2].map((q) => new Dispatcher(q, 1, (s: string) => void seen.push(s)));
    d1?.run();
    d2?.run();
    await q1.send("one");
    await q2.send("two");
    q1.close();
    q2.close();
    await Promise.all([d1?.done, d2?.done]);
    expect(seen.sort()).toEqual(["one", "two"]);
  });
});
