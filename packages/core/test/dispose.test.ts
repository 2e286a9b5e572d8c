// `using` and `await using` on Timer, Ticker and the (ctx, cancel) pairs (issue
// 16 item 7): Go's `defer t.Stop()` and `defer cancel()`. ErrGroup's `await using`
// is in errgroup.test.ts. Counted with host timers on a fake clock, never time.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  Canceled,
  Ticker,
  Timer,
  afterFunc,
  background,
  fromSignal,
  withCancel,
  withDeadline,
  withTimeout,
  type ContextWithCancel,
} from "@gochan/core";
import { ASYNC_DISPOSE, DISPOSE } from "../src/dispose.js";

describe("the dispose symbols", () => {
  it("are the host's Symbol.dispose and Symbol.asyncDispose where it has them", () => {
    expect(DISPOSE).toBe(Symbol.dispose);
    expect(ASYNC_DISPOSE).toBe(Symbol.asyncDispose);
  });
});

describe("using timers and tickers", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a Timer is stopped when its scope ends, and its value is never delivered", async () => {
    let leaked: Timer | undefined;
    {
      using t = new Timer(100);
      leaked = t;
      expect(vi.getTimerCount()).toBe(1);
    }
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(leaked.C.tryRecv()).toBeUndefined();
    expect(leaked.stop()).toBe(false); // already stopped by the scope
  });

  it("a Timer that fired before the scope ended has its unreceived value withdrawn", async () => {
    let t0: Timer | undefined;
    {
      using t = new Timer(10);
      t0 = t;
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(t0.C.tryRecv()).toBeUndefined();
  });

  it("an afterFunc timer in a using scope does not run its function after the scope", async () => {
    let runs = 0;
    {
      using _t = afterFunc(50, () => runs++);
    }
    await vi.advanceTimersByTimeAsync(100);
    expect(runs).toBe(0);
  });

  it("a Ticker is stopped when its scope ends, even when the scope throws", async () => {
    let ticks = 0;
    let ticker: Ticker | undefined;
    expect(() => {
      using t = new Ticker(10);
      ticker = t;
      throw new Error("scope failed");
    }).toThrow("scope failed");
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(100);
    while ((ticker as Ticker).C.tryRecv() !== undefined) ticks++;
    expect(ticks).toBe(0);
  });
});

describe("using a (ctx, cancel) pair", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("every with* pair cancels its context (no cause) and releases its timer when the scope ends", () => {
    const controller = new AbortController();
    const makers: (() => ContextWithCancel)[] = [
      () => withCancel(background()),
      () => withTimeout(background(), 1000),
      () => withDeadline(background(), 5000),
      () => fromSignal(controller.signal),
    ];
    for (const make of makers) {
      let pair: ContextWithCancel | undefined;
      {
        using scope = make();
        pair = scope;
        expect(scope.ctx.err()).toBeUndefined();
      }
      expect(pair.ctx.err()).toBe(Canceled);
      expect(pair.ctx.cause()).toBe(Canceled);
      expect(vi.getTimerCount()).toBe(0);
    }
  });

  it("disposing after an explicit cancel(cause) keeps the first cause", () => {
    const cause = new Error("why");
    let pair: ContextWithCancel | undefined;
    {
      using scope = withCancel(background());
      pair = scope;
      scope.cancel(cause);
    }
    expect(pair.ctx.cause()).toBe(cause);
  });

  it("an abort listener on the context's signal that re-enters sees the context cancelled", () => {
    const seen: unknown[] = [];
    {
      using scope = withCancel(background());
      scope.ctx.signal.addEventListener("abort", () => {
        seen.push(scope.ctx.err());
        const child = withCancel(scope.ctx);
        seen.push(child.ctx.err());
      });
    }
    expect(seen).toEqual([Canceled, Canceled]);
  });
});
