import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  Canceled,
  Chan,
  ChanError,
  ErrGroup,
  ErrGroupLimitError,
  after,
  background,
  recv,
  select,
  withCancel,
  withContext,
} from "@gochan/core";
import { macrotask, stateOf } from "./helpers.js";

/** Whether `p` has settled, checked after letting queued work run. */
const isSettled = async (p: Promise<unknown>): Promise<boolean> => (await stateOf(p)) !== "pending";

describe("ErrGroup", () => {
  it("wait() resolves undefined once every task has finished", async () => {
    const g = new ErrGroup();
    const gate = new Chan<void>();
    let finished = 0;
    for (let i = 0; i < 3; i++) {
      void g.go(async () => {
        await gate.recv();
        finished++;
      });
    }
    const w = g.wait();
    await gate.send();
    await gate.send();
    expect(await isSettled(w)).toBe(false);
    await gate.send();
    expect(await w).toBeUndefined();
    expect(finished).toBe(3);
  });

  it("wait() returns the first error, but only after the other tasks have finished too", async () => {
    const g = new ErrGroup();
    const gate = new Chan<void>();
    const first = new Error("first");
    void g.go(() => {
      throw first; // synchronous throw counts
    });
    void g.go(async () => {
      await gate.recv();
      throw new Error("second");
    });
    const w = g.wait();
    expect(await isSettled(w)).toBe(false);
    await gate.send();
    expect(await w).toBe(first);
  });

  it("a task that throws undefined still counts as failed", async () => {
    const g = new ErrGroup();
    void g.go(() => Promise.reject(undefined));
    const err = await g.wait();
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe("errgroup: a task failed with undefined");
  });

  it("go() runs the task later, never inside go()", async () => {
    const g = new ErrGroup();
    const order: string[] = [];
    void g.go(() => {
      order.push("task");
    });
    order.push("caller");
    await g.wait();
    expect(order).toEqual(["caller", "task"]);
  });

  it("setLimit(n): at most n tasks run; go() resolves when its task starts; tryGo() refuses at the limit", async () => {
    const g = new ErrGroup();
    g.setLimit(2);
    const gates = [new Chan<void>(), new Chan<void>(), new Chan<void>()];
    let running = 0;
    const task = (k: number) => async (): Promise<void> => {
      running++;
      await (gates[k] as Chan<void>).recv();
      running--;
    };
    const started = [g.go(task(0)), g.go(task(1)), g.go(task(2))];
    expect(await isSettled(started[0] as Promise<void>)).toBe(true);
    expect(await isSettled(started[1] as Promise<void>)).toBe(true);
    expect(await isSettled(started[2] as Promise<void>)).toBe(false);
    expect(running).toBe(2);
    expect(g.tryGo(async () => {})).toBe(false);
    await (gates[0] as Chan<void>).send();
    await started[2];
    await macrotask();
    expect(running).toBe(2);
    await (gates[1] as Chan<void>).send();
    await (gates[2] as Chan<void>).send();
    expect(await g.wait()).toBeUndefined();
    expect(g.tryGo(async () => {})).toBe(true);
    await g.wait();
  });

  it("a queued task counts toward wait() even if go()'s promise was not awaited", async () => {
    const g = new ErrGroup();
    g.setLimit(1);
    const ran: number[] = [];
    for (let i = 0; i < 4; i++) {
      void g.go(async () => {
        await macrotask();
        ran.push(i);
      });
    }
    await g.wait();
    expect(ran).toEqual([0, 1, 2, 3]);
  });

  it("setLimit accepts any integer, as Go accepts any int: one above 2^31-1 can never be reached (issue 12 item 7)", async () => {
    for (const n of [2 ** 31, 2 ** 53, 2 ** 62]) {
      const g = new ErrGroup();
      g.setLimit(n);
      const gate = new Chan<void>();
      for (let i = 0; i < 3; i++) expect(g.tryGo(() => gate.recv())).toBe(true);
      gate.close();
      expect(await g.wait()).toBeUndefined();
    }
    const g = new ErrGroup();
    g.setLimit(2 ** 31 - 1); // the largest limit a channel can hold still works as a limit
    expect(g.tryGo(async () => {})).toBe(true);
    await g.wait();
    expect(() => g.setLimit(Infinity)).toThrow(/n must be an integer, got Infinity/);
  });

  it("setLimit while tasks are active throws Go's panic; bad limits are named", async () => {
    const g = new ErrGroup();
    const gate = new Chan<void>();
    void g.go(() => gate.recv());
    expect(() => g.setLimit(3)).toThrow(ErrGroupLimitError);
    expect(() => g.setLimit(3)).toThrow("errgroup: modify limit while 1 goroutines in the group are still active");
    expect(() => g.setLimit(3)).toThrow(ChanError);
    await gate.send();
    await g.wait();
    expect(() => g.setLimit(1.5)).toThrow(RangeError);
    expect(() => g.setLimit(1.5)).toThrow(/n must be an integer, got 1.5/);
    expect(() => g.setLimit("2" as unknown as number)).toThrow(/got "2" \(string\)/);
    g.setLimit(-1); // no limit
    expect(g.tryGo(async () => {})).toBe(true);
    expect(g.tryGo(async () => {})).toBe(true);
    await g.wait();
    expect(() => g.go(1 as unknown as () => void)).toThrow(/ErrGroup.go: expected a function, got 1/);
    expect(() => g.tryGo(1 as unknown as () => void)).toThrow(TypeError);
  });

  it("setLimit(0): no task can start, as in Go", async () => {
    const g = new ErrGroup();
    g.setLimit(0);
    expect(g.tryGo(async () => {})).toBe(false);
    expect(await g.wait()).toBeUndefined(); // tryGo did not count the refused task
  });

  it("for any task durations, failures and limit: the limit holds, every task runs once, wait() gives the first failure", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ steps: fc.integer({ min: 0, max: 3 }), fails: fc.boolean() }), { minLength: 1, maxLength: 8 }),
        async (s, limit, tasks) => {
          const g = new ErrGroup();
          g.setLimit(limit);
          let running = 0;
          let maxRunning = 0;
          const ran: number[] = [];
          const failures: Error[] = [];
          const starting = tasks.map((t, i) =>
            g.go(async () => {
              running++;
              maxRunning = Math.max(maxRunning, running);
              for (let k = 0; k < t.steps; k++) await s.schedule(Promise.resolve(k));
              running--;
              ran.push(i);
              if (t.fails) {
                const e = new Error(`task ${i}`);
                failures.push(e);
                throw e;
              }
            }),
          );
          const result = await s.waitFor(g.wait());
          await Promise.all(starting);
          expect(maxRunning).toBeLessThanOrEqual(limit);
          expect([...ran].sort((a, b) => a - b)).toEqual(tasks.map((_, i) => i));
          expect(result).toBe(failures[0]);
        },
      ),
      { numRuns: 100, seed: 99 },
    );
  });
});

