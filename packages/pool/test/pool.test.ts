import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { inspect } from "node:util";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import {
  JobTimeoutError,
  Pool,
  PoolStoppedError,
  QueueFullError,
  type JobInfo,
  type PoolEvent,
  type PoolMetrics,
} from "@gochan/pool";
import { configureScheduling, getScheduling } from "@gochan/core";
import { balanced, deferred, gate, observe, settle, turn } from "./helpers.js";

/** Runs fn while queueMicrotask callbacks that throw are recorded instead of crashing the run. */
async function captureRethrows(fn: () => Promise<void>): Promise<unknown[]> {
  const original = globalThis.queueMicrotask;
  const thrown: unknown[] = [];
  globalThis.queueMicrotask = (cb: () => void): void =>
    original(() => {
      try {
        cb();
      } catch (e) {
        thrown.push(e);
      }
    });
  try {
    await fn();
    await settle(2);
  } finally {
    globalThis.queueMicrotask = original;
  }
  return thrown;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("submit", () => {
  it("resolves with the job's result, typed, and gives the job an unaborted signal", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 4 });
    let seen: AbortSignal | undefined;
    const p = pool.submit(async (signal) => {
      seen = signal;
      return 6 * 7;
    });
    expectTypeOf(p).toEqualTypeOf<Promise<number>>();
    expect(await p).toBe(42);
    expect(seen).toBeInstanceOf(AbortSignal);
    expect(seen?.aborted).toBe(false);
    expect(await pool.submit(() => "sync")).toBe("sync");
    await pool.stop();
    expect(balanced(pool.metrics())).toBe(true);
  });

  it("rejects with the job's error, sync or async, and the worker carries on", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
    const boom = new Error("boom");
    await expect(pool.submit(() => { throw boom; })).rejects.toBe(boom);
    await expect(pool.submit(async () => Promise.reject(boom))).rejects.toBe(boom);
    await expect(pool.submit(() => Promise.reject("not an Error"))).rejects.toBe("not an Error");
    expect(await pool.submit(() => "still working")).toBe("still working");
    const m = pool.metrics();
    expect([m.failed, m.succeeded, m.completed, m.running]).toEqual([3, 1, 4, 0]);
    await pool.stop();
  });

  it("starts jobs in submission order with one worker, blocked submitters included", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 2 });
    const order: number[] = [];
    const all = [];
    for (let i = 0; i < 10; i++) all.push(pool.submit(async () => { order.push(i); await turn(); }));
    expect(pool.metrics().blockedSubmitters).toBe(7);
    await Promise.all(all);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await pool.stop();
  });

  it("runs at most maxWorkers jobs at a time", async () => {
    const pool = new Pool({ maxWorkers: 3, maxQueue: 100 });
    let now = 0;
    let most = 0;
    const all = [];
    for (let i = 0; i < 30; i++) {
      all.push(
        pool.submit(async () => {
          now++;
          most = Math.max(most, now);
          expect(pool.metrics().running).toBeLessThanOrEqual(3);
          await turn();
          now--;
        }),
      );
    }
    await Promise.all(all);
    expect(most).toBe(3);
    await pool.stop();
  });

  it("waits for queue space (backpressure) and admits waiters in order as space frees", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 2 });
    const g = gate();
    const first = pool.submit(g.job);
    const rest = [1, 2, 3, 4].map((i) => observe(pool.submit(() => i)));
    let m = pool.metrics();
    expect([m.running, m.queued, m.blockedSubmitters, m.submitted]).toEqual([1, 2, 2, 5]);
    g.release();
    await first;
    await settle();
    expect(rest.map((r) => r.current)).toEqual([1, 2, 3, 4].map((value) => ({ state: "fulfilled", value })));
    m = pool.metrics();
    expect([m.running, m.queued, m.blockedSubmitters, m.succeeded]).toEqual([0, 0, 0, 5]);
    await pool.stop();
  });
});

/** Microtask turns from now until `p` settles (a then callback registered now runs). */
async function turnsUntil(p: Promise<unknown>): Promise<number> {
  let done = false;
  p.then(
    () => void (done = true),
    () => void (done = true),
  );
  let n = 0;
  while (!done) {
    await undefined;
    n++;
  }
  return n;
}

/** A minimal pool with a promise per job, calling the job inside submit when a slot is free (the floor's idle path). */
class MinimalPool {
  private free: number;
  constructor(workers: number) {
    this.free = workers;
  }
  submit<R>(fn: () => R | Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.free === 0) throw new Error("MinimalPool: only the idle path is modelled");
      this.free--;
      void this.run(fn, resolve, reject);
    });
  }
  private async run<R>(fn: () => R | Promise<R>, resolve: (v: R) => void, reject: (e: unknown) => void): Promise<void> {
    try {
      resolve(await fn());
    } catch (e) {
      reject(e);
    }
    this.free++;
  }
}

