/**
 * pool.map and pool.mapStream: pull-based, order kept, bounded, and carrying
 * the pool's guarantees (cancellation, errors, stop, timeouts, metrics).
 * Everything here counts things (items taken, jobs live, return() calls),
 * never time.
 */
import { describe, expect, it } from "vitest";
import { JobTimeoutError, Pool, PoolStoppedError, type PoolEvent } from "@gochan/pool";
import { balanced, deferred, observe, settle, turn } from "./helpers.js";

/** An endless source that counts what it gave and whether it was closed. */
function counted(limit = Infinity): { source: Iterable<number>; taken: () => number; closed: () => number } {
  let taken = 0;
  let closed = 0;
  return {
    source: {
      [Symbol.iterator]: () => ({
        next: (): IteratorResult<number> => (taken < limit ? { done: false, value: taken++ } : { done: true, value: undefined }),
        return: (): IteratorResult<number> => {
          closed++;
          return { done: true, value: undefined };
        },
      }),
    },
    taken: () => taken,
    closed: () => closed,
  };
}

describe("pool.map", () => {
  it("returns results in input order whatever the completion order", async () => {
    const pool = new Pool({ maxWorkers: 3, maxQueue: 10 });
    const gates = [deferred(), deferred(), deferred(), deferred(), deferred()];
    const p = pool.map([0, 1, 2, 3, 4], async (x) => {
      await gates[x]!.promise;
      return x * 10;
    });
    for (const i of [2, 0, 4, 1, 3]) {
      gates[i]!.resolve();
      await turn();
    }
    expect(await p).toEqual([0, 10, 20, 30, 40]);
    expect(balanced(pool.metrics())).toBe(true);
    expect(pool.metrics().succeeded).toBe(5);
  });

  it("keeps input order across thousands of items finishing out of order, from an array or a generator", async () => {
    const pool = new Pool({ maxWorkers: 64, maxQueue: 64 });
    const n = 2500;
    const expected = Array.from({ length: n }, (_, i) => 2 * i);
    const fn = async (x: number): Promise<number> => {
      for (let t = 0; t < (n - x) % 7; t++) await turn();
      return 2 * x;
    };
    function* numbers(): Generator<number> {
      for (let i = 0; i < n; i++) yield i;
    }
    const fromArray = await pool.map(Array.from({ length: n }, (_, i) => i), fn);
    expect(fromArray).toEqual(expected);
    expect(Object.keys(fromArray).length).toBe(n); // no holes
    const fromGenerator = await pool.map(numbers(), fn);
    expect(fromGenerator).toEqual(expected);
    expect(Object.keys(fromGenerator).length).toBe(n);
    expect(balanced(pool.metrics())).toBe(true);
  });

  it("an array that grows or shrinks while it is mapped: one result per item taken, as for...of takes them", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
    const growing = [0, 1, 2];
    const grown = await pool.map(growing, (x) => {
      if (growing.length < 6) growing.push(growing.length);
      return x * 10;
    });
    expect(grown).toEqual([0, 10, 20, 30, 40, 50]);
    const shrinking = [0, 1, 2, 3, 4, 5];
    const shrunk = await pool.map(shrinking, (x) => {
      shrinking.length = 3;
      return x * 10;
    });
    // The iterator took 0 and 1 before the first job ran (2 workers), then stops at the new length.
    expect(shrunk).toEqual([0, 10, 20]);
    expect(shrunk.length).toBe(3);
  });

  it("maps an empty input to [] and passes item, index and a signal", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
    expect(await pool.map([], (x: number) => x)).toEqual([]);
    const seen: [string, number, boolean][] = [];
    await pool.map(["a", "b"], (s, i, signal) => {
      seen.push([s, i, signal instanceof AbortSignal]);
    });
    expect(seen).toEqual([
      ["a", 0, true],
      ["b", 1, true],
    ]);
  });

  it("takes an item only when a job settled: never more than concurrency jobs alive, for an endless source", async () => {
    const pool = new Pool({ maxWorkers: 8, maxQueue: 100 });
    const src = counted();
    let alive = 0;
    let maxAlive = 0;
    const ac = new AbortController();
    const p = observe(
      pool.map(
        src.source,
        async (x) => {
          alive++;
          maxAlive = Math.max(maxAlive, alive);
          await turn();
          alive--;
          if (x === 1000) ac.abort(new Error("enough"));
          return x;
        },
        { concurrency: 3, signal: ac.signal },
      ),
    );
    expect(src.taken()).toBe(3); // the first window, taken at once
    expect(pool.metrics().queued + pool.metrics().running).toBe(3);
    await settle(2000);
    expect(p.current).toEqual({ state: "rejected", reason: new Error("enough") });
    expect(maxAlive).toBe(3);
    // 1001 items ran to 1000; at most the two others of the window were taken besides.
    expect(src.taken()).toBeLessThanOrEqual(1003);
    expect(src.closed()).toBe(1);
    await settle();
    expect(pool.metrics().running).toBe(0);
    expect(balanced(pool.metrics())).toBe(true);
  });

  it("reads an async iterable one next() at a time", async () => {
    const pool = new Pool({ maxWorkers: 4, maxQueue: 4 });
    let pending = 0;
    let maxPending = 0;
    async function* gen(): AsyncGenerator<number> {
      for (let i = 0; i < 20; i++) {
        pending++;
        maxPending = Math.max(maxPending, pending);
        await turn();
        pending--;
        yield i;
      }
    }
    expect(await pool.map(gen(), (x) => x + 1)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(maxPending).toBe(1);
  });

  it("never starves a submitter: a job submitted while the map runs starts before the map's next item", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 10 });
    const started: string[] = [];
    const first = deferred();
    let submitted: Promise<void> | null = null;
    const p = pool.map([0, 1, 2], async (x) => {
      started.push(`item ${x}`);
      if (x === 0) await first.promise;
    });
    await turn();
    submitted = pool.submit(() => void started.push("submitted"));
    first.resolve();
    await p;
    await submitted;
    expect(started).toEqual(["item 0", "submitted", "item 1", "item 2"]);
  });

  it("shares the pool's worker limit with other submitters", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 10 });
    const hold = deferred();
    const other = pool.submit(() => hold.promise);
    let running = 0;
    let maxRunning = 0;
    const p = pool.map(
      [1, 2, 3, 4, 5, 6],
      async (x) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await turn();
        running--;
        return x;
      },
      { concurrency: 4 },
    );
    await settle(20);
    expect(pool.metrics().running).toBeLessThanOrEqual(2);
    hold.resolve();
    expect(await p).toEqual([1, 2, 3, 4, 5, 6]);
    await other;
    expect(maxRunning).toBe(1); // the other job held one of the two workers throughout
  });

  it("counts its jobs in metrics and events like other jobs", async () => {
    const events: PoolEvent[] = [];
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2, onEvent: (e) => events.push(e) });
    await pool.map([1, 2, 3], (x) => x);
    const m = pool.metrics();
    expect([m.submitted, m.succeeded, m.completed]).toEqual([3, 3, 3]);
    expect(events.filter((e) => e.type === "start").length).toBe(3);
    expect(events.filter((e) => e.type === "end" && e.outcome === "succeeded").length).toBe(3);
    expect(events.every((e) => e.job.kind === "group")).toBe(true);
  });

  it("handles sync throws, rejections and thenables from fn", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
    const thenable = (v: number): PromiseLike<number> => ({
      then: (ok) => Promise.resolve(ok?.(v)) as never,
    });
    expect(await pool.map([1, 2], (x) => thenable(x * 5))).toEqual([5, 10]);
    await expect(
      pool.map([1, 2], (x) => {
        if (x === 2) throw new RangeError("sync");
        return x;
      }),
    ).rejects.toThrow(new RangeError("sync"));
    await expect(pool.map([1], () => Promise.reject(new Error("async")))).rejects.toThrow("async");
  });

  it("first error: rejects, stops taking items, closes the source, cancels the other jobs", async () => {
    const pool = new Pool({ maxWorkers: 4, maxQueue: 4 });
    const src = counted();
    const aborted: number[] = [];
    const never = new Promise<never>(() => {});
    const p = pool.map(
      src.source,
      async (x, _i, signal) => {
        if (x === 2) throw new Error("two");
        signal.addEventListener("abort", () => aborted.push(x));
        return never; // runs until cancelled
      },
      { concurrency: 3 },
    );
    await expect(p).rejects.toThrow("two");
    expect(src.taken()).toBe(3);
    expect(src.closed()).toBe(1);
    expect(aborted.sort()).toEqual([0, 1]);
    const m = pool.metrics();
    expect([m.failed, m.cancelled]).toEqual([1, 2]);
  });

  it("stopOnError: false runs every item and rejects with an AggregateError in input order", async () => {
    const pool = new Pool({ maxWorkers: 3, maxQueue: 3 });
    const src = counted(6);
    const ran: number[] = [];
    const p = pool.map(
      src.source,
      async (x) => {
        ran.push(x);
        await new Promise((r) => setTimeout(r, (6 - x) % 3)); // later items may fail first
        if (x % 2 === 1) throw new Error(`odd ${x}`);
        return x;
      },
      { stopOnError: false },
    );
    const e = await p.then(
      () => null,
      (error: unknown) => error,
    );
    expect(e).toBeInstanceOf(AggregateError);
    expect((e as AggregateError).errors.map((x: Error) => x.message)).toEqual(["odd 1", "odd 3", "odd 5"]);
    expect(ran.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(src.closed()).toBe(0); // exhausted, not closed
  });

  it("an iterator whose next() throws or rejects fails the map without return()", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
    let closed = 0;
    let n = 0;
    const throwing: Iterable<number> = {
      [Symbol.iterator]: () => ({
        next: () => {
          if (n++ === 3) throw new Error("next threw");
          return { done: false, value: n };
        },
        return: () => {
          closed++;
          return { done: true, value: undefined };
        },
      }),
    };
    await expect(pool.map(throwing, (x) => x, { stopOnError: false })).rejects.toThrow("next threw");
    const rejecting: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.reject(new Error("next rejected")),
        return: () => {
          closed++;
          return Promise.resolve({ done: true, value: undefined });
        },
      }),
    };
    await expect(pool.map(rejecting, (x) => x)).rejects.toThrow("next rejected");
    expect(closed).toBe(0);
    const bad = { [Symbol.iterator]: () => ({ next: () => 42 }) } as unknown as Iterable<number>;
    await expect(pool.map(bad, (x) => x)).rejects.toThrow(/returned 42 \(number\) from next\(\)/);
  });

  it("options.signal: rejects with its reason, closes the source, starts no job after the abort", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 10 });
    const src = counted();
    const ac = new AbortController();
    const started: number[] = [];
    const gate = deferred();
    const p = pool.map(
      src.source,
      async (x) => {
        started.push(x);
        await gate.promise;
        return x;
      },
      { concurrency: 5, signal: ac.signal },
    );
    await settle();
    expect(started).toEqual([0, 1]); // 2 workers; 3 more jobs queued
    ac.abort(new Error("client gone"));
    await expect(p).rejects.toThrow("client gone");
    gate.resolve();
    await settle();
    expect(started).toEqual([0, 1]);
    expect(src.closed()).toBe(1);
    const m = pool.metrics();
    expect([m.cancelled, m.running, m.queued]).toEqual([5, 0, 0]);
    // An already aborted signal: nothing is taken.
    const src2 = counted();
    await expect(pool.map(src2.source, (x) => x, { signal: AbortSignal.abort(new Error("early")) })).rejects.toThrow(
      "early",
    );
    expect(src2.taken()).toBe(0);
  });

  it("pool.stop(): rejects with PoolStoppedError and closes the source, even while an async next() is pending", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
    let closed = 0;
    const stuck: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<number>>(() => {}),
        return: () => {
          closed++;
          return Promise.resolve({ done: true, value: undefined });
        },
      }),
    };
    const p = observe(pool.map(stuck, (x) => x));
    await settle();
    expect(p.current.state).toBe("pending");
    await pool.stop();
    await turn();
    expect(p.current.state).toBe("rejected");
    expect((p.current as { reason: unknown }).reason).toBeInstanceOf(PoolStoppedError);
    expect(closed).toBe(1);
    await expect(pool.map([1], (x) => x)).rejects.toBeInstanceOf(PoolStoppedError);
  });

  it("stopAndWait(): the map's accepted jobs still run, the map rejects, no further item is taken", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
    const src = counted();
    const ran: number[] = [];
    const p = pool.map(src.source, async (x) => void ran.push(x), { concurrency: 2 });
    const drained = pool.stopAndWait();
    await expect(p).rejects.toBeInstanceOf(PoolStoppedError);
    await drained;
    expect(ran).toEqual([0, 1]);
    expect(src.taken()).toBe(2);
    expect(src.closed()).toBe(1);
  });

  it("after a drain ended the map, its signal still cancels its jobs left in the pool", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
    const ac = new AbortController();
    const started: number[] = [];
    const p = pool.map(
      [0, 1, 2],
      async (x) => {
        started.push(x);
        await turn();
      },
      { concurrency: 3, signal: ac.signal },
    );
    const drained = pool.stopAndWait(); // the map ends; its jobs, accepted, would run
    ac.abort(new Error("cancel"));
    await expect(p).rejects.toBeInstanceOf(PoolStoppedError);
    await drained;
    expect(started).toEqual([]);
    expect(pool.metrics().cancelled).toBe(3);
  });

  it("the pool's signal ends the map", async () => {
    const ac = new AbortController();
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2, signal: ac.signal });
    const src = counted();
    const p = pool.map(src.source, (_x, _i, signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))));
    await settle();
    ac.abort(new Error("shutdown"));
    await expect(p).rejects.toBeInstanceOf(PoolStoppedError);
    expect(src.closed()).toBe(1);
    await pool.stop();
    expect(balanced(pool.metrics())).toBe(true);
  });

  it("timeout: a job that exceeds it fails the map with JobTimeoutError", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
    const p = pool.map([1, 2], (x, _i, signal) => (x === 2 ? new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))) : x), {
      timeout: 1,
    });
    await expect(p).rejects.toBeInstanceOf(JobTimeoutError);
    expect(pool.metrics().failed).toBe(1);
  });

  it("re-entrant fn: maps inside a map, and stop() from a job", async () => {
    const pool = new Pool({ maxWorkers: 4, maxQueue: 8 });
    // Inner maps need free workers: concurrency 2 of 4 leaves them two.
    const nested = await pool.map([1, 2, 3], (x) => pool.map([x, x], (y) => y * 10, { concurrency: 1 }), { concurrency: 2 });
    expect(nested).toEqual([
      [10, 10],
      [20, 20],
      [30, 30],
    ]);
    const src = counted();
    const p = pool.map(src.source, (x) => {
      if (x === 5) void pool.stop();
      return x;
    });
    await expect(p).rejects.toBeInstanceOf(PoolStoppedError);
    expect(src.closed()).toBe(1);
  });

  it("a thenable whose then() stops the pool: the map rejects once, nothing is left running", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
    const src = counted();
    let thens = 0;
    const thenable = (x: number): PromiseLike<number> =>
      ({
        then(ok: (v: number) => void): void {
          thens++;
          if (x === 3) void pool.stop();
          ok(x);
        },
      }) as unknown as PromiseLike<number>;
    const p = pool.map(src.source, thenable);
    await expect(p).rejects.toBeInstanceOf(PoolStoppedError);
    await pool.stop();
    expect(src.closed()).toBe(1);
    expect(thens).toBe(src.taken());
    const m = pool.metrics();
    expect(m.running + m.queued).toBe(0);
    expect(balanced(m)).toBe(true);
  });

  it("a sync next() that stops the pool: return() waits until next() has returned", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
    let closed = 0;
    function* gen(): Generator<number> {
      try {
        for (let i = 0; ; i++) {
          if (i === 3) void pool.stop(); // return() now would throw "generator is already running"
          yield i;
        }
      } finally {
        closed++;
      }
    }
    await expect(pool.map(gen(), (x) => x)).rejects.toBeInstanceOf(PoolStoppedError);
    expect(closed).toBe(1);
  });

  it("rejects bad arguments with errors that name the value", () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
    expect(() => pool.map(42 as unknown as number[], (x) => x)).toThrow(
      new TypeError("map: input must be an iterable or an async iterable, got 42 (number)"),
    );
    expect(() => pool.map([1], "f" as unknown as () => number)).toThrow(/fn must be a function, got "f" \(string\)/);
    expect(() => pool.map([1], (x) => x, { concurrency: 0 })).toThrow(RangeError);
    expect(() => pool.map([1], (x) => x, { concurrency: "4" as unknown as number })).toThrow(/"4" \(string\)/);
    expect(() => pool.map([1], (x) => x, { stopOnError: 1 as unknown as boolean })).toThrow(TypeError);
    expect(() => pool.mapStream([1], (x) => x, { lookahead: 1.5 })).toThrow(/lookahead must be an integer/);
  });
});

