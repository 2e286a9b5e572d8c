import { getEventListeners } from "node:events";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import {
  Canceled,
  CanceledError,
  Chan,
  ContextError,
  ContextKey,
  DeadlineExceeded,
  DeadlineExceededError,
  after,
  background,
  fromSignal,
  go,
  nilChan,
  recv,
  select,
  todo,
  withCancel,
  withDeadline,
  withTimeout,
  withValue,
  type Context,
  type RecvChan,
} from "@gochan/core";
import * as synctest from "@gochan/core/testing";

function refedTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Whether ctx.done() is closed, checked without waiting. */
function isDone(ctx: Context): boolean {
  const r = ctx.done().tryRecv();
  return r !== undefined && !r.ok;
}

describe("background() and todo()", () => {
  it("are never cancelled, have no deadline and no values; done() is the nil channel", () => {
    for (const ctx of [background(), todo()]) {
      expect(ctx.err()).toBeUndefined();
      expect(ctx.cause()).toBeUndefined();
      expect(ctx.deadline()).toBeUndefined();
      expect(ctx.value("anything")).toBeUndefined();
      expect(ctx.done()).toBe(nilChan());
      expect(ctx.signal.aborted).toBe(false);
    }
    expect(String(background())).toBe("context.Background");
    expect(String(todo())).toBe("context.TODO");
  });
});

describe("errors", () => {
  it("Canceled and DeadlineExceeded carry Go's messages and are instances of their classes", () => {
    expect(Canceled.message).toBe("context canceled");
    expect(DeadlineExceeded.message).toBe("context deadline exceeded");
    expect(Canceled).toBeInstanceOf(CanceledError);
    expect(Canceled).toBeInstanceOf(ContextError);
    expect(DeadlineExceeded).toBeInstanceOf(DeadlineExceededError);
    expect(DeadlineExceeded.timeout()).toBe(true);
    expect(Canceled.name).toBe("CanceledError");
  });
});