describe("starting inside submit (the idle path)", () => {
  it("a job that meets a free worker starts inside submit, the pool already counting it running", async () => {
    const log: string[] = [];
    const pool = new Pool({
      maxWorkers: 2,
      maxQueue: 4,
      onEvent: (e) => {
        if (e.type === "start") log.push(`start ${e.job.id}`);
      },
    });
    const seen: PoolMetrics[] = [];
    const job = (): number => {
      log.push("job");
      seen.push(pool.metrics());
      return seen.length;
    };
    // No worker yet: one is started for the job, inside the call.
    const first = pool.submit(job);
    expect(log).toEqual(["start 1", "job"]);
    expect(seen[0]).toMatchObject({ running: 1, idle: 0, queued: 0, submitted: 1, succeeded: 0 });
    expect(await first).toBe(1);
    expect(pool.metrics()).toMatchObject({ running: 0, idle: 1 });
    // An idle worker: the dispatcher hands the job over through its job channel, inside the call.
    const second = pool.submit(job);
    expect(log).toEqual(["start 1", "job", "start 2", "job"]);
    expect(seen[1]).toMatchObject({ running: 1, idle: 0, queued: 0, submitted: 2, succeeded: 1 });
    expect(await second).toBe(2);
    // trySubmit and go too.
    const third = pool.trySubmit(job);
    expect(seen).toHaveLength(3);
    pool.go(job);
    expect(seen).toHaveLength(4);
    expect(await third).toBe(3);
    await pool.stop();
    expect(balanced(pool.metrics())).toBe(true);
  });

  it("a job's result arrives in as many promise turns as from a minimal pool that calls the job inside submit", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    await pool.submit(() => 0); // an idle worker from now on
    const minimal = new MinimalPool(1);
    const counts: number[][] = [];
    for (const job of [() => 1, async () => 1]) {
      const ours = await turnsUntil(pool.submit(job));
      const theirs = await turnsUntil(minimal.submit(job));
      counts.push([ours, theirs]);
    }
    expect(counts.map(([ours, theirs]) => ours === theirs)).toEqual([true, true]);
    await pool.stop();
  });

  it("a job that waits for a worker, and a group's job, do not start inside the call", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
    const g = gate();
    void pool.submit(g.job);
    let ran = 0;
    const queued = pool.submit(() => void ran++);
    expect(ran).toBe(0);
    g.release();
    await queued;
    expect(ran).toBe(1);
    // A group submits from inside its own bookkeeping: its jobs start a microtask later.
    const group = pool.group();
    void group.submit(() => void ran++);
    expect(ran).toBe(1);
    await group.wait();
    expect(ran).toBe(2);
    await pool.stop();
  });

  it("a job that throws synchronously rejects its promise; submit and go never throw it, and its end comes later", async () => {
    const boom = new Error("boom");
    const errors: unknown[] = [];
    const ends: string[] = [];
    const pool = new Pool({
      maxWorkers: 1,
      maxQueue: 1,
      onError: (e) => errors.push(e),
      onEvent: (e) => {
        if (e.type === "end") ends.push(`${e.job.id} ${e.outcome}`);
      },
    });
    await pool.submit(() => 0);
    let calls = 0;
    const thrower = (): never => {
      calls++;
      throw boom;
    };
    const p = observe(pool.submit(thrower));
    expect(calls).toBe(1); // it started inside submit
    // Its end (counters, hooks) is not run inside submit.
    expect(pool.metrics()).toMatchObject({ running: 1, failed: 0 });
    expect(ends).toEqual(["1 succeeded"]);
    await settle(1);
    expect(p.current).toEqual({ state: "rejected", reason: boom });
    expect(() => pool.go(thrower)).not.toThrow();
    expect(calls).toBe(2);
    expect(errors).toEqual([]);
    await settle(1);
    expect(errors).toEqual([boom]);
    expect(ends).toEqual(["1 succeeded", "2 failed", "3 failed"]);
    expect(pool.metrics()).toMatchObject({ running: 0, idle: 1, failed: 2 });
    await pool.stop();
  });

  it("a job submitted from a job's synchronous part, or from its start event, starts after it, never nested", async () => {
    const log: string[] = [];
    const pool = new Pool({
      maxWorkers: 3,
      maxQueue: 4,
      onEvent: (e) => {
        if (e.type !== "start") return;
        log.push(`start ${e.job.id}`);
        if (e.job.id === 2) void pool.submit(() => void log.push("from the start event"));
      },
    });
    await pool.submit(() => 0); // job 1
    await pool.submit(() => 0).then(() => undefined); // job 2 (its start event submits job 3)
    await settle(1);
    log.length = 0;
    // Two idle workers and a third slot: the inner submissions could start nested, but wait for the outer job.
    const outer = pool.submit(() => {
      log.push("outer begins");
      void pool.submit(() => void log.push("inner"));
      log.push("outer ends its synchronous part");
    });
    expect(log).toEqual(["start 4", "outer begins", "outer ends its synchronous part"]);
    await outer;
    await settle(1);
    expect(log).toEqual(["start 4", "outer begins", "outer ends its synchronous part", "start 5", "inner"]);
    await pool.stop();
    expect(balanced(pool.metrics())).toBe(true);
  });

  it("a job that stops, resizes, cancels itself or fills the queue from its synchronous part sees the truth", async () => {
    const pool = new Pool({ maxWorkers: 3, maxQueue: 1 });
    // Three idle workers.
    await Promise.all([pool.submit(() => 0), pool.submit(() => 0), pool.submit(() => 0)]);
    expect(pool.metrics()).toMatchObject({ idle: 3, running: 0 });

    // Shrinking from inside: the two other idle workers retire at once; this one keeps running.
    let inside: PoolMetrics | undefined;
    await pool.submit(() => {
      pool.resize(1);
      inside = pool.metrics();
    });
    expect(inside).toMatchObject({ maxWorkers: 1, running: 1, idle: 0 });

    // trySubmit from inside: no worker is free, the queue takes one job, the next is refused.
    const refused: unknown[] = [];
    const later: Promise<unknown>[] = [];
    await pool.submit(() => {
      later.push(pool.trySubmit(() => "queued"));
      try {
        later.push(pool.trySubmit(() => "refused"));
      } catch (e) {
        refused.push(e);
      }
    });
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(QueueFullError);
    expect(await Promise.all(later)).toEqual(["queued"]);

    // Aborting its own signal from inside: cancelled at once, its signal aborted for the rest of its run.
    const ac = new AbortController();
    let abortedInside: boolean | undefined;
    const self = observe(
      pool.submit(
        (signal) => {
          ac.abort("changed my mind");
          abortedInside = signal.aborted;
          return "ignored";
        },
        { signal: ac.signal },
      ),
    );
    await settle(1);
    expect(abortedInside).toBe(true);
    expect(self.current).toEqual({ state: "rejected", reason: "changed my mind" });

    // Stopping from inside: the job finishes, later submissions are refused, the stop resolves after the job.
    let stopped: Promise<void> | undefined;
    const last = pool.submit(() => {
      stopped = pool.stop();
      return pool.metrics().running;
    });
    await expect(pool.submit(() => 1)).rejects.toBeInstanceOf(PoolStoppedError);
    expect(await last).toBe(1);
    await stopped;
    expect(pool.metrics()).toMatchObject({ running: 0, idle: 0, cancelled: 1, succeeded: 7, dropped: 1 });
    expect(balanced(pool.metrics())).toBe(true);
  });
});

