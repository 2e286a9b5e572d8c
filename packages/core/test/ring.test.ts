// The channel's growable ring buffer: FIFO across growth and wrap-around, and no
// reference kept to an element once it has been shifted out.
import * as v8 from "node:v8";
import * as vm from "node:vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Ring } from "../src/ring.js";

describe("Ring", () => {
  it("is FIFO across growth while its head is wrapped around", () => {
    const ring = new Ring<number>(1000);
    for (let i = 0; i < 10; i++) ring.push(i);
    for (let i = 0; i < 7; i++) expect(ring.shift()).toBe(i);
    // The head now sits mid-array; pushing past 16, 32 and 64 items grows it.
    for (let i = 10; i < 110; i++) ring.push(i);
    expect(ring.length).toBe(103);
    const out: number[] = [];
    while (ring.length > 0) out.push(ring.shift());
    expect(out).toEqual(Array.from({ length: 103 }, (_, i) => i + 7));
  });

  it("works for small capacities, including 0 and 1", () => {
    for (const capacity of [0, 1, 3]) {
      const ring = new Ring<string>(capacity);
      for (let round = 0; round < 50; round++) {
        ring.push(`a${round}`);
        ring.push(`b${round}`);
        expect(ring.length).toBe(2);
        expect(ring.shift()).toBe(`a${round}`);
        expect(ring.shift()).toBe(`b${round}`);
        expect(ring.length).toBe(0);
      }
    }
  });

  it("behaves like an array queue under any sequence of pushes and shifts", () => {
    const op = fc.oneof(fc.integer().map((n) => ({ push: n })), fc.constant({ push: null }));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
        const ring = new Ring<number>(capacity);
        const model: number[] = [];
        for (const { push } of ops) {
          if (push !== null) {
            ring.push(push);
            model.push(push);
          } else if (model.length > 0) {
            expect(ring.shift()).toBe(model.shift());
          }
          expect(ring.length).toBe(model.length);
        }
      }),
      { numRuns: 200, seed: 1337 },
    );
  });

  it("drops its reference to a shifted element, so the garbage collector can reclaim it", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const ring = new Ring<object>(4);
    let ref: WeakRef<object> | undefined;
    (() => {
      const big = { payload: new Array<number>(1000).fill(1) };
      ref = new WeakRef(big);
      ring.push(big);
      ring.push({ other: true });
      ring.shift();
    })();
    await new Promise((resolve) => setImmediate(resolve)); // WeakRef targets live until the job ends
    gc();
    expect(ref?.deref()).toBeUndefined();
    expect(ring.length).toBe(1);
  });
});
