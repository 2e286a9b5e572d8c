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

  it("setLimit(n): at most n tasks run; goBlocking() resolves when its task starts; tryGo() refuses at the limit", async () => {
    const g = new ErrGroup();
    g.setLimit(2);
    const gates = [new Chan<void>(), new Chan<void>(), new Chan<void>()];
    let running = 0;
    const task = (k: number) => async (): Promise<void> => {
      running++;
      await (gates[k] as Chan<void>).recv();
      running--;
    };
    const started = [g.goBlocking(task(0)), g.goBlocking(task(1)), g.goBlocking(task(2))];
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

  it("go() at the limit returns at once (nothing to await) and its tasks start in order as slots free", async () => {
    const g = new ErrGroup();
    g.setLimit(1);
    const gate = new Chan<void>();
    let running = 0;
    const started: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r: void = g.go(async () => {
        started.push(i);
        running++;
        await gate.recv();
        running--;
      });
      expect(r).toBeUndefined();
    }
    await macrotask();
    expect([started, running]).toEqual([[0], 1]);
    await gate.send();
    await macrotask();
    expect([started, running]).toEqual([[0, 1], 1]);
    await gate.send();
    await gate.send();
    expect(await g.wait()).toBeUndefined();
    expect(started).toEqual([0, 1, 2]);
  });

  it("a queued task counts toward wait() even if goBlocking()'s promise was not awaited", async () => {
    const g = new ErrGroup();
    g.setLimit(1);
    const ran: number[] = [];
    for (let i = 0; i < 4; i++) {
      void g.goBlocking(async () => {
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
        fc.array(fc.record({ steps: fc.integer({ min: 0, max: 3 }), fails: fc.boolean(), blocking: fc.boolean() }), {
          minLength: 1,
          maxLength: 8,
        }),
        async (s, limit, tasks) => {
          const g = new ErrGroup();
          g.setLimit(limit);
          let running = 0;
          let maxRunning = 0;
          const ran: number[] = [];
          const failures: Error[] = [];
          const starting = tasks.map((t, i) =>
            (t.blocking ? g.goBlocking.bind(g) : g.go.bind(g))(async () => {
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

describe("ErrGroup.wait(signal) (issue 16 item 8)", () => {
  it("an abort rejects that wait() with the reason; the tasks run on and a later wait() gets their error", async () => {
    const g = new ErrGroup();
    const gate = new Chan<void>();
    const boom = new Error("boom");
    g.go(async () => {
      await gate.recv();
      throw boom;
    });
    const controller = new AbortController();
    const waiting = g.wait(controller.signal);
    controller.abort(new Error("gave up"));
    await expect(waiting).rejects.toThrow("gave up");
    await gate.send();
    expect(await g.wait()).toBe(boom);
  });

  it("an aborted wait() leaves withContext's context alone; an already aborted signal rejects at once", async () => {
    const { group, ctx } = withContext(background());
    const gate = new Chan<void>();
    group.go(() => gate.recv());
    await expect(group.wait(AbortSignal.abort("now"))).rejects.toBe("now");
    expect(ctx.err()).toBeUndefined();
    await gate.send();
    expect(await group.wait()).toBeUndefined();
    expect(ctx.err()).toBe(Canceled);
  });

  it("an abort listener that re-enters the group sees it consistent", async () => {
    const g = new ErrGroup();
    const gate = new Chan<void>();
    g.go(() => gate.recv());
    const controller = new AbortController();
    let second: Promise<unknown> | undefined;
    controller.signal.addEventListener("abort", () => {
      g.go(() => undefined);
      second = g.wait();
    });
    const first = g.wait(controller.signal);
    controller.abort("stop");
    await expect(first).rejects.toBe("stop");
    expect(await stateOf(second as Promise<unknown>)).toBe("pending");
    await gate.send();
    expect(await second).toBeUndefined();
  });
});

describe("await using an ErrGroup (issue 16 item 7)", () => {
  it("waits for every task when the scope ends and throws the first error", async () => {
    const done: number[] = [];
    const boom = new Error("boom");
    async function scope(): Promise<void> {
      await using g = new ErrGroup();
      g.go(async () => {
        await macrotask();
        done.push(1);
      });
      g.go(() => {
        throw boom;
      });
    }
    await expect(scope()).rejects.toBe(boom);
    expect(done).toEqual([1]);
  });

  it("does not throw an error a wait() has already returned, nor anything when no task failed", async () => {
    const boom = new Error("boom");
    let seen: unknown;
    async function scope(): Promise<void> {
      await using g = new ErrGroup();
      g.go(() => {
        throw boom;
      });
      seen = await g.wait();
    }
    await expect(scope()).resolves.toBeUndefined();
    expect(seen).toBe(boom);
    async function clean(): Promise<number> {
      await using g = new ErrGroup();
      g.go(() => undefined);
      return 1;
    }
    expect(await clean()).toBe(1);
  });

  it("a throw in the scope and a task's error are both kept (SuppressedError)", async () => {
    const inScope = new Error("in scope"), inTask = new Error("in task");
    async function scope(): Promise<void> {
      await using g = new ErrGroup();
      g.go(() => {
        throw inTask;
      });
      throw inScope;
    }
    const e = await scope().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((e as { error: unknown }).error).toBe(inTask);
    expect((e as { suppressed: unknown }).suppressed).toBe(inScope);
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