describe("a worker finishing its job (the batches' path: a map taking its next item, a group job submitted from an end hook)", () => {
  /** A pool whose end hook runs `onEnd` once, for job 1. */
  function hooked(onEnd: (pool: Pool) => void, maxWorkers = 1): Pool {
    let pool: Pool | null = null;
    let done = false;
    pool = new Pool({
      maxWorkers,
      maxQueue: 4,
      onEvent: (e) => {
        if (e.type === "end" && e.job.id === 1 && !done) {
          done = true;
          onEnd(pool as Pool);
        }
      },
    });
    return pool;
  }

  it("a job submitted while a worker finishes goes straight to that worker: never queued, and no other worker started", async () => {
    const seen: [number, number, number][] = [];
    let second: Promise<number> | null = null;
    const pool = hooked((p) => {
      second = p.submit(() => 2);
      const m = p.metrics();
      seen.push([m.queued, m.running, m.idle]);
    }, 2);
    expect(await pool.submit(() => 1)).toBe(1);
    expect(await (second as unknown as Promise<number>)).toBe(2);
    // Running on the finishing worker at once; the pool never grew a second worker.
    expect(seen).toEqual([[0, 1, 0]]);
    expect(pool.metrics()).toMatchObject({ running: 0, idle: 1, queued: 0, succeeded: 2 });
  });

  it("but never ahead of a job already queued: the queued one goes first (FIFO)", async () => {
    const started: string[] = [];
    const seen: number[] = [];
    const pool = hooked((p) => {
      void p.submit(() => void started.push("late"));
      seen.push(p.metrics().queued);
    });
    const first = pool.submit(() => void started.push("first"));
    const queued = pool.submit(() => void started.push("queued"));
    await Promise.all([first, queued]);
    await settle();
    expect(seen).toEqual([2]);
    expect(started).toEqual(["first", "queued", "late"]);
    expect(balanced(pool.metrics())).toBe(true);
  });

  it("a stop right after it: the job handed to the finishing worker runs, as one handed to an idle worker does", async () => {
    let second: Promise<string> | null = null;
    let stopped: Promise<void> | null = null;
    const pool = hooked((p) => {
      second = p.submit(() => "ran");
      stopped = p.stop();
    });
    await pool.submit(() => 1);
    expect(await (second as unknown as Promise<string>)).toBe("ran");
    await stopped;
    expect(pool.metrics()).toMatchObject({ submitted: 2, succeeded: 2, dropped: 0, running: 0, idle: 0 });
  });

  it("after a resize below the live workers, the finishing worker retires and the job waits for a worker within the limit", async () => {
    let second: Promise<number> | null = null;
    const seen: [number, number][] = [];
    const g = gate();
    const pool = hooked((p) => {
      p.resize(1);
      second = p.submit(() => 2);
      const m = p.metrics();
      seen.push([m.queued, m.running]);
    }, 2);
    const first = pool.submit(() => 1); // job 1
    const holding = pool.submit(g.job); // keeps the other worker busy
    await first;
    expect(seen).toEqual([[1, 1]]); // queued: the finishing worker is over the new limit
    g.release();
    await holding;
    expect(await (second as unknown as Promise<number>)).toBe(2);
    expect(balanced(pool.metrics())).toBe(true);
  });
});

