import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Chan, Ticker, after, isChan, nilChan, recv, select, tick } from "@gochan/core";
import * as synctest from "@gochan/core/testing";

/** Lets `ms` of a bubble's virtual time pass. */
const sleep = (ms: number): Promise<Date> => after(ms).recv();

function refedTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

describe("Ticker on a synctest bubble's clock", () => {
  const T0 = 5_000_000;
  const bubble = (fn: () => Promise<void>): Promise<void> => synctest.test(fn, { start: T0 });

  it("delivers a tick every period to a waiting receiver", () =>
    bubble(async () => {
      const ticker = new Ticker(100);
      const times: number[] = [];
      for (let i = 0; i < 4; i++) times.push((await ticker.C.recv()).getTime() - T0);
      expect(times).toEqual([100, 200, 300, 400]);
      ticker.stop();
    }));

  it("a slow receiver gets the oldest undelivered tick, the ones after it are dropped", () =>
    bubble(async () => {
      const ticker = new Ticker(100);
      await sleep(350); // ticks at 100, 200, 300: only the first is kept
      expect([ticker.C.len, ticker.C.cap]).toEqual([0, 0]);
      expect(ticker.C.tryRecv()?.value?.getTime()).toBe(T0 + 100);
      expect(ticker.C.tryRecv()).toBeUndefined(); // no backlog
      expect((await ticker.C.recv()).getTime()).toBe(T0 + 400); // still on the 100 ms grid
      ticker.stop();
    }));

  it("reset(d): discards a parked tick and ticks d from now with the new period", () =>
    bubble(async () => {
      const ticker = new Ticker(100);
      await sleep(130); // tick at 100 parked
      ticker.reset(50);
      expect(ticker.C.tryRecv()).toBeUndefined();
      await sleep(49);
      expect(ticker.C.tryRecv()).toBeUndefined();
      await sleep(1);
      expect(ticker.C.tryRecv()?.value?.getTime()).toBe(T0 + 180);
      await sleep(50);
      expect(ticker.C.tryRecv()?.value?.getTime()).toBe(T0 + 230);
      ticker.stop();
      ticker.reset(10); // a stopped ticker restarts
      await sleep(10);
      expect(ticker.C.tryRecv()?.ok).toBe(true);
      ticker.stop();
    }));

  it("a select loop over a ticker and a done channel", () =>
    bubble(async () => {
      const ticker = new Ticker(10);
      const done = new Chan<void>();
      let ticks = 0;
      const loop = (async () => {
        for (;;) {
          const r = await select([recv(ticker.C), recv(done)]);
          if (r.index === 1) return;
          ticks++;
        }
      })();
      await sleep(55);
      done.close();
      await loop;
      expect(ticks).toBe(5);
      ticker.stop();
    }));
});

describe("Ticker and tick() on a fake clock", () => {
  const T0 = 5_000_000;
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a period too small to move the clock (Number.MIN_VALUE) keeps ticking, once per host timer (issue 12 item 7)", async () => {
    const ticker = new Ticker(Number.MIN_VALUE);
    await vi.advanceTimersByTimeAsync(10); // the fake clock reads the first delay, 5e-324, as 5 ms
    expect(ticker.C.tryRecv()).toBeDefined();
    let ticks = 0;
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(1);
      if (ticker.C.tryRecv() !== undefined) ticks++;
    }
    expect(ticks).toBe(10);
    expect(vi.getTimerCount()).toBe(1);
    ticker.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stop(): no tick after it returns, including one already parked, and no host timer", async () => {
    const ticker = new Ticker(100);
    await vi.advanceTimersByTimeAsync(150); // one tick parked
    ticker.stop();
    expect(ticker.C.tryRecv()).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(ticker.C.tryRecv()).toBeUndefined();
    ticker.stop(); // idempotent
  });

  it("rejects non-positive intervals with a RangeError naming the value (Go panics)", () => {
    expect(() => new Ticker(0)).toThrow(RangeError);
    expect(() => new Ticker(0)).toThrow("non-positive interval for NewTicker: 0");
    expect(() => new Ticker(-3)).toThrow("non-positive interval for NewTicker: -3");
    expect(() => new Ticker(Number.NaN)).toThrow(TypeError);
    expect(() => new Ticker(Number.NaN)).toThrow(/NewTicker: duration must be a number .*got NaN/);
    const ticker = new Ticker(10);
    expect(() => ticker.reset(0)).toThrow("non-positive interval for Ticker.Reset: 0");
    expect(() => ticker.reset(null as unknown as number)).toThrow(TypeError);
    ticker.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("tick(d) ticks; tick(d <= 0) is the nil channel, as in Go", async () => {
    expect(tick(0)).toBe(nilChan());
    expect(tick(-1)).toBe(nilChan());
    expect(() => tick(Number.NaN)).toThrow(/tick: duration must be a number/);
    const c = tick(20);
    expect(isChan(c)).toBe(true);
    await vi.advanceTimersByTimeAsync(60);
    expect(c.tryRecv()?.value?.getTime()).toBe(T0 + 20);
    const next = c.recv();
    await vi.advanceTimersByTimeAsync(20);
    expect((await next).getTime()).toBe(T0 + 80);
    vi.clearAllTimers(); // tick() cannot be stopped: drop its fake host timer
  });

  it("Infinity: a ticker that never ticks and holds no host timer", async () => {
    const ticker = new Ticker(Infinity);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1e9);
    expect(ticker.C.tryRecv()).toBeUndefined();
    ticker.stop();
  });
});

describe("Ticker host handles (real timers)", () => {
  it("referenced only while a receive is blocked on it; none once stopped", async () => {
    const base = refedTimeouts();
    const ticker = new Ticker(60_000);
    expect(refedTimeouts()).toBe(base);
    const stop = new AbortController();
    const waiting = ticker.C.recv(stop.signal);
    expect(refedTimeouts()).toBe(base + 1);
    stop.abort(new Error("enough"));
    await expect(waiting).rejects.toThrow("enough");
    expect(refedTimeouts()).toBe(base);
    const end = new AbortController();
    const blocked = ticker.C.recv(end.signal);
    ticker.stop();
    expect(refedTimeouts()).toBe(base); // stopped: no handle, though a receive still waits
    end.abort(new Error("stopped ticker"));
    await expect(blocked).rejects.toThrow("stopped ticker");
  });
});