describe("pool.mapStream", () => {
  it("yields in input order as soon as each next result is done", async () => {
    const pool = new Pool({ maxWorkers: 3, maxQueue: 3 });
    const gates = [deferred(), deferred(), deferred()];
    const stream = pool.mapStream([0, 1, 2], async (x) => {
      await gates[x]!.promise;
      return x;
    });
    const first = observe(stream.next());
    await settle();
    gates[1]!.resolve();
    await settle();
    expect(first.current.state).toBe("pending"); // 1 is done, 0 is not
    gates[0]!.resolve();
    await settle();
    expect(first.current).toEqual({ state: "fulfilled", value: { done: false, value: 0 } });
    expect(await stream.next()).toEqual({ done: false, value: 1 });
    gates[2]!.resolve();
    expect(await stream.next()).toEqual({ done: false, value: 2 });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it("starts nothing before the first next(), and runs at most lookahead items ahead of a reader that stopped", async () => {
    const pool = new Pool({ maxWorkers: 8, maxQueue: 8 });
    const src = counted();
    const stream = pool.mapStream(src.source, (x) => x, { concurrency: 2, lookahead: 5 });
    await settle();
    expect(src.taken()).toBe(0);
    expect(await stream.next()).toEqual({ done: false, value: 0 });
    await settle();
    expect(src.taken()).toBe(6); // 0 yielded, 1..5 done and waiting
    expect(await stream.next()).toEqual({ done: false, value: 1 });
    await settle();
    expect(src.taken()).toBe(7);
    await stream.return();
    expect(src.closed()).toBe(1);
  });

  it("break on an endless source: the source is closed, running jobs are cancelled, memory stays bounded", async () => {
    const pool = new Pool({ maxWorkers: 4, maxQueue: 4 });
    const src = counted();
    let alive = 0;
    let maxAlive = 0;
    const out: number[] = [];
    for await (const v of pool.mapStream(
      src.source,
      async (x) => {
        alive++;
        maxAlive = Math.max(maxAlive, alive);
        await turn();
        alive--;
        return x;
      },
      { concurrency: 4 },
    )) {
      out.push(v);
      if (out.length === 500) break;
    }
    expect(out).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(src.closed()).toBe(1);
    expect(maxAlive).toBeLessThanOrEqual(4);
    expect(src.taken() - 500).toBeLessThanOrEqual(8); // the lookahead, no more
    await settle();
    const m = pool.metrics();
    expect(m.running + m.queued).toBe(0);
    expect(balanced(m)).toBe(true);
  });

  it("errors: results done before the first error come first; collecting yields every success then an AggregateError", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
    const failing = (x: number): number => {
      if (x === 2 || x === 4) throw new Error(`bad ${x}`);
      return x;
    };
    const got: unknown[] = [];
    try {
      for await (const v of pool.mapStream([0, 1, 2, 3, 4, 5], failing, { concurrency: 1 })) got.push(v);
    } catch (e) {
      got.push((e as Error).message);
    }
    expect(got).toEqual([0, 1, "bad 2"]);
    const all: unknown[] = [];
    try {
      for await (const v of pool.mapStream([0, 1, 2, 3, 4, 5], failing, { stopOnError: false })) all.push(v);
    } catch (e) {
      all.push((e as AggregateError).errors.map((x: Error) => x.message));
    }
    expect(all).toEqual([0, 1, 3, 5, ["bad 2", "bad 4"]]);
  });

  it("a huge concurrency or lookahead allocates nothing up front", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2 });
    const out: number[] = [];
    for await (const v of pool.mapStream([1, 2, 3], (x) => x, { concurrency: 2 ** 30, lookahead: 2 ** 31 - 1 })) out.push(v);
    expect(out).toEqual([1, 2, 3]);
  });

  it("reads done as for...of does (any truthy value ends the source)", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    let n = 0;
    const src = { [Symbol.iterator]: () => ({ next: () => (n++ < 2 ? { done: 0, value: n } : { done: 1, value: -1 }) }) };
    expect(await pool.map(src as unknown as Iterable<number>, (x) => x)).toEqual([1, 2]);
  });

  it("after it ended, next() is done and return() is harmless", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const stream = pool.mapStream([1], () => {
      throw new Error("x");
    });
    await expect(stream.next()).rejects.toThrow("x");
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(await stream.return()).toEqual({ done: true, value: undefined });
    const unread = pool.mapStream([1], (x) => x);
    expect(await unread.return()).toEqual({ done: true, value: undefined });
    expect(await unread.next()).toEqual({ done: true, value: undefined });
    expect(pool.metrics().submitted).toBe(1);
  });

  it("return() reports the source's return() error", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const src: Iterable<number> = {
      [Symbol.iterator]: () => ({
        next: () => ({ done: false, value: 1 }),
        return: () => {
          throw new Error("return failed");
        },
      }),
    };
    const stream = pool.mapStream(src, (x) => x);
    await stream.next();
    await expect(stream.return()).rejects.toThrow("return failed");
  });
});