describe("cancellation", () => {
  it("aborting a blocked submit ends its wait: rejected with the reason, never run, counted cancelled", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const g = gate();
    void pool.submit(g.job);
    void pool.submit(() => "queued");
    const ac = new AbortController();
    let ran = false;
    const waiting = observe(pool.submit(() => { ran = true; }, { signal: ac.signal }));
    const after = pool.submit(() => "after");
    expect(pool.metrics().blockedSubmitters).toBe(2);
    const reason = new Error("client went away");
    ac.abort(reason);
    expect(pool.metrics().blockedSubmitters).toBe(1);
    await turn();
    expect(waiting.current).toEqual({ state: "rejected", reason });
    g.release();
    expect(await after).toBe("after");
    expect(ran).toBe(false);
    expect(pool.metrics().cancelled).toBe(1);
    await pool.stop();
    expect(balanced(pool.metrics())).toBe(true);
  });

  it("aborting a queued job removes it, and its slot goes to the first blocked submitter at once", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 2 });
    const g = gate();
    void pool.submit(g.job);
    const ac = new AbortController();
    let ran = false;
    const cancelled = observe(pool.submit(() => { ran = true; }, { signal: ac.signal }));
    const queued = pool.submit(() => "queued");
    const blocked = pool.submit(() => "blocked");
    expect(pool.metrics()).toMatchObject({ queued: 2, blockedSubmitters: 1 });
    expect(() => pool.trySubmit(() => 0)).toThrow(QueueFullError);
    ac.abort("stop it");
    expect(pool.metrics()).toMatchObject({ queued: 2, blockedSubmitters: 0, cancelled: 1 });
    g.release();
    expect(await queued).toBe("queued");
    expect(await blocked).toBe("blocked");
    expect(ran).toBe(false);
    expect(cancelled.current).toEqual({ state: "rejected", reason: "stop it" });
    await pool.stop();
  });

  it("aborting a running job aborts its signal and rejects at once; its worker stays busy until it returns", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 2 });
    const ac = new AbortController();
    const returned = deferred();
    let jobSignal: AbortSignal | undefined;
    const started = deferred();
    const p = observe(
      pool.submit(
        async (signal) => {
          jobSignal = signal;
          started.resolve();
          await returned.promise;
          return "late";
        },
        { signal: ac.signal },
      ),
    );
    const next = observe(pool.submit(() => "next"));
    await started.promise;
    ac.abort("cancel");
    expect(jobSignal?.aborted).toBe(true);
    expect(jobSignal?.reason).toBe("cancel");
    await turn();
    expect(p.current).toEqual({ state: "rejected", reason: "cancel" });
    expect(pool.metrics()).toMatchObject({ running: 1, cancelled: 1 });
    expect(next.current.state).toBe("pending");
    returned.resolve();
    await settle();
    expect(next.current).toEqual({ state: "fulfilled", value: "next" });
    // The late result is ignored: counted once, as cancelled.
    expect(pool.metrics()).toMatchObject({ running: 0, cancelled: 1, succeeded: 1, submitted: 2 });
    await pool.stop();
  });

  it("a job aborted on its way to a worker (handed over, not yet started) never runs", async () => {
    // Group jobs are handed over at once but start a microtask later (pool.submit's
    // would start inside the call): the window where an abort still stops them.
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const group = pool.group();
    let ran = 0;
    // Starting a worker for the job hands it over at once.
    const ac1 = new AbortController();
    void group.submit(() => void ran++, { signal: ac1.signal });
    expect(pool.metrics().running).toBe(1);
    ac1.abort("too late for the queue, too early for the job");
    // Now through an idle worker's job channel.
    await settle();
    expect(pool.metrics().idle).toBe(1);
    const ac2 = new AbortController();
    void group.submit(() => void ran++, { signal: ac2.signal });
    expect(pool.metrics().running).toBe(1);
    ac2.abort("again");
    const waited = await group.wait().catch((e: unknown) => e);
    expect(ran).toBe(0);
    expect(waited).toBeInstanceOf(AggregateError);
    expect((waited as AggregateError).errors).toEqual(["too late for the queue, too early for the job", "again"]);
    expect(pool.metrics()).toMatchObject({ running: 0, cancelled: 2, succeeded: 0 });
    await pool.stop();
  });

  it("cancelling most of a long line of blocked submitters keeps the others in order", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const g = gate();
    void pool.submit(g.job);
    void pool.submit(() => undefined);
    const ran: number[] = [];
    const controllers: AbortController[] = [];
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < 500; i++) {
      const ac = new AbortController();
      controllers.push(ac);
      all.push(pool.submit(() => void ran.push(i), { signal: ac.signal }).catch(() => undefined));
    }
    // Cancel all but every seventh, from the middle outwards and the head last.
    for (let i = 499; i >= 0; i--) if (i % 7 !== 0) controllers[i]?.abort();
    const kept = Array.from({ length: 500 }, (_, i) => i).filter((i) => i % 7 === 0);
    expect(pool.metrics().blockedSubmitters).toBe(kept.length);
    g.release();
    await Promise.all(all);
    expect(ran).toEqual(kept);
    expect(pool.metrics()).toMatchObject({ cancelled: 500 - kept.length, blockedSubmitters: 0 });
    await pool.stop();
  });

  it("one signal shared by many jobs (a request's payloads) adds one listener and cancels them all", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on("warning", onWarning);
    try {
      const pool = new Pool({ maxWorkers: 2, maxQueue: 10 });
      const request = new AbortController();
      const returned = deferred();
      let abortedRunning = 0;
      const all = Array.from({ length: 50 }, (_, i) =>
        observe(
          pool.submit(
            async (signal) => {
              signal.addEventListener("abort", () => abortedRunning++, { once: true });
              await returned.promise;
              return i;
            },
            { signal: request.signal },
          ),
        ),
      );
      expect(pool.metrics()).toMatchObject({ running: 2, queued: 10, blockedSubmitters: 38 });
      await turn();
      request.abort("client went away");
      expect(pool.metrics()).toMatchObject({ running: 2, queued: 0, blockedSubmitters: 0, cancelled: 50 });
      expect(abortedRunning).toBe(2);
      await turn();
      expect(all.every((r) => r.current.state === "rejected")).toBe(true);
      returned.resolve();
      await pool.stop();
      await turn();
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("an already aborted signal rejects at once and is counted cancelled", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const signal = AbortSignal.abort("already");
    let ran = false;
    await expect(pool.submit(() => { ran = true; }, { signal })).rejects.toBe("already");
    await expect(pool.trySubmit(() => { ran = true; }, { signal })).rejects.toBe("already");
    pool.go(() => { ran = true; }, { signal });
    await settle();
    expect(ran).toBe(false);
    expect(pool.metrics()).toMatchObject({ submitted: 3, cancelled: 3 });
    await pool.stop();
  });
});

