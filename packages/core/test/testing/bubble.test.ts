import { describe, expect, it } from "vitest";
import {
  Chan,
  ErrGroup,
  Ticker,
  Timer,
  WaitGroup,
  after,
  afterFunc,
  background,
  go,
  recv,
  setPanicHandler,
  select,
  trySelect,
  withTimeout,
  DeadlineExceeded,
} from "@gochan/core";
import * as synctest from "@gochan/core/testing";
import { macrotask } from "../helpers.js";

const EPOCH = Date.UTC(2000, 0, 1);
const HOUR = 60 * 60 * 1000;

describe("virtual time", () => {
  it("starts at Go's epoch and jumps straight to the next timer", async () => {
    const seen: number[] = [];
    await synctest.test(async () => {
      seen.push(synctest.now().getTime());
      const fired = await after(HOUR).recv();
      seen.push(fired.getTime(), synctest.now().getTime());
    });
    expect(seen).toEqual([EPOCH, EPOCH + HOUR, EPOCH + HOUR]);
  });

  it("starts at options.start", async () => {
    let at = 0;
    await synctest.test(
      async () => {
        at = (await after(5).recv()).getTime();
      },
      { start: new Date(1_000_000) },
    );
    expect(at).toBe(1_000_005);
  });

  it("does not move while any task can still run", async () => {
    const clocks: number[] = [];
    await synctest.test(async () => {
      const t = new Timer(10);
      const busy = new Chan<number>(1);
      go(async () => {
        // A thousand hand-offs through microtasks: all at the same instant.
        for (let i = 0; i < 1000; i++) {
          await busy.send(i);
          await busy.recv();
        }
        clocks.push(synctest.now().getTime());
      });
      await t.C.recv();
      clocks.push(synctest.now().getTime());
    });
    expect(clocks).toEqual([EPOCH, EPOCH + 10]);
  });

  it("fires timers in time order, and the ones due at the same instant together", async () => {
    const order: string[] = [];
    await synctest.test(async () => {
      const wg = new WaitGroup();
      for (const [name, ms] of [["c", 30], ["a", 10], ["b", 10], ["d", 20]] as const) {
        wg.go(async () => {
          await after(ms).recv();
          order.push(`${name}@${synctest.now().getTime() - EPOCH}`);
        });
      }
      await wg.wait();
    }, { choices: [] }); // the empty schedule: same-instant timers in arming order
    expect(order).toEqual(["a@10", "b@10", "d@20", "c@30"]);
  });

  it("a ticker ticks on its grid: 10 ticks in 10 virtual seconds", async () => {
    const ticks: number[] = [];
    await synctest.test(async () => {
      const ticker = new Ticker(1000);
      const stop = after(10_500);
      for (;;) {
        const r = await select([recv(ticker.C), recv(stop)]);
        if (r.index === 1) break;
        ticks.push(r.value.getTime() - EPOCH);
      }
      ticker.stop();
    });
    expect(ticks).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]);
  });

  it("context deadlines are virtual: withTimeout expires exactly at its deadline", async () => {
    const seen: unknown[] = [];
    await synctest.test(async () => {
      const { ctx, cancel } = withTimeout(background(), 5000);
      seen.push(ctx.deadline()?.getTime());
      await synctest.wait();
      seen.push(ctx.err());
      await ctx.done().recv();
      seen.push(ctx.err(), synctest.now().getTime());
      cancel();
    });
    expect(seen).toEqual([EPOCH + 5000, undefined, DeadlineExceeded, EPOCH + 5000]);
  });

  it("afterFunc runs its function as a bubble task at the virtual instant", async () => {
    const at: number[] = [];
    await synctest.test(async () => {
      const done = new Chan<void>();
      afterFunc(250, async () => {
        at.push(synctest.now().getTime());
        await done.send();
      });
      await done.recv();
    });
    expect(at).toEqual([EPOCH + 250]);
  });

  it("a stopped timer never fires and holds the clock still", async () => {
    let fired = 0;
    await synctest.test(async () => {
      const t = afterFunc(100, () => {
        fired++;
      });
      expect(t.stop()).toBe(true);
      await after(200).recv();
    });
    expect(fired).toBe(0);
  });

  it("timers past 2^31-1 ms are one jump, not chunks", async () => {
    let at = 0;
    await synctest.test(async () => {
      at = (await after(2 ** 32).recv()).getTime();
    });
    expect(at).toBe(EPOCH + 2 ** 32);
  });
});