describe("withContext", () => {
  it("the first error cancels the group's context, with the error as its cause", async () => {
    const { group, ctx } = withContext(background());
    const boom = new Error("replica down");
    let sawCancel = false;
    void group.go(async () => {
      const r = await select([recv(ctx.done()), recv(new Chan<void>())]);
      sawCancel = r.index === 0;
    });
    void group.go(async () => {
      throw boom;
    });
    expect(await group.wait()).toBe(boom);
    expect(sawCancel).toBe(true);
    expect(ctx.err()).toBe(Canceled);
    expect(ctx.cause()).toBe(boom);
  });

  it("wait() cancels the context even when every task succeeded", async () => {
    const { group, ctx } = withContext(background());
    void group.go(async () => {});
    expect(ctx.err()).toBeUndefined();
    expect(await group.wait()).toBeUndefined();
    expect(ctx.err()).toBe(Canceled);
    expect(ctx.cause()).toBe(Canceled);
  });

  it("the context is a child of the parent: cancelling the parent reaches the tasks", async () => {
    const parent = withCancel(background());
    const { group, ctx } = withContext(parent.ctx);
    void group.go(async () => {
      await ctx.done().recv();
    });
    parent.cancel("shutdown");
    expect(await group.wait()).toBeUndefined();
    expect(ctx.cause()).toBe("shutdown");
  });
});

describe("with timers on a fake clock", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a slow task is abandoned through the context when another fails", async () => {
    const { group, ctx } = withContext(background());
    let finishedSlowly = false;
    void group.go(async () => {
      const r = await select([recv(ctx.done()), recv(after(10_000))]);
      finishedSlowly = r.index === 1;
    });
    void group.go(async () => {
      await after(100).recv();
      throw new Error("fast failure");
    });
    const w = group.wait();
    await vi.advanceTimersByTimeAsync(100);
    expect(((await w) as Error).message).toBe("fast failure");
    expect(finishedSlowly).toBe(false);
    vi.clearAllTimers(); // the abandoned after(10_000)
  });
});