describe("the signal a job receives", () => {
  it("is one quiet signal for jobs nothing can cancel, and a job's own for jobs something can", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 10 });
    const seen: AbortSignal[] = [];
    const record = (signal: AbortSignal): void => void seen.push(signal);
    await pool.submit(record);
    await pool.submit((signal) => {
      record(signal);
      signal.addEventListener("abort", () => undefined, { once: true }); // left behind: dropped
      signal.onabort = () => undefined; // likewise
    });
    await pool.submit(record);
    await pool.submit(record, { timeout: 1000 }); // a timeout can abort it: its own
    await pool.submit(record, { signal: new AbortController().signal }); // likewise
    await pool.submit(record);
    expect(seen.map((sig) => seen.indexOf(sig))).toEqual([0, 0, 0, 3, 4, 0]);
    expect(seen[0]?.onabort).toBe(null);
    expect(seen.every((sig) => !sig.aborted)).toBe(true);
    await pool.stop();
  });

  it("never piles up listeners left behind by jobs (no MaxListenersExceededWarning, nothing retained)", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on("warning", onWarning);
    try {
      const pool = new Pool({ maxWorkers: 1, maxQueue: 100 });
      const signals = new Set<AbortSignal>();
      await Promise.all(
        Array.from({ length: 100 }, () =>
          pool.submit((signal) => {
            signals.add(signal);
            signal.addEventListener("abort", () => undefined, { once: true });
          }),
        ),
      );
      expect(signals.size).toBe(1); // the quiet signal, which keeps no listener
      await pool.stop();
      await turn();
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("after a running job is cancelled through its worker's signal, the next jobs get unaborted ones", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 10 });
    const group = pool.group<void>({ failFast: true });
    const fail = deferred();
    const returned = deferred();
    let victim: AbortSignal | undefined;
    await group.submit(async (signal) => {
      victim = signal;
      await returned.promise;
    });
    await group.submit(async () => {
      await fail.promise;
      throw new Error("first");
    });
    await settle();
    fail.resolve();
    await expect(group.wait()).rejects.toThrow("first");
    expect(victim?.aborted).toBe(true);
    expect(victim?.reason).toEqual(new Error("first"));
    returned.resolve();
    await settle();
    const later = await Promise.all([1, 2, 3, 4].map(() => pool.submit((signal) => signal)));
    expect(later.some((sig) => sig === victim)).toBe(false);
    expect(later.every((sig) => !sig.aborted)).toBe(true);
    await pool.stop();
  });
});

describe("timeouts", () => {
  it("count from the job's start, not from submission; the signal aborts with JobTimeoutError", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const pool = new Pool({ maxWorkers: 1, maxQueue: 2 });
    const first = gate();
    void pool.submit(first.job);
    let reason: unknown;
    const returned = deferred();
    const timed = observe(
      pool.submit(
        async (signal) => {
          signal.addEventListener("abort", () => {
            reason = signal.reason;
          });
          await returned.promise;
        },
        { timeout: 100 },
      ),
    );
    await turn();
    vi.advanceTimersByTime(1000); // queued for 1 s: no timeout yet
    expect(timed.current.state).toBe("pending");
    first.release();
    await settle();
    vi.advanceTimersByTime(99);
    await turn();
    expect(timed.current.state).toBe("pending");
    vi.advanceTimersByTime(1);
    await turn();
    expect(timed.current.state).toBe("rejected");
    const error = (timed.current as { reason: unknown }).reason;
    expect(error).toBeInstanceOf(JobTimeoutError);
    expect(reason).toBe(error);
    expect(pool.metrics()).toMatchObject({ failed: 1, running: 1 });
    returned.resolve();
    await pool.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(balanced(pool.metrics())).toBe(true);
  });

  it("a job that finishes in time leaves no timer behind", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
    expect(await pool.submit(async () => "quick", { timeout: 60_000 })).toBe("quick");
    expect(vi.getTimerCount()).toBe(0);
    await pool.stop();
  });
});

describe("trySubmit", () => {
  it("throws QueueFullError synchronously when full, counts it as dropped, and succeeds exactly when queued + blocked < maxQueue", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 2 });
    const g = gate();
    const results = [pool.trySubmit(g.job)];
    results.push(pool.trySubmit(async () => undefined), pool.trySubmit(async () => undefined));
    const m = pool.metrics();
    expect(m.queued + m.blockedSubmitters).toBe(m.maxQueue);
    expect(() => pool.trySubmit(() => undefined)).toThrow(QueueFullError);
    expect(pool.metrics()).toMatchObject({ submitted: 4, dropped: 1 });
    g.release();
    await Promise.all(results);
    expect(pool.metrics().queued).toBe(0);
    expect(await pool.trySubmit(() => "room again")).toBe("room again");
    await pool.stop();
    expect(balanced(pool.metrics())).toBe(true);
  });

  it("does not jump ahead of blocked submitters", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const g = gate();
    void pool.submit(g.job);
    const ac = new AbortController();
    void pool.submit(() => undefined, { signal: ac.signal }).catch(() => undefined);
    const blocked = pool.submit(() => "blocked");
    ac.abort(); // frees the queue slot: the blocked submitter takes it
    expect(() => pool.trySubmit(() => "cheeky")).toThrow(QueueFullError);
    g.release();
    expect(await blocked).toBe("blocked");
    await pool.stop();
  });

  it("throws PoolStoppedError synchronously once stopped", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    await pool.stop();
    expect(() => pool.trySubmit(() => 1)).toThrow(PoolStoppedError);
    expect(() => pool.trySubmit(() => 1)).toThrow("trySubmit: the pool is stopped");
    expect(pool.metrics().submitted).toBe(0);
  });
});