describe("re-entrant callbacks while the clock advances", () => {
  it("a deadline's abort listener that stops or re-arms a timer due at the same instant is obeyed", async () => {
    const fired: string[] = [];
    await synctest.test(
      async () => {
        const { ctx, cancel } = withTimeout(background(), 100);
        const stopped = afterFunc(100, () => void fired.push("stopped"));
        const moved = afterFunc(100, () => void fired.push(`moved@${synctest.now().getTime() - EPOCH}`));
        ctx.signal.addEventListener("abort", () => {
          fired.push("deadline");
          stopped.stop(); // due now, not yet fired: must never fire
          moved.reset(50); // due now: must fire 50 ms later instead
        });
        await after(200).recv();
        cancel();
      },
      { choices: [] }, // arming order: the deadline fires first
    );
    expect(fired).toEqual(["deadline", "moved@150"]);
  });
});

describe("synctest.wait", () => {
  it("resolves once every other task is blocked, without moving the clock", async () => {
    const states: string[] = [];
    await synctest.test(async () => {
      const jobs = new Chan<number>();
      let handled = 0;
      go(async () => {
        for await (const j of jobs) handled += j;
      });
      await jobs.send(1);
      await jobs.send(2);
      await synctest.wait();
      states.push(`handled ${handled} at ${synctest.now().getTime() - EPOCH}`);
      jobs.close();
      await synctest.wait();
    });
    expect(states).toEqual(["handled 3 at 0"]);
  });

  it("rejects outside a bubble", async () => {
    await expect(synctest.wait()).rejects.toBeInstanceOf(synctest.BubbleUsageError);
    await expect(synctest.external(Promise.resolve(1))).rejects.toThrow("not called from within a bubble");
  });
});

