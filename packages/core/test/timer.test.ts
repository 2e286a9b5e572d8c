import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { Chan, Timer, after, afterFunc, recv, select, setPanicHandler, type RecvChan, type SendChan } from "@gochan/core";
import * as synctest from "@gochan/core/testing";

/** Lets `ms` of a bubble's virtual time pass. */
const sleep = (ms: number): Promise<Date> => after(ms).recv();

/** How many host timers keep the process alive right now (unreferenced ones are not listed). */
function refedTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

describe("Timer on a synctest bubble's clock", () => {
  const T0 = 1_000_000;
  const bubble = (fn: () => Promise<void>): Promise<void> => synctest.test(fn, { start: T0 });

  it("a receiver already waiting gets the value when the timer fires", () =>
    bubble(async () => {
      const t = new Timer(50);
      expect((await t.C.recv()).getTime()).toBe(T0 + 50);
      expect(t.stop()).toBe(false); // expired: its value was received
    }));

  it("Go 1.23: reset() discards an unreceived value; the next value is the new expiry", () =>
    bubble(async () => {
      const t = new Timer(100);
      await sleep(100); // fired at T0 + 100, not received
      expect(t.reset(200)).toBe(true);
      expect(t.C.tryRecv()).toBeUndefined();
      await sleep(199);
      expect(t.C.tryRecv()).toBeUndefined();
      await sleep(1);
      expect(t.C.tryRecv()?.value?.getTime()).toBe(T0 + 300);
      expect(t.reset(10)).toBe(false); // expired (received)
      expect(t.stop()).toBe(true);
      expect(t.reset(10)).toBe(false); // stopped
      await sleep(10);
      expect(t.C.tryRecv()?.ok).toBe(true);
    }));
});