describe("go", () => {
  it("runs the job; its error goes to onError with the job's identity", async () => {
    const errors: [unknown, JobInfo][] = [];
    const pool = new Pool({ maxWorkers: 2, maxQueue: 4, onError: (e, job) => errors.push([e, job]) });
    const done = deferred<string>();
    pool.go(() => done.resolve("ran"));
    expect(await done.promise).toBe("ran");
    const boom = new Error("boom");
    pool.go(async () => {
      throw boom;
    });
    await settle();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.[0]).toBe(boom);
    expect(errors[0]?.[1]).toMatchObject({ id: 2, kind: "go" });
    expect(JSON.stringify(errors[0]?.[1])).toBe('{"id":2,"kind":"go"}');
    expect(inspect(errors[0]?.[1])).toBe("Job { id: 2, kind: 'go' }");
    expect(pool.metrics()).toMatchObject({ failed: 1, succeeded: 1 });
    await pool.stop();
    expect(() => pool.go(() => 1)).toThrow(PoolStoppedError);
  });

  it("without onError, the error is rethrown as an uncaught exception on a microtask (never lost)", async () => {
    const boom = new Error("lost?");
    const thrown = await captureRethrows(async () => {
      const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
      pool.go(() => {
        throw boom;
      });
      await pool.stopAndWait();
    });
    expect(thrown).toEqual([boom]);
  });

  it("an onError hook that throws has its own error rethrown; the pool carries on", async () => {
    const hookError = new Error("bad hook");
    let pool!: Pool;
    const thrown = await captureRethrows(async () => {
      pool = new Pool({ maxWorkers: 1, maxQueue: 1, onError: () => { throw hookError; } });
      pool.go(() => {
        throw new Error("job");
      });
      expect(await pool.submit(() => "alive")).toBe("alive");
      await pool.stop();
    });
    expect(thrown).toEqual([hookError]);
  });

  it("in a real process, an unhandled go() error ends the process with the error, like a Go panic", () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    const fixture = fileURLToPath(new URL("./fixtures/go-panic.ts", import.meta.url));
    // tsx (a dependency of the bench package) runs the fixture on the sources,
    // through the workspace tsconfig's paths.
    const tsx = join(dirname(createRequire(join(root, "packages/bench/package.json")).resolve("tsx/package.json")), "dist/cli.mjs");
    const r = spawnSync(process.execPath, [tsx, "--tsconfig", join(root, "tsconfig.json"), fixture], {
      cwd: root,
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Error: panic from a go() job");
    expect(r.stdout).toContain("submitted");
    expect(r.stdout).not.toContain("unreachable");
  });
});

describe("stop and stopAndWait", () => {
  it("stop drops waiting and queued jobs (PoolStoppedError), lets running ones finish, resolves after them", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
    const a = gate();
    const b = gate();
    const running = [pool.submit(a.job), pool.submit(b.job)];
    const waiting = [1, 2, 3, 4].map((i) => observe(pool.submit(() => i)));
    expect(pool.metrics()).toMatchObject({ running: 2, queued: 2, blockedSubmitters: 2 });
    const stopped = observe(pool.stop());
    expect(pool.stopped).toBe(true);
    expect(pool.metrics()).toMatchObject({ running: 2, queued: 0, blockedSubmitters: 0, dropped: 4 });
    await turn();
    for (const w of waiting) {
      expect(w.current.state).toBe("rejected");
      expect((w.current as { reason: unknown }).reason).toBeInstanceOf(PoolStoppedError);
    }
    expect(stopped.current.state).toBe("pending");
    a.release();
    await settle();
    expect(stopped.current.state).toBe("pending");
    b.release();
    await Promise.all(running);
    await settle();
    expect(stopped.current.state).toBe("fulfilled");
    expect(pool.stop()).toBe(pool.stop()); // idempotent: the same promise
    await expect(pool.submit(() => 1)).rejects.toBeInstanceOf(PoolStoppedError);
    const m = pool.metrics();
    expect(balanced(m)).toBe(true);
    expect([m.running, m.idle, m.succeeded, m.dropped]).toEqual([0, 0, 2, 4]);
  });

  it("stopAndWait drains everything accepted, blocked submitters included", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
    const ran: number[] = [];
    const all = [];
    for (let i = 0; i < 12; i++) all.push(pool.submit(async () => { await turn(); ran.push(i); }));
    const drained = pool.stopAndWait();
    expect(pool.stopAndWait()).toBe(drained);
    await expect(pool.submit(() => 1)).rejects.toBeInstanceOf(PoolStoppedError);
    await drained;
    expect(ran.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    await Promise.all(all);
    const m = pool.metrics();
    expect([m.running, m.idle, m.queued, m.succeeded]).toEqual([0, 0, 0, 12]);
  });

  it("a stop during a drain drops what is still waiting", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const g = gate();
    void pool.submit(g.job);
    const queued = observe(pool.submit(() => "queued"));
    const blocked = observe(pool.submit(() => "blocked"));
    const drained = observe(pool.stopAndWait());
    const stopped = pool.stop();
    await turn();
    expect(queued.current.state).toBe("rejected");
    expect(blocked.current.state).toBe("rejected");
    g.release();
    await stopped;
    await turn();
    expect(drained.current.state).toBe("fulfilled");
  });

  it("a pool that never ran a job stops at once; stopping twice is fine", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    await pool.stopAndWait();
    await pool.stop();
    await pool.stopAndWait();
    expect(pool.metrics()).toMatchObject({ submitted: 0, running: 0, idle: 0 });
  });

  it("leaves no timer behind: idle timers and job timeouts are cleared", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const pool = new Pool({ maxWorkers: 4, maxQueue: 10, idleTimeout: 60_000 });
    const g = gate();
    const slow = pool.submit(g.job, { timeout: 60_000 });
    await Promise.all([1, 2, 3].map((i) => pool.submit(() => i, { timeout: 1000 })));
    await settle();
    expect(pool.metrics()).toMatchObject({ running: 1, idle: 3 });
    expect(vi.getTimerCount()).toBe(4); // three idle timers and the slow job's timeout
    const stopped = pool.stop();
    expect(vi.getTimerCount()).toBe(1); // idle workers retired at once
    g.release();
    await slow;
    await stopped;
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("resize", () => {
  it("growing starts workers for queued jobs at once, which admits blocked submitters at once", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 2 });
    const gates = [gate(), gate(), gate(), gate()];
    const all = gates.map((g) => pool.submit(g.job));
    const group = pool.group();
    const admitted = observe(group.submit(() => "group job"));
    expect(pool.metrics()).toMatchObject({ running: 1, queued: 2, blockedSubmitters: 2 });
    pool.resize(3);
    expect(pool.metrics()).toMatchObject({ maxWorkers: 3, running: 3, queued: 2, blockedSubmitters: 0 });
    await turn();
    expect(admitted.current.state).toBe("fulfilled");
    for (const g of gates) g.release();
    await Promise.all(all);
    expect(await group.wait()).toEqual(["group job"]);
    await pool.stop();
  });

  it("shrinking retires idle workers at once and busy ones as they finish; no job starts over the limit", async () => {
    const pool = new Pool({ maxWorkers: 4, maxQueue: 10 });
    const gates = [gate(), gate(), gate()];
    const busy = gates.map((g) => pool.submit(g.job));
    await pool.submit(() => "warm a fourth worker");
    await settle();
    expect(pool.metrics()).toMatchObject({ running: 3, idle: 1 });
    let starts = 0;
    const runningAtStart: number[] = [];
    const later = [1, 2, 3].map(() =>
      pool.submit(() => {
        starts++;
        runningAtStart.push(pool.metrics().running);
      }),
    );
    expect(pool.metrics()).toMatchObject({ running: 4, idle: 0, queued: 2 });
    pool.resize(1);
    expect(pool.metrics().maxWorkers).toBe(1);
    await settle();
    // The job handed to the idle worker before the shrink still runs (with 4 running).
    expect(runningAtStart).toEqual([4]);
    gates[0]?.release();
    await settle();
    expect(starts).toBe(1); // 3 still running > 1: nothing new starts
    gates[1]?.release();
    gates[2]?.release();
    await Promise.all([...busy, ...later]);
    expect(starts).toBe(3);
    // The two dispatched after the shrink started only once one worker was left.
    expect(runningAtStart).toEqual([4, 1, 1]);
    await settle();
    expect(pool.metrics()).toMatchObject({ running: 0, idle: 1 });
    await pool.stop();
  });
});