describe("deadlocks and leaks", () => {
  it("every task blocked and no timer: DeadlockError with run()'s report", async () => {
    const err = await synctest
      .test(async () => {
        const jobs = new Chan<number>(0, { name: "jobs" });
        go(async () => {
          await jobs.send(1);
          await jobs.send(2); // nobody receives the second
        });
        await jobs.recv();
        await new WaitGroup().wait(); // fine: count 0
        await select([recv(new Chan<string>(0, { name: "replies" }))]);
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(synctest.DeadlockError);
    const e = err as synctest.DeadlockError;
    expect(e.blocked).toBe(2);
    const lines = e.message.split("\n");
    expect(lines[0]).toBe("deadlock: all goroutines in bubble are blocked");
    expect(e.message).toContain("goroutine 1 [chan send]:\nsend to chan(jobs) 0/0");
    expect(e.message).toContain("goroutine 2 [select]:\nselect on: receive from chan(replies) 0/0");
    expect(e.message).toContain("1 go() task(s) still running");
  });

  it("with callSites, the report shows where each operation blocked and each task was created", async () => {
    const err = await synctest
      .test(
        async () => {
          go(async function stuckWorker() {
            await new Chan<number>().recv();
          });
          await new Chan<number>().recv();
        },
        { callSites: true },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(synctest.DeadlockError);
    const message = (err as Error).message;
    expect(message).toContain("stuckWorker");
    expect(message).toMatch(/created by go\(\)\n\tat .*bubble\.test\.ts/);
  });

  it("a promise nothing can settle is a deadlock too", async () => {
    const err = await synctest.test(() => new Promise<void>(() => {})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(synctest.DeadlockError);
    expect((err as Error).message).toContain("no channel operation is blocked");
  });

  it("a timer keeps a blocked bubble alive: not a deadlock", async () => {
    await synctest.test(async () => {
      const never = new Chan<number>();
      const r = await select([recv(never), recv(after(10 * HOUR))]);
      expect(r.index).toBe(1);
    });
  });

  it("tasks still blocked when the function returns: LeakedTasksError, listed", async () => {
    const err = await synctest
      .test(async () => {
        go(async () => {
          await after(1000).recv();
        });
        const results = new Chan<number>(0, { name: "results" });
        void results.send(1); // never received
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(synctest.LeakedTasksError);
    const e = err as synctest.LeakedTasksError;
    expect([e.blocked, e.tasks]).toEqual([2, 1]);
    expect(e.message.split("\n")[0]).toBe("deadlock: main bubble goroutine has exited but blocked goroutines remain");
    expect(e.message).toContain("send to chan(results) 0/0");
    expect(e.message).toContain("receive from chan(timer) 0/0");
  });

  it("tasks that finish before the function's end are not leaks, and no time passes for them", async () => {
    let ran = 0;
    await synctest.test(async () => {
      const g = new ErrGroup();
      for (let i = 0; i < 5; i++) void g.go(async () => void ran++);
      go(() => void ran++);
    });
    expect(ran).toBe(6);
  });
});

describe("errors inside the bubble", () => {
  it("a task that fails after its bubble ended is not lost: it goes to the panic handler", async () => {
    const seen: unknown[] = [];
    const previous = setPanicHandler((e) => seen.push(e));
    try {
      const boom = new Error("late");
      let release: () => void = () => {};
      const outside = new Promise<void>((resolve) => (release = resolve));
      const err = await synctest
        .test(() => {
          go(async () => {
            await outside; // not wrapped in external(): invisible to the bubble
            throw boom;
          });
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(synctest.LeakedTasksError);
      expect((err as synctest.LeakedTasksError).tasks).toBe(1);
      release();
      await macrotask();
      expect(seen).toEqual([boom]);
    } finally {
      setPanicHandler(previous);
    }
  });

  it("the function's error rejects the test", async () => {
    const boom = new Error("boom");
    await expect(
      synctest.test(async () => {
        await after(10).recv();
        throw boom;
      }),
    ).rejects.toBe(boom);
  });

  it("a go() task's error fails the test instead of escaping as an uncaught exception", async () => {
    const boom = new Error("task failed");
    await expect(
      synctest.test(async () => {
        go(async () => {
          await after(10).recv();
          throw boom;
        });
        await after(20).recv();
      }),
    ).rejects.toBe(boom);
  });

  it("bubbles cannot nest or overlap", async () => {
    let inner: unknown;
    await synctest.test(async () => {
      inner = await synctest.test(async () => {}).catch((e: unknown) => e);
    });
    expect(inner).toBeInstanceOf(synctest.BubbleUsageError);
    const a = synctest.test(async () => {});
    await expect(synctest.test(async () => {})).rejects.toBeInstanceOf(synctest.BubbleUsageError);
    await a;
  });

  it("bad arguments: a TypeError naming the value", async () => {
    await expect(synctest.test(42 as unknown as () => void)).rejects.toThrow("expected a function, got 42");
    await expect(synctest.test(() => {}, { choices: 1.5 })).rejects.toThrow("got 1.5");
    await expect(synctest.test(() => {}, { choices: [0, -1] })).rejects.toThrow("non-negative integers");
    await expect(synctest.test(() => {}, { start: new Date(NaN) })).rejects.toThrow("start must be a valid Date");
  });
});

describe("the bubble's boundary", () => {
  it("refuses a channel made outside, used inside: every operation, with nothing done", async () => {
    const outside = new Chan<number>(1, { name: "outside" });
    const errors: unknown[] = [];
    await synctest.test(async () => {
      const attempts: (() => unknown)[] = [
        () => outside.send(1),
        () => outside.recv(),
        () => outside.trySend(1),
        () => outside.tryRecv(),
        () => outside.close(),
        () => select([recv(outside)]),
        () => trySelect([recv(outside)]),
      ];
      for (const attempt of attempts) {
        try {
          await attempt();
        } catch (e) {
          errors.push(e);
        }
      }
    });
    expect(errors).toHaveLength(7);
    for (const e of errors) {
      expect(e).toBeInstanceOf(synctest.CrossBubbleError);
      expect((e as synctest.CrossBubbleError).fromOutside).toBe(false);
      expect((e as Error).message).toMatch(/created outside the bubble, from inside the bubble: chan\(outside\) 0\/1$/);
    }
    expect((errors.map((e) => (e as synctest.CrossBubbleError).op))).toEqual([
      "send",
      "receive",
      "send",
      "receive",
      "close",
      "select",
      "select",
    ]);
    expect([outside.len, outside.closed]).toEqual([0, false]);
  });

  it("refuses a bubble's channel used from outside after it ended, with Go's message", async () => {
    let inside: Chan<number> | null = null;
    await synctest.test(() => {
      inside = new Chan<number>(1);
    });
    const ch = inside as unknown as Chan<number>;
    expect(() => ch.trySend(1)).toThrow("send on synctest channel from outside bubble: chan 0/1");
    await expect(ch.recv()).rejects.toBeInstanceOf(synctest.CrossBubbleError);
    expect(() => ch.close()).toThrow("close of synctest channel from outside bubble");
  });

  it("refuses a timer made outside: its channel is the outside world's", async () => {
    const t = new Timer(10);
    const err = await synctest.test(() => t.C.recv()).catch((e: unknown) => e);
    t.stop();
    expect(err).toBeInstanceOf(synctest.CrossBubbleError);
  });

  it("a context made inside may be cancelled from anywhere", async () => {
    let cancel: () => void = () => {};
    let ctx: ReturnType<typeof withTimeout>["ctx"] | null = null;
    await synctest.test(async () => {
      const c = withTimeout(background(), HOUR);
      ctx = c.ctx;
      cancel = c.cancel;
      c.ctx.done(); // made inside
    });
    cancel(); // outside: closes the done channel without crossing
    expect((ctx as unknown as { err(): unknown }).err()).toBeDefined();
  });

  it("a promise from outside wrapped in external() holds the clock until it settles", async () => {
    const clocks: number[] = [];
    await synctest.test(async () => {
      let fired = false;
      go(async () => {
        await after(10).recv();
        fired = true;
      });
      await synctest.external(macrotask().then(macrotask));
      clocks.push(synctest.now().getTime() - EPOCH, fired ? 1 : 0);
      await after(10).recv();
    });
    expect(clocks).toEqual([0, 0]);
  });
});
