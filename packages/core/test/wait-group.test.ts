import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { ChanError, NegativeWaitGroupCounterError, WaitGroup, recv, select, setPanicHandler, Chan } from "@gochan/core";
import { macrotask, stateOf } from "./helpers.js";

/** Whether `p` has settled, checked after letting queued work run. */
const isSettled = async (p: Promise<unknown>): Promise<boolean> => (await stateOf(p)) !== "pending";

afterEach(() => {
  setPanicHandler(null);
});

describe("WaitGroup", () => {
  it("wait() resolves once the counter is back to zero, not before", async () => {
    const wg = new WaitGroup();
    wg.add(2);
    const w = wg.wait();
    expect(await isSettled(w)).toBe(false);
    wg.done();
    expect(await isSettled(w)).toBe(false);
    expect(wg.count).toBe(1);
    wg.done();
    expect(await isSettled(w)).toBe(true);
    expect(wg.count).toBe(0);
  });

  it("wait() on a zero counter resolves at once; every waiter of a round is released", async () => {
    const wg = new WaitGroup();
    await wg.wait();
    wg.add(1);
    const waits = [wg.wait(), wg.wait(), wg.wait()];
    wg.done();
    await Promise.all(waits);
    // Reusable: a new round.
    wg.add(3);
    const next = wg.wait();
    wg.add(-3);
    await next;
  });

  it("a negative counter throws Go's panic and leaves the counter unchanged", () => {
    const wg = new WaitGroup();
    expect(() => wg.done()).toThrow(NegativeWaitGroupCounterError);
    expect(() => wg.done()).toThrow("sync: negative WaitGroup counter");
    wg.add(2);
    expect(() => wg.add(-3)).toThrow(NegativeWaitGroupCounterError);
    expect(wg.count).toBe(2);
    try {
      wg.add(-5);
    } catch (e) {
      expect(e).toBeInstanceOf(ChanError);
    }
  });

  it("rejects deltas that are not integers, naming them", () => {
    const wg = new WaitGroup();
    expect(() => wg.add("1" as unknown as number)).toThrow(TypeError);
    expect(() => wg.add("1" as unknown as number)).toThrow(/got "1" \(string\)/);
    expect(() => wg.add(1.5)).toThrow(RangeError);
    expect(() => wg.add(1.5)).toThrow(/must be an integer, got 1.5/);
    expect(() => wg.add(Number.NaN)).toThrow(/got NaN/);
    expect(wg.count).toBe(0);
  });

  it("wait(signal): aborting withdraws the wait and rejects with the reason", async () => {
    const wg = new WaitGroup();
    wg.add(1);
    const ac = new AbortController();
    const w = wg.wait(ac.signal);
    ac.abort(new Error("gave up"));
    await expect(w).rejects.toThrow("gave up");
    await expect(wg.wait(ac.signal)).rejects.toThrow("gave up");
    wg.done();
  });

  it("wait() is usable as a select case", async () => {
    const wg = new WaitGroup();
    const other = new Chan<number>();
    wg.add(1);
    const sel = select([recv(other), wg.wait()]);
    wg.done();
    expect((await sel).index).toBe(1);
  });

  it("go(fn) counts the task and marks it done when it ends", async () => {
    const wg = new WaitGroup();
    const gate = new Chan<void>();
    const ended: number[] = [];
    for (let i = 0; i < 3; i++) {
      wg.go(async () => {
        await gate.recv();
        ended.push(i);
      });
    }
    expect(wg.count).toBe(3);
    const w = wg.wait();
    await gate.send();
    await gate.send();
    expect(await isSettled(w)).toBe(false);
    await gate.send();
    await w;
    expect(ended).toHaveLength(3);
  });

  it("go(fn): an error is a panic (never lost), and the counter is still decremented", async () => {
    const seen: unknown[] = [];
    setPanicHandler((e) => seen.push(e));
    const wg = new WaitGroup();
    wg.go(() => {
      throw new Error("sync");
    });
    wg.go(async () => {
      await macrotask();
      throw new Error("async");
    });
    await wg.wait();
    await macrotask();
    expect(seen.map((e) => (e as Error).message).sort()).toEqual(["async", "sync"]);
    expect(() => wg.go(null as unknown as () => void)).toThrow(/WaitGroup.go: expected a function, got null/);
    expect(wg.count).toBe(0);
  });

  it("for any interleaving of task completions, wait() resolves exactly when the last one ends", async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }), async (s, steps) => {
        const wg = new WaitGroup();
        let finished = 0;
        let sawEarly = false;
        for (const n of steps) {
          wg.go(async () => {
            for (let k = 0; k < n; k++) await s.schedule(Promise.resolve(k));
            finished++;
          });
        }
        const waiter = wg.wait().then(() => {
          if (finished !== steps.length) sawEarly = true;
          return finished;
        });
        await s.waitFor(waiter);
        expect(sawEarly).toBe(false);
        expect(await waiter).toBe(steps.length);
        expect(wg.count).toBe(0);
      }),
      { numRuns: 100, seed: 4242 },
    );
  });
});