describe("idleTimeout", () => {
  it("an idle worker exits after idleTimeout and is started again on demand", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2, idleTimeout: 500 });
    await Promise.all([pool.submit(() => 1), pool.submit(() => 2)]);
    await settle();
    expect(pool.metrics().idle).toBe(2);
    vi.advanceTimersByTime(499);
    expect(pool.metrics().idle).toBe(2);
    vi.advanceTimersByTime(1);
    expect(pool.metrics().idle).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(await pool.submit(() => "again")).toBe("again");
    await settle();
    expect(pool.metrics().idle).toBe(1);
    await pool.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("metrics and events", () => {
  it("emits start and end per job, end exactly once per submitted job, with the outcome", async () => {
    const events: string[] = [];
    const pool = new Pool({
      maxWorkers: 1,
      maxQueue: 1,
      onError: () => undefined,
      onEvent: (e: PoolEvent) => {
        events.push(e.type === "start" ? `start ${e.job.id}` : `end ${e.job.id} ${e.outcome}${e.started ? "" : " (never ran)"}`);
      },
    });
    const g = gate();
    const first = pool.submit(g.job);
    const ac = new AbortController();
    const cancelled = pool.submit(() => 2, { signal: ac.signal }).catch(() => "c");
    expect(() => pool.trySubmit(() => 3)).toThrow(QueueFullError);
    ac.abort();
    pool.go(() => {
      throw new Error("x");
    });
    const dropped = pool.submit(() => 5).catch(() => "d");
    // Job 1 met a free worker and started inside its submit; the refusal and
    // the cancellation are reported synchronously.
    expect(events).toEqual(["start 1", "end 3 dropped (never ran)", "end 2 cancelled (never ran)"]);
    await turn();
    expect(events).toEqual(["start 1", "end 3 dropped (never ran)", "end 2 cancelled (never ran)"]);
    g.release();
    await first;
    await settle();
    const stopped = pool.stop();
    await Promise.all([cancelled, dropped, stopped]);
    expect(events).toEqual([
      "start 1",
      "end 3 dropped (never ran)",
      "end 2 cancelled (never ran)",
      "end 1 succeeded",
      "start 4",
      "end 4 failed",
      "start 5",
      "end 5 succeeded",
    ]);
    expect(pool.metrics()).toEqual({
      maxWorkers: 1,
      maxQueue: 1,
      running: 0,
      idle: 0,
      queued: 0,
      blockedSubmitters: 0,
      submitted: 5,
      succeeded: 2,
      failed: 1,
      cancelled: 1,
      dropped: 1,
      completed: 3,
    });
  });

  it("an onEvent hook that throws is rethrown, and the pool carries on", async () => {
    const hookError = new Error("exporter bug");
    const thrown = await captureRethrows(async () => {
      const pool = new Pool({
        maxWorkers: 1,
        maxQueue: 1,
        onEvent: (e) => {
          if (e.type === "start") throw hookError;
        },
      });
      expect(await pool.submit(() => "ok")).toBe("ok");
      await pool.stop();
    });
    expect(thrown).toEqual([hookError]);
  });

  it("any number of pools coexist, each with its own queue and counters (flaw 8)", async () => {
    const pools = [1, 2, 3].map((n) => new Pool({ maxWorkers: n, maxQueue: n }));
    await Promise.all(pools.flatMap((p, i) => Array.from({ length: i + 1 }, () => p.submit(() => i))));
    expect(pools.map((p) => p.metrics().succeeded)).toEqual([1, 2, 3]);
    await Promise.all(pools.map((p) => p.stop()));
  });
});

describe("the pool's signal", () => {
  it("aborting it stops the pool and aborts the running jobs' signals with its reason", async () => {
    const ac = new AbortController();
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2, signal: ac.signal });
    const seen: unknown[] = [];
    const returned = deferred();
    const job = async (signal: AbortSignal): Promise<void> => {
      signal.addEventListener("abort", () => seen.push(signal.reason));
      await returned.promise;
    };
    const running = [observe(pool.submit(job)), observe(pool.submit(job))];
    const queued = observe(pool.submit(() => 3));
    await turn();
    ac.abort("shutdown");
    expect(pool.stopped).toBe(true);
    expect(seen).toEqual(["shutdown", "shutdown"]);
    await turn();
    expect(running.map((r) => r.current)).toEqual([
      { state: "rejected", reason: "shutdown" },
      { state: "rejected", reason: "shutdown" },
    ]);
    expect((queued.current as { reason: unknown }).reason).toBeInstanceOf(PoolStoppedError);
    expect(pool.metrics().running).toBe(2);
    returned.resolve();
    await pool.stop();
    expect(pool.metrics()).toMatchObject({ running: 0, cancelled: 2, dropped: 1 });
    expect(balanced(pool.metrics())).toBe(true);
  });

  it("an already aborted signal makes a stopped pool", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1, signal: AbortSignal.abort() });
    expect(pool.stopped).toBe(true);
    await expect(pool.submit(() => 1)).rejects.toBeInstanceOf(PoolStoppedError);
    await pool.stop();
  });
});

