import { describe, expect, it } from "vitest";
import { BURST, CallSites, CHECK_EVERY, REFILL_MS } from "../src/call-sites.js";

/** A clock the test moves by hand. */
function fakeClock(): { now: number; read: () => number; reads: number } {
  const c = {
    now: 0,
    reads: 0,
    read: (): number => {
      c.reads++;
      return c.now;
    },
  };
  return c;
}

/** How many of `n` capture attempts got a stack. */
function captured(sites: CallSites, n: number): number {
  let got = 0;
  for (let i = 0; i < n; i++) if (sites.capture() !== null) got++;
  return got;
}

describe("CallSites", () => {
  it("sampled: a burst at the start, then one capture per REFILL_MS of clock time", () => {
    const clock = fakeClock();
    const sites = new CallSites("sampled", clock.read);
    expect(captured(sites, 10_000)).toBe(BURST);
    expect(sites.skipped).toBe(10_000 - BURST);
    clock.now += REFILL_MS * 3;
    expect(captured(sites, 10_000)).toBe(3);
    // A long quiet spell earns at most a burst.
    clock.now += REFILL_MS * 10_000;
    expect(captured(sites, 10_000)).toBe(BURST);
  });

  it("sampled: out of credit, reads the clock once per CHECK_EVERY attempts", () => {
    const clock = fakeClock();
    const sites = new CallSites("sampled", clock.read);
    captured(sites, BURST);
    const before = clock.reads;
    captured(sites, CHECK_EVERY * 100);
    expect(clock.reads - before).toBe(100);
  });

  it("sampled: counts every attempt that got no stack, also in the middle of a check window", () => {
    const clock = fakeClock();
    const sites = new CallSites("sampled", clock.read);
    captured(sites, BURST);
    expect(sites.skipped).toBe(0);
    for (const n of [1, CHECK_EVERY - 2, 1, 1, CHECK_EVERY * 3 + 5]) {
      const before = sites.skipped;
      captured(sites, n);
      expect(sites.skipped - before).toBe(n);
    }
    clock.now += REFILL_MS;
    const before = sites.skipped;
    expect(captured(sites, CHECK_EVERY)).toBe(1);
    expect(sites.skipped - before).toBe(CHECK_EVERY - 1);
  });

  it("a captured site is a stack taken at the call", () => {
    const sites = new CallSites("sampled");
    function caller(): Error | null {
      return sites.capture();
    }
    expect(caller()?.stack).toMatch(/at caller /);
  });

  it('"all" captures every time, "off" never', () => {
    const clock = fakeClock();
    expect(captured(new CallSites("all", clock.read), 1000)).toBe(1000);
    expect(captured(new CallSites("off", clock.read), 1000)).toBe(0);
  });
});
