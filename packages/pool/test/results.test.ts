import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Results } from "../src/results.js";

describe("Results (a batch's results by index)", () => {
  it("behaves like an array written at any index in any order, with or without a size known up front", () => {
    fc.assert(
      fc.property(
        fc.nat(3000),
        fc.nat(3000),
        fc.array(fc.tuple(fc.nat(3000), fc.integer()), { maxLength: 200 }),
        (size, count, writes) => {
          const results = new Results(size);
          const model: unknown[] = new Array<unknown>(count).fill(undefined);
          for (const [index, value] of writes) {
            if (index >= count) continue;
            results.set(index, value);
            model[index] = value;
          }
          const taken = results.take(count);
          expect(taken).toEqual(model);
          expect(taken.length).toBe(count);
          // An index never written reads as undefined; one written is present.
          for (const [index] of writes) if (index < count) expect(index in taken).toBe(true);
        },
      ),
      { seed: 15, numRuns: 200 },
    );
  });

  it("without a size known up front, every take is a new array that later writes do not change", () => {
    const results = new Results(0);
    for (let i = 0; i < 2500; i++) results.set(i, i);
    const first = results.take(2500);
    results.set(0, "changed");
    results.set(2500, "more");
    const second = results.take(2501);
    expect(first[0]).toBe(0);
    expect(first.length).toBe(2500);
    expect(second[0]).toBe("changed");
    expect(second[2500]).toBe("more");
    expect(second).not.toBe(first);
  });

  it("with the size known up front and every value inside it, hands over the array it filled", () => {
    const results = new Results(3);
    results.set(2, "c");
    results.set(0, "a");
    results.set(1, "b");
    expect(results.take(3)).toEqual(["a", "b", "c"]);
  });
});