describe("event-loop fairness (core's policy: yieldEvery, then the time slice)", () => {
  /** How many jobs of a busy run of trivial jobs start before a macrotask queued at submission runs. */
  async function startsBeforeAMacrotask(): Promise<number> {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1000 });
    let starts = 0;
    let seen = -1;
    setImmediate(() => {
      seen = starts;
    });
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) jobs.push(pool.submit(() => void starts++));
    await Promise.all(jobs);
    await pool.stop();
    return seen === -1 ? starts : seen;
  }

  it("yields a macrotask turn every yieldEvery starts once the time slice is over", async () => {
    const saved = getScheduling();
    configureScheduling({ yieldEvery: 16, timeSlice: 0 });
    try {
      const n = await startsBeforeAMacrotask();
      expect(n).toBeLessThanOrEqual(16);
    } finally {
      configureScheduling({ yieldEvery: saved.yieldEvery, timeSlice: saved.timeSlice });
    }
  });

  it("takes core's macrotask turns, counted in getScheduling().yields, not turns of its own", async () => {
    const saved = getScheduling();
    configureScheduling({ yieldEvery: 16, timeSlice: 0 });
    try {
      const before = getScheduling().yields;
      // 200 starts: a checkpoint every 16, each past core's spent budget.
      await startsBeforeAMacrotask();
      expect(getScheduling().yields - before).toBeGreaterThanOrEqual(12);
    } finally {
      configureScheduling({ yieldEvery: saved.yieldEvery, timeSlice: saved.timeSlice });
    }
  });

  it("yields on the idle path too: jobs submitted one at a time, each awaited", async () => {
    const saved = getScheduling();
    configureScheduling({ yieldEvery: 16, timeSlice: 0 });
    try {
      const pool = new Pool({ maxWorkers: 2, maxQueue: 4 });
      let starts = 0;
      let seen = -1;
      setImmediate(() => {
        seen = starts;
      });
      for (let i = 0; i < 200; i++) await pool.submit(() => void starts++);
      await pool.stop();
      expect(seen).toBeGreaterThanOrEqual(0);
      expect(seen).toBeLessThanOrEqual(16);
    } finally {
      configureScheduling({ yieldEvery: saved.yieldEvery, timeSlice: saved.timeSlice });
    }
  });

  it("jobs that start a microtask after their hand-off (group jobs) pass the same checkpoint", async () => {
    const saved = getScheduling();
    configureScheduling({ yieldEvery: 16, timeSlice: 0 });
    try {
      const pool = new Pool({ maxWorkers: 2, maxQueue: 4 });
      const group = pool.group();
      let starts = 0;
      let seen = -1;
      setImmediate(() => {
        seen = starts;
      });
      for (let i = 0; i < 200; i++) {
        await new Promise<void>((resolve) => {
          void group.submit(() => {
            starts++;
            resolve();
          });
        });
      }
      await group.wait();
      await pool.stop();
      expect(seen).toBeGreaterThanOrEqual(0);
      expect(seen).toBeLessThanOrEqual(16);
    } finally {
      configureScheduling({ yieldEvery: saved.yieldEvery, timeSlice: saved.timeSlice });
    }
  });

  it("does not yield while the time slice lasts, as core does not", async () => {
    const saved = getScheduling();
    configureScheduling({ yieldEvery: 16, timeSlice: 60_000 });
    try {
      await new Promise((resolve) => setImmediate(resolve));
      expect(await startsBeforeAMacrotask()).toBe(200);
    } finally {
      configureScheduling({ yieldEvery: saved.yieldEvery, timeSlice: saved.timeSlice });
    }
  });
});