describe("withCancel", () => {
  it("cancel() closes done(), sets err() to Canceled and aborts the signal", async () => {
    const { ctx, cancel } = withCancel(background());
    expect(ctx.err()).toBeUndefined();
    const waiting = ctx.done().recvOk();
    const signal = ctx.signal;
    cancel();
    expect(await waiting).toEqual({ value: undefined, ok: false });
    expect(ctx.err()).toBe(Canceled);
    expect(ctx.cause()).toBe(Canceled);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(Canceled);
    // Closed forever: every later receive returns at once.
    expect(isDone(ctx)).toBe(true);
    expect(isDone(ctx)).toBe(true);
    cancel(new Error("too late")); // idempotent: the first cancellation stands
    expect(ctx.cause()).toBe(Canceled);
  });

  it("cancel(cause) records the cause (Go's WithCancelCause) while err() stays Canceled", () => {
    const { ctx, cancel } = withCancel(background());
    const cause = new Error("shutting down");
    cancel(cause);
    expect(ctx.err()).toBe(Canceled);
    expect(ctx.cause()).toBe(cause);
    expect(ctx.signal.aborted).toBe(true); // read after the cancel
    expect(ctx.signal.reason).toBe(cause);
  });

  it("propagates to children and grandchildren, through value contexts, but not upwards", () => {
    const root = withCancel(background());
    const mid = withCancel(withValue(root.ctx, "k", 1));
    const leaf = withCancel(mid.ctx);
    const sibling = withCancel(root.ctx);
    leaf.cancel();
    expect([isDone(leaf.ctx), isDone(mid.ctx), isDone(root.ctx)]).toEqual([true, false, false]);
    const cause = new Error("root gone");
    root.cancel(cause);
    for (const c of [root.ctx, mid.ctx, sibling.ctx]) {
      expect(c.err()).toBe(Canceled);
      expect(c.cause()).toBe(cause);
      expect(isDone(c)).toBe(true);
    }
    expect(leaf.ctx.cause()).toBe(Canceled); // cancelled earlier, on its own
  });

  it("a child of an already cancelled parent is cancelled at once", () => {
    const parent = withCancel(background());
    parent.cancel("why");
    const child = withCancel(parent.ctx);
    expect(child.ctx.err()).toBe(Canceled);
    expect(child.ctx.cause()).toBe("why");
    expect(isDone(child.ctx)).toBe(true);
  });

  it("done() works as a select case", async () => {
    const { ctx, cancel } = withCancel(background());
    const jobs = new Chan<string>();
    const sel = select([recv(jobs), recv(ctx.done())]);
    cancel();
    const r = await sel;
    expect(r.index).toBe(1);
    expect(r.ok).toBe(false);
    expectTypeOf(ctx.done()).toEqualTypeOf<RecvChan<never>>();
  });

  it("cancelled children are detached from their parent, so they can be collected", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const parent = withCancel(background());
    // Built in a plain function: an async test function would keep its last loop
    // value in the suspended frame's registers across the await below.
    const spawn = (cancel: boolean): WeakRef<Context>[] => {
      const refs: WeakRef<Context>[] = [];
      for (let i = 0; i < 200; i++) {
        const child = withCancel(withValue(parent.ctx, "i", i));
        child.ctx.done(); // a done channel made too
        refs.push(new WeakRef(child.ctx));
        if (cancel) child.cancel();
      }
      return refs;
    };
    const cancelled = spawn(true);
    const live = spawn(false); // still attached to the parent
    await settle();
    gc();
    expect(cancelled.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    expect(live.filter((r) => r.deref() !== undefined)).toHaveLength(200);
    parent.cancel();
    await settle();
    gc();
    expect(live.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  });

  it("rejects a missing or bogus parent", () => {
    expect(() => withCancel(undefined as unknown as Context)).toThrow("withCancel: cannot create context from nil parent");
    expect(() => withCancel({} as Context)).toThrow(/withCancel: parent must be a Context, got/);
    expect(() => withValue(background(), null, 1)).toThrow(/withValue: nil key/);
  });
});

describe("deadlines on a synctest bubble's clock", () => {
  const T0 = 1_700_000_000_000;
  const bubble = (fn: () => Promise<void>): Promise<void> => synctest.test(fn, { start: T0 });

  it("an earlier child deadline fires first, without touching the parent", () =>
    bubble(async () => {
      const parent = withTimeout(background(), 100);
      const child = withDeadline(parent.ctx, new Date(T0 + 40));
      expect(child.ctx.deadline()?.getTime()).toBe(T0 + 40);
      await child.ctx.done().recv();
      expect(synctest.now().getTime()).toBe(T0 + 40);
      expect([child.ctx.err(), parent.ctx.err()]).toEqual([DeadlineExceeded, undefined]);
      await parent.ctx.done().recv();
      expect(synctest.now().getTime()).toBe(T0 + 100);
      expect(parent.ctx.err()).toBe(DeadlineExceeded);
    }));

  it("a select on a context's done channel and a result: the deadline wins only when the work is slower", () =>
    bubble(async () => {
      const attempt = async (workMs: number): Promise<string> => {
        const { ctx, cancel } = withTimeout(background(), 100);
        const result = new Chan<string>(1);
        go(async () => {
          const w = await select([recv(after(workMs)), recv(ctx.done())]);
          if (w.index === 0) await result.send("done");
        });
        const r = await select([recv(result), recv(ctx.done())]);
        cancel();
        return r.index === 0 ? "done" : String(ctx.err()?.message);
      };
      expect(await attempt(99)).toBe("done");
      expect(await attempt(101)).toBe("context deadline exceeded");
    }));
});

describe("deadlines on a fake clock", () => {
  const T0 = 1_700_000_000_000;
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("withTimeout fires DeadlineExceeded at the deadline and releases its timer", async () => {
    const { ctx, cancel } = withTimeout(background(), 100);
    expect(ctx.deadline()?.getTime()).toBe(T0 + 100);
    expect(vi.getTimerCount()).toBe(1);
    const waiting = ctx.done().recv();
    await vi.advanceTimersByTimeAsync(99);
    expect(ctx.err()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(ctx.err()).toBe(DeadlineExceeded);
    expect(ctx.cause()).toBe(DeadlineExceeded);
    expect(vi.getTimerCount()).toBe(0);
    cancel(); // no effect now
    expect(ctx.err()).toBe(DeadlineExceeded);
  });

  it("cancel() before the deadline clears the timer; err() is Canceled", async () => {
    const { ctx, cancel } = withTimeout(background(), 100);
    cancel();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(ctx.err()).toBe(Canceled);
  });

  it("cancelling a parent releases the timers of its whole subtree", () => {
    const parent = withCancel(background());
    const a = withTimeout(parent.ctx, 100);
    const b = withDeadline(withValue(a.ctx, "k", "v"), T0 + 50);
    const c = withTimeout(parent.ctx, 1e6);
    expect(vi.getTimerCount()).toBe(3);
    parent.cancel();
    expect(vi.getTimerCount()).toBe(0);
    for (const x of [a, b, c]) expect(x.ctx.err()).toBe(Canceled);
  });

  it("a child deadline later than the parent's inherits it and needs no timer; the parent's fires for both", async () => {
    const parent = withTimeout(background(), 100);
    const child = withTimeout(parent.ctx, 500);
    expect(child.ctx.deadline()?.getTime()).toBe(T0 + 100);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(child.ctx.err()).toBe(DeadlineExceeded);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a deadline already past gives a context cancelled at once; Infinity gives none", () => {
    expect(withDeadline(background(), T0 - 1).ctx.err()).toBe(DeadlineExceeded);
    expect(withTimeout(background(), 0).ctx.err()).toBe(DeadlineExceeded);
    expect(withTimeout(background(), -10).ctx.err()).toBe(DeadlineExceeded);
    const forever = withTimeout(background(), Infinity);
    expect(forever.ctx.deadline()).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    forever.cancel();
  });

  it("rejects bad durations and deadlines, naming them", () => {
    expect(() => withTimeout(background(), Number.NaN)).toThrow(/withTimeout: duration must be a number .*NaN/);
    expect(() => withDeadline(background(), new Date(Number.NaN))).toThrow(/withDeadline: deadline must be a valid Date/);
    expect(() => withDeadline(background(), "soon" as unknown as number)).toThrow(/got "soon" \(string\)/);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("any tree of contexts, cancels and deadlines agrees with a reference model", async () => {
    // Model node: parent index (-1 = background), own deadline, and what cancelled it.
    interface Node {
      parent: number;
      deadline: number | null;
      err: "canceled" | "deadline" | null;
      cause: unknown;
    }
    interface Real {
      ctxs: Context[];
      cancels: ((cause?: unknown) => void)[];
    }
    type M = { nodes: Node[]; now: number };
    const cancelSubtree = (m: M, i: number, err: Node["err"], cause: unknown): void => {
      const n = m.nodes[i] as Node;
      if (n.err !== null) return;
      n.err = err;
      n.cause = cause;
      m.nodes.forEach((c, j) => {
        if (c.parent === i) cancelSubtree(m, j, err, cause);
      });
    };
    const check = (m: M, r: Real): void => {
      m.nodes.forEach((n, i) => {
        const ctx = r.ctxs[i] as Context;
        expect(ctx.err()).toBe(n.err === null ? undefined : n.err === "canceled" ? Canceled : DeadlineExceeded);
        if (n.err !== null) expect(ctx.cause()).toBe(n.cause);
        expect(isDone(ctx)).toBe(n.err !== null);
      });
    };
    class Create implements fc.AsyncCommand<M, Real> {
      constructor(
        readonly pick: number,
        readonly timeout: number | null,
      ) {}
      check = (): boolean => true;
      async run(m: M, r: Real): Promise<void> {
        const parent = m.nodes.length === 0 ? -1 : this.pick % (m.nodes.length + 1) - 1;
        const pctx = parent < 0 ? background() : (r.ctxs[parent] as Context);
        const made = this.timeout === null ? withCancel(pctx) : withTimeout(pctx, this.timeout);
        r.ctxs.push(made.ctx);
        r.cancels.push(made.cancel);
        const p = parent < 0 ? null : (m.nodes[parent] as Node);
        const node: Node = { parent, deadline: this.timeout === null ? null : m.now + this.timeout, err: null, cause: undefined };
        m.nodes.push(node);
        if (p !== null && p.err !== null) {
          node.err = p.err;
          node.cause = p.cause;
        } else if (node.deadline !== null && node.deadline <= m.now) {
          node.err = "deadline";
          node.cause = DeadlineExceeded;
        }
        check(m, r);
      }
      toString = (): string => `create(${this.pick}, ${String(this.timeout)})`;
    }
    class Cancel implements fc.AsyncCommand<M, Real> {
      constructor(readonly pick: number) {}
      check = (m: Readonly<M>): boolean => m.nodes.length > 0;
      async run(m: M, r: Real): Promise<void> {
        const i = this.pick % m.nodes.length;
        const cause = new Error(`cancel ${i}`);
        (r.cancels[i] as (c?: unknown) => void)(cause);
        cancelSubtree(m, i, "canceled", cause);
        check(m, r); // cancellation is synchronous

      }
      toString = (): string => `cancel(${this.pick})`;
    }
    class Advance implements fc.AsyncCommand<M, Real> {
      constructor(readonly ms: number) {}
      check = (): boolean => true;
      async run(m: M, r: Real): Promise<void> {
        const end = m.now + this.ms;
        // Deadlines fire in time order; each cancels its subtree.
        for (;;) {
          let next = -1;
          m.nodes.forEach((n, i) => {
            if (n.err === null && n.deadline !== null && n.deadline <= end) {
              if (next < 0 || n.deadline < ((m.nodes[next] as Node).deadline as number)) next = i;
            }
          });
          if (next < 0) break;
          cancelSubtree(m, next, "deadline", DeadlineExceeded);
        }
        m.now = end;
        await vi.advanceTimersByTimeAsync(this.ms);
        check(m, r);
      }
      toString = (): string => `advance(${this.ms})`;
    }
    const commands = [
      fc.tuple(fc.nat(), fc.option(fc.integer({ min: -5, max: 100 }), { nil: null })).map(([p, t]) => new Create(p, t)),
      fc.nat().map((p) => new Cancel(p)),
      fc.integer({ min: 1, max: 60 }).map((ms) => new Advance(ms)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 25 }), async (cmds) => {
        const real: Real = { ctxs: [], cancels: [] };
        await fc.asyncModelRun(() => ({ model: { nodes: [], now: 0 }, real }), cmds);
        for (const cancel of real.cancels) cancel();
        expect(vi.getTimerCount()).toBe(0);
      }),
      { numRuns: 120, seed: 777 },
    );
  });
});

describe("withValue", () => {
  it("looks values up through the chain; the nearest wins; typed keys are typed", () => {
    const user = new ContextKey<string>("user");
    const other = new ContextKey<string>("user"); // same name, different key
    const a = withValue(background(), user, "alice");
    const b = withCancel(withValue(a, "plain", 42)).ctx;
    const c = withValue(b, user, "bob");
    expect(a.value(user)).toBe("alice");
    expect(b.value(user)).toBe("alice");
    expect(b.value("plain")).toBe(42);
    expect(c.value(user)).toBe("bob");
    expect(c.value(other)).toBeUndefined();
    expectTypeOf(c.value(user)).toEqualTypeOf<string | undefined>();
    // @ts-expect-error the value must match the key's type
    withValue(background(), user, 7);
    expect(String(a)).toBe('context.Background.WithValue(ContextKey(user), "alice")');
  });

  it("long chains are walked without recursion", () => {
    let ctx: Context = background();
    for (let i = 0; i < 50_000; i++) ctx = i % 2 === 0 ? withValue(ctx, i, i) : withCancel(ctx).ctx;
    expect(ctx.value(0)).toBe(0);
    expect(ctx.value(-1)).toBeUndefined();
  });
});

describe("a cancelled subtree is cancelled before anyone observes it (issue 12 item 4)", () => {
  it("every abort listener sees every context of the subtree with err() set, done() closed and its signal aborted", () => {
    const root = withCancel(background());
    const a = withCancel(root.ctx);
    const b = withCancel(withValue(root.ctx, "k", 1));
    const aa = withCancel(a.ctx);
    const outside = withCancel(background());
    const subtree: [string, Context][] = [
      ["root", root.ctx],
      ["a", a.ctx],
      ["b", b.ctx],
      ["aa", aa.ctx],
    ];
    const seen: string[] = [];
    for (const [name, ctx] of subtree) {
      ctx.signal.addEventListener("abort", () => {
        const states = subtree.map(([n, c]) => `${n}:${c.err() === Canceled && isDone(c) && c.signal.aborted}`);
        seen.push(`${name} sees ${states.join(" ")}`);
      });
    }
    a.ctx.signal.addEventListener("abort", () => seen.push("a once"), { once: true });
    root.cancel("why");
    const all = "root:true a:true b:true aa:true";
    // Parents first, depth first: the order the tree was walked.
    expect(seen).toEqual([`root sees ${all}`, `a sees ${all}`, "a once", `aa sees ${all}`, `b sees ${all}`]);
    expect(outside.ctx.err()).toBeUndefined();
    for (const [, c] of subtree) expect(c.signal.reason).toBe("why");
    a.ctx.signal.dispatchEvent(new Event("abort")); // the once listener is gone
    expect(seen.filter((x) => x === "a once")).toHaveLength(1);
  });

  it("a listener that re-enters (cancels again, derives a child, receives on done) sees the cancelled tree", async () => {
    const root = withCancel(background());
    const child = withCancel(root.ctx);
    const ch = new Chan<number>();
    const parked = ch.recv(child.ctx.signal);
    let derived: Context | undefined;
    root.ctx.signal.addEventListener("abort", () => {
      root.cancel("again");
      child.cancel("again");
      derived = withCancel(child.ctx).ctx;
    });
    root.cancel("first");
    expect(derived?.err()).toBe(Canceled);
    expect(derived?.cause()).toBe("first");
    await expect(parked).rejects.toBe("first");
    expect(ch.trySend(1)).toBe(false);
  });
});

describe("AbortSignal conversions", () => {
  it("fromSignal: the signal's abort cancels the context with its reason as cause", () => {
    const ac = new AbortController();
    const { ctx, cancel } = fromSignal(ac.signal);
    expect(ctx.err()).toBeUndefined();
    const reason = new Error("user left");
    ac.abort(reason);
    expect(ctx.err()).toBe(Canceled);
    expect(ctx.cause()).toBe(reason);
    expect(isDone(ctx)).toBe(true);
    cancel();
  });

  it("fromSignal: a TimeoutError reason (AbortSignal.timeout) maps to DeadlineExceeded", () => {
    const ac = new AbortController();
    const reason = new DOMException("signal timed out", "TimeoutError");
    ac.abort(reason);
    const { ctx } = fromSignal(ac.signal); // already aborted
    expect(ctx.err()).toBe(DeadlineExceeded);
    expect(ctx.cause()).toBe(reason);
  });

  it("fromSignal: cancel() removes the listener from the signal; parents still propagate", () => {
    const ac = new AbortController();
    const parent = withCancel(background());
    const a = fromSignal(ac.signal, parent.ctx);
    const b = fromSignal(ac.signal, parent.ctx);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(2);
    a.cancel();
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(1);
    parent.cancel();
    expect(b.ctx.err()).toBe(Canceled);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
    expect(() => fromSignal({} as AbortSignal)).toThrow(/fromSignal: expected an AbortSignal/);
  });

  it("ctx.signal is aborted with the cause when the context ends, including by its parent", () => {
    const parent = withCancel(background());
    const child = withCancel(parent.ctx);
    const seen: unknown[] = [];
    child.ctx.signal.addEventListener("abort", () => seen.push(child.ctx.signal.reason));
    const cause = new Error("stop all");
    parent.cancel(cause);
    expect(seen).toEqual([cause]);
  });
});

describe("a Context implemented elsewhere as parent", () => {
  class Wrapped implements Context {
    constructor(private readonly inner: Context) {}
    deadline(): Date | undefined {
      return this.inner.deadline();
    }
    done(): RecvChan<never> {
      return this.inner.done();
    }
    err(): ContextError | undefined {
      return this.inner.err();
    }
    cause(): unknown {
      return this.inner.cause();
    }
    value(key: unknown): unknown {
      return this.inner.value(key);
    }
    get signal(): AbortSignal {
      return this.inner.signal;
    }
  }

  it("its cancellation reaches children through its done channel", async () => {
    const inner = withCancel(background());
    const child = withCancel(new Wrapped(inner.ctx));
    inner.cancel("outer reason");
    await settle();
    expect(child.ctx.err()).toBe(Canceled);
    expect(child.ctx.cause()).toBe("outer reason");
    expect(withCancel(new Wrapped(inner.ctx)).ctx.err()).toBe(Canceled); // already done: at once
  });

  it("a child cancelled first stops waiting on the parent's done channel (real timers)", () => {
    const base = refedTimeouts();
    const inner = withTimeout(background(), 60_000);
    const child = withCancel(new Wrapped(inner.ctx));
    expect(refedTimeouts()).toBe(base + 1); // the child waits on inner.done()
    child.cancel();
    expect(refedTimeouts()).toBe(base);
    inner.cancel();
  });
});

describe("deadline host handles (real timers)", () => {
  it("referenced only while someone waits on done() in the subtree, or once signal is read", async () => {
    const base = refedTimeouts();
    const t = withTimeout(background(), 60_000);
    expect(refedTimeouts()).toBe(base);
    const grandchild = withValue(withCancel(t.ctx).ctx, "k", 1);
    const stop = new AbortController();
    const waiting = grandchild.done().recv(stop.signal);
    expect(refedTimeouts()).toBe(base + 1);
    stop.abort(new Error("stop waiting"));
    await expect(waiting).rejects.toThrow("stop waiting");
    expect(refedTimeouts()).toBe(base);
    void grandchild.signal; // a listener we cannot count: keep the process alive from now on
    expect(refedTimeouts()).toBe(base + 1);
    t.cancel();
    expect(refedTimeouts()).toBe(base);
  });

  it("a select on done() references the deadline until another case wins", async () => {
    const base = refedTimeouts();
    const t = withTimeout(background(), 60_000);
    const ch = new Chan<number>();
    const sel = select([recv(ch), recv(t.ctx.done())]);
    expect(refedTimeouts()).toBe(base + 1);
    await ch.send(1);
    expect((await sel).index).toBe(0);
    expect(refedTimeouts()).toBe(base);
    t.cancel();
  });
});
