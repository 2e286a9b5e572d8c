import { afterEach, describe, expect, it, vi } from "vitest";
import { BURST, CallSites, REFILL_MS, unrefInterval, type Ticker } from "../src/call-sites.js";

/** A refill timer the test ticks by hand. */
function fakeTicker(): { ticker: Ticker; tick: (n: number) => void; running: boolean; starts: number; ms: number } {
  let fire: (() => void) | null = null;
  const t = {
    running: false,
    starts: 0,
    ms: 0,
    ticker: ((tick, ms) => {
      expect(t.running).toBe(false);
      fire = tick;
      t.running = true;
      t.starts++;
      t.ms = ms;
      return () => {
        t.running = false;
      };
    }) as Ticker,
    tick: (n: number): void => {
      for (let i = 0; i < n && t.running; i++) fire?.();
    },
  };
  return t;
}

/** How many of `n` capture attempts got a stack. */
function captured(sites: CallSites, n: number): number {
  let got = 0;
  for (let i = 0; i < n; i++) if (sites.capture() !== null) got++;
  return got;
}

describe("CallSites", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("sampled: out of credit, an attempt reads no clock at all", () => {
    const now = vi.spyOn(performance, "now");
    const dateNow = vi.spyOn(Date, "now");
    const sites = new CallSites("sampled");
    captured(sites, BURST);
    const before = now.mock.calls.length + dateNow.mock.calls.length;
    expect(captured(sites, 100_000)).toBe(0);
    expect(now.mock.calls.length + dateNow.mock.calls.length - before).toBe(0);
  });

  it("sampled: a burst at the start, then one capture per tick of the refill timer, which runs only below the burst", () => {
    const timer = fakeTicker();
    const sites = new CallSites("sampled", timer.ticker);
    expect(timer.running).toBe(false);
    expect(captured(sites, 10_000)).toBe(BURST);
    expect(timer.running).toBe(true);
    expect(timer.ms).toBe(REFILL_MS);
    timer.tick(3);
    expect(captured(sites, 10_000)).toBe(3);
    // A long quiet spell earns at most a burst, and the timer stops there.
    timer.tick(BURST);
    expect(timer.running).toBe(false);
    expect(sites.refilling).toBe(false);
    expect(captured(sites, 10_000)).toBe(BURST);
    expect(timer.starts).toBe(2);
  });

  it("sampled: a tick while credit is left adds to it, up to the burst", () => {
    const timer = fakeTicker();
    const sites = new CallSites("sampled", timer.ticker);
    captured(sites, BURST - 2);
    timer.tick(1);
    expect(captured(sites, 10)).toBe(3);
    timer.tick(1);
    expect(captured(sites, 10)).toBe(1);
  });

  it("the default timer never keeps the process alive", () => {
    const unref = vi.fn();
    const set = vi.spyOn(globalThis, "setInterval").mockImplementation((() => ({ unref })) as never);
    const clear = vi.spyOn(globalThis, "clearInterval").mockImplementation(() => {});
    const stop = unrefInterval(() => {}, REFILL_MS);
    expect(set).toHaveBeenCalledWith(expect.any(Function), REFILL_MS);
    expect(unref).toHaveBeenCalledTimes(1);
    stop();
    expect(clear).toHaveBeenCalledTimes(1);
  });

  it("a captured site is a stack taken at the call", () => {
    const sites = new CallSites("sampled");
    function caller(): Error | null {
      return sites.capture();
    }
    expect(caller()?.stack).toMatch(/at caller /);
  });

  it('"all" captures every time, "off" never, and neither starts a timer', () => {
    const timer = fakeTicker();
    expect(captured(new CallSites("all", timer.ticker), 1000)).toBe(1000);
    expect(captured(new CallSites("off", timer.ticker), 1000)).toBe(0);
    expect(timer.starts).toBe(0);
  });
});