describe("Timer and after() on a fake clock", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("after(ms) delivers the fire time once, not before", async () => {
    const c = after(100);
    await vi.advanceTimersByTimeAsync(99);
    expect(c.tryRecv()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    const r = c.tryRecv();
    expect(r?.ok).toBe(true);
    expect((r?.value as Date).getTime()).toBe(1_000_100);
    expect(c.tryRecv()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    expect(c.tryRecv()).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("is unbuffered: len and cap are 0, even holding a fired value", async () => {
    const t = new Timer(10);
    expect([t.C.len, t.C.cap]).toEqual([0, 0]);
    await vi.advanceTimersByTimeAsync(10);
    expect([t.C.len, t.C.cap]).toEqual([0, 0]);
    expect(t.C.tryRecv()?.ok).toBe(true);
  });

  it("stop() before firing returns true, prevents the value and releases the host timer", async () => {
    const t = new Timer(100);
    expect(vi.getTimerCount()).toBe(1);
    expect(t.stop()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(t.stop()).toBe(false);
    await vi.advanceTimersByTimeAsync(500);
    expect(t.C.tryRecv()).toBeUndefined();
  });

  it("Go 1.23: stop() after firing but before any receive returns true and leaves no stale value", async () => {
    const t = new Timer(100);
    await vi.advanceTimersByTimeAsync(150);
    expect(t.stop()).toBe(true);
    expect(t.C.tryRecv()).toBeUndefined();
    expect(t.stop()).toBe(false);
  });

  it("reset() of a pending timer moves its expiry", async () => {
    const t = new Timer(100);
    await vi.advanceTimersByTimeAsync(90);
    expect(t.reset(100)).toBe(true);
    await vi.advanceTimersByTimeAsync(20);
    expect(t.C.tryRecv()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(80);
    expect(t.C.tryRecv()?.value?.getTime()).toBe(1_000_190);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("fires at once for d <= 0, as Go does, with no host timer", () => {
    for (const d of [0, -5, -Infinity]) {
      const c = after(d);
      expect(vi.getTimerCount()).toBe(0);
      expect(c.tryRecv()?.ok).toBe(true);
    }
    const t = new Timer(0);
    expect(t.reset(-1)).toBe(true); // the unreceived value counted as active
    expect(t.C.tryRecv()?.ok).toBe(true);
  });

  it("Infinity never fires and holds no host timer; stop() still reports it active", async () => {
    const t = new Timer(Infinity);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(2 ** 40);
    expect(t.C.tryRecv()).toBeUndefined();
    expect(t.stop()).toBe(true);
  });

  it("waits past the host's 2^31-1 ms limit instead of firing after 1 ms", async () => {
    const long = 2 ** 31 + 5000;
    const c = after(long);
    await vi.advanceTimersByTimeAsync(2 ** 31 - 1);
    expect(c.tryRecv()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(long - (2 ** 31 - 1) - 1);
    expect(c.tryRecv()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(c.tryRecv()?.ok).toBe(true);
  });

  it("works as a select case: the timeout wins, or loses and is withdrawn", async () => {
    const replies = new Chan<string>();
    const slow = select([recv(replies), recv(after(100))]);
    await vi.advanceTimersByTimeAsync(100);
    expect((await slow).index).toBe(1);

    const timeout = new Timer(100);
    const fast = select([recv(replies), recv(timeout.C)]);
    void replies.send("pong");
    const r = await fast;
    expect(r).toEqual({ index: 0, value: "pong", ok: true });
    expect(timeout.stop()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects durations that are not numbers, naming the value", () => {
    expect(() => after(Number.NaN)).toThrow(TypeError);
    expect(() => after(Number.NaN)).toThrow(/after: duration must be a number of milliseconds, got NaN/);
    expect(() => new Timer("10" as unknown as number)).toThrow(/Timer: .*got "10" \(string\)/);
    const t = new Timer(10);
    expect(() => t.reset(undefined as unknown as number)).toThrow(/Timer.reset: .*got undefined/);
    expect(t.stop()).toBe(true); // a failed reset left the timer as it was
  });

  it("Go 1.23 semantics hold for any sequence of stop, reset, receive and clock advances (model)", async () => {
    // Model: the timer is either idle, pending until `due`, or fired holding `firedAt`.
    type Model = { state: "idle" } | { state: "pending"; due: number } | { state: "fired"; at: number };
    type Real = { t: Timer; now: () => number };
    const tidy = (m: Model, now: number): Model => (m.state === "pending" && m.due <= now ? { state: "fired", at: m.due } : m);

    class Advance implements fc.AsyncCommand<{ m: Model }, Real> {
      constructor(readonly ms: number) {}
      check = (): boolean => true;
      async run(model: { m: Model }, real: Real): Promise<void> {
        // Advance in steps so the model sees each due time exactly.
        await vi.advanceTimersByTimeAsync(this.ms);
        model.m = tidy(model.m, real.now());
      }
      toString = (): string => `advance(${this.ms})`;
    }
    class Stop implements fc.AsyncCommand<{ m: Model }, Real> {
      check = (): boolean => true;
      async run(model: { m: Model }, real: Real): Promise<void> {
        expect(real.t.stop()).toBe(model.m.state !== "idle");
        model.m = { state: "idle" };
      }
      toString = (): string => "stop";
    }
    class Reset implements fc.AsyncCommand<{ m: Model }, Real> {
      constructor(readonly ms: number) {}
      check = (): boolean => true;
      async run(model: { m: Model }, real: Real): Promise<void> {
        expect(real.t.reset(this.ms)).toBe(model.m.state !== "idle");
        const now = real.now();
        model.m = this.ms <= 0 ? { state: "fired", at: now } : { state: "pending", due: now + this.ms };
      }
      toString = (): string => `reset(${this.ms})`;
    }
    class TryRecv implements fc.AsyncCommand<{ m: Model }, Real> {
      check = (): boolean => true;
      async run(model: { m: Model }, real: Real): Promise<void> {
        const r = real.t.C.tryRecv();
        if (model.m.state === "fired") {
          expect(r?.value?.getTime()).toBe(model.m.at);
          model.m = { state: "idle" };
        } else {
          expect(r).toBeUndefined();
        }
        expect(real.t.C.len).toBe(0);
      }
      toString = (): string => "tryRecv";
    }
    const commands = [
      fc.integer({ min: 1, max: 60 }).map((ms) => new Advance(ms)),
      fc.constant(new Stop()),
      fc.integer({ min: -5, max: 50 }).map((ms) => new Reset(ms)),
      fc.constant(new TryRecv()),
    ];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 50 }), fc.commands(commands, { maxCommands: 30 }), async (d, cmds) => {
        const start = Date.now();
        const t = new Timer(d);
        const model = { m: (d === 0 ? { state: "fired", at: start } : { state: "pending", due: start + d }) as Model };
        await fc.asyncModelRun(() => ({ model, real: { t, now: () => Date.now() } }), cmds);
        t.stop();
        expect(vi.getTimerCount()).toBe(0);
      }),
      { numRuns: 150, seed: 20231 },
    );
  });

  describe("afterFunc", () => {
    it("runs fn as a task after the delay, once", async () => {
      const calls: number[] = [];
      const t = afterFunc(100, () => calls.push(Date.now()));
      await vi.advanceTimersByTimeAsync(99);
      expect(calls).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls).toEqual([1_000_100]);
      expect(t.stop()).toBe(false); // already started
      expect(t.C.cap).toBe(0);
      expect(t.C.tryRecv()).toBeUndefined(); // the nil channel
      await vi.advanceTimersByTimeAsync(1000);
      expect(calls).toHaveLength(1);
    });

    it("stop() prevents the call; reset() schedules it again", async () => {
      let calls = 0;
      const t = afterFunc(100, () => calls++);
      expect(t.stop()).toBe(true);
      await vi.advanceTimersByTimeAsync(200);
      expect(calls).toBe(0);
      expect(t.reset(50)).toBe(false);
      await vi.advanceTimersByTimeAsync(50);
      expect(calls).toBe(1);
      expect(t.reset(50)).toBe(false);
      await vi.advanceTimersByTimeAsync(50);
      expect(calls).toBe(2);
    });

    it("an error thrown by fn is a panic, never lost", async () => {
      const seen: unknown[] = [];
      const previous = setPanicHandler((e) => seen.push(e));
      try {
        const boom = new Error("boom");
        afterFunc(10, () => {
          throw boom;
        });
        await vi.advanceTimersByTimeAsync(10);
        expect(seen).toEqual([boom]);
      } finally {
        setPanicHandler(previous);
      }
    });

    it("rejects a non-function, naming it", () => {
      expect(() => afterFunc(10, 42 as unknown as () => void)).toThrow(/afterFunc: expected a function, got 42/);
      expect(() => afterFunc(Number.NaN, () => {})).toThrow(TypeError);
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});

describe("Timer host handles (real timers)", () => {
  it("an unwatched pending timer does not keep the process alive; a blocked receive does", async () => {
    const base = refedTimeouts();
    const t = new Timer(60_000);
    expect(refedTimeouts()).toBe(base); // pending, but nobody waits: unreferenced
    const stop = new AbortController();
    const waiting = t.C.recv(stop.signal);
    expect(refedTimeouts()).toBe(base + 1); // someone waits: referenced
    stop.abort(new Error("done waiting"));
    await expect(waiting).rejects.toThrow("done waiting");
    expect(refedTimeouts()).toBe(base);
    const end = new AbortController();
    const again = t.C.recv(end.signal);
    expect(refedTimeouts()).toBe(base + 1);
    expect(t.stop()).toBe(true);
    expect(refedTimeouts()).toBe(base); // stopped: no handle at all, though a receive still waits
    end.abort(new Error("stopped timer"));
    await expect(again).rejects.toThrow("stopped timer");
  });

  it("a select waiting on a timer references it until another case wins", async () => {
    const base = refedTimeouts();
    const ch = new Chan<number>();
    const t = new Timer(60_000);
    const sel = select([recv(ch), recv(t.C)]);
    expect(refedTimeouts()).toBe(base + 1);
    await ch.send(1);
    expect((await sel).index).toBe(0);
    expect(refedTimeouts()).toBe(base);
    t.stop();
  });

  it("a short timer really fires and leaves no handle behind", async () => {
    const base = refedTimeouts();
    const t = new Timer(5);
    const at = await t.C.recv();
    expect(at).toBeInstanceOf(Date);
    expect(refedTimeouts()).toBeLessThanOrEqual(base);
    expect(t.stop()).toBe(false);
  });
});

describe("timer channel types", () => {
  it("are receive-only, never closed (recv resolves a Date), and assignable to RecvChan<Date>", () => {
    vi.useFakeTimers();
    try {
      const c = after(10);
      expectTypeOf(c.recv()).resolves.toEqualTypeOf<Date>();
      expectTypeOf(c).toMatchTypeOf<RecvChan<Date>>();
      expectTypeOf(new Timer(1).C).not.toMatchTypeOf<SendChan<Date>>();
      expectTypeOf(c).not.toHaveProperty("send");
      expectTypeOf(c).not.toHaveProperty("close");
    } finally {
      vi.clearAllTimers();
      vi.useRealTimers();
    }
  });
});
