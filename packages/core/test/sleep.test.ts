// sleep(ms, signal?): Go's time.Sleep (issue 16 item 3). Time is a fake clock;
// the tests count host timers and abort listeners, never elapsed time.
import { getEventListeners } from "node:events";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sleep } from "@gochan/core";
import * as synctest from "@gochan/core/testing";

describe("sleep on a fake clock", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("resolves once the duration has passed, not before, and leaves no timer", async () => {
    const p = sleep(100);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(await stateOfFake(p)).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    expect(await stateOfFake(p)).toBe("resolved");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("aborting rejects with the signal's reason, clears the timer and removes its listener", async () => {
    const controller = new AbortController();
    const p = sleep(1000, controller.signal);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    const reason = new Error("cut short");
    controller.abort(reason);
    await expect(p).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("waking removes the abort listener, and a later abort changes nothing", async () => {
    const controller = new AbortController();
    const p = sleep(10, controller.signal);
    await vi.advanceTimersByTimeAsync(10);
    await expect(p).resolves.toBeUndefined();
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    controller.abort();
  });

  it("an already aborted signal rejects without starting a timer", async () => {
    const reason = new Error("already");
    await expect(sleep(100, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("zero, negative and Infinity durations: at once, at once, never (unless aborted)", async () => {
    await expect(sleep(0)).resolves.toBeUndefined();
    await expect(sleep(-5)).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    const controller = new AbortController();
    const forever = sleep(Infinity, controller.signal);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(2 ** 40);
    expect(await stateOfFake(forever)).toBe("pending");
    controller.abort("done");
    await expect(forever).rejects.toBe("done");
  });

  it("an abort listener that re-enters sleep sees the first sleep already settled", async () => {
    const controller = new AbortController();
    const log: string[] = [];
    const first = sleep(50, controller.signal).catch(() => log.push("first rejected"));
    controller.signal.addEventListener("abort", () => {
      log.push(`timers at abort: ${vi.getTimerCount()}`);
      void sleep(5).then(() => log.push("second slept"));
    });
    controller.abort();
    await first;
    await vi.advanceTimersByTimeAsync(5);
    expect(log).toEqual(["timers at abort: 0", "first rejected", "second slept"]);
  });

  it("many sleeps with random durations and aborts: each settles once, the right way, no timer left", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ ms: fc.integer({ min: 1, max: 100 }), abortAt: fc.option(fc.integer({ min: 0, max: 120 })) }), {
          maxLength: 8,
        }),
        async (plan) => {
          const outcomes: string[] = plan.map(() => "pending");
          const controllers = plan.map(() => new AbortController());
          plan.forEach(({ ms }, i) => {
            sleep(ms, (controllers[i] as AbortController).signal).then(
              () => (outcomes[i] = outcomes[i] === "pending" ? "slept" : "twice"),
              () => (outcomes[i] = outcomes[i] === "pending" ? "aborted" : "twice"),
            );
          });
          for (let t = 0; t <= 120; t++) {
            plan.forEach(({ abortAt }, i) => {
              if (abortAt === t) (controllers[i] as AbortController).abort();
            });
            await vi.advanceTimersByTimeAsync(1);
          }
          plan.forEach(({ ms, abortAt }, i) => {
            // Aborting at t (before advancing past t) wins if t < ms.
            const expected = abortAt !== null && abortAt < ms ? "aborted" : "slept";
            expect(outcomes[i]).toBe(expected);
          });
          expect(vi.getTimerCount()).toBe(0);
        },
      ),
      { numRuns: 50, seed: 3 },
    );
  });
});

describe("sleep in a synctest bubble", () => {
  it("sleeps on the bubble's virtual clock, and an abort there still clears its timer", async () => {
    await synctest.test(async () => {
      const start = synctest.now().getTime();
      await sleep(60 * 60 * 1000); // one virtual hour
      expect(synctest.now().getTime() - start).toBe(60 * 60 * 1000);
      const controller = new AbortController();
      const p = sleep(1000, controller.signal);
      controller.abort("stop");
      await expect(p).rejects.toBe("stop");
      expect(synctest.now().getTime() - start).toBe(60 * 60 * 1000);
    });
  });
});

describe("sleep's bad input", () => {
  it("names a bad duration or signal", () => {
    expect(() => sleep(Number.NaN)).toThrow(new TypeError("sleep: duration must be a number of milliseconds, got NaN (number)"));
    expect(() => sleep("10" as never)).toThrow(TypeError);
    expect(() => sleep(10, {} as never)).toThrow(/sleep: signal must be an AbortSignal, got \[object Object\]/);
    expect(() => sleep(10, null as never)).toThrow(/got null/);
  });

  it("really waits on the real clock too", async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
  });
});

/** stateOf under fake timers: settle microtasks without a macrotask turn. */
async function stateOfFake(p: Promise<unknown>): Promise<string> {
  let state = "pending";
  p.then(
    () => (state = "resolved"),
    () => (state = "rejected"),
  );
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return state;
}
