/** Backoff: full jitter under a ceiling that doubles per failure and is capped. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffMs } from "../src/backoff.js";

describe("backoffMs", () => {
  it("doubles the ceiling per failed attempt up to the cap", () => {
    const almostOne = (): number => 0.999999;
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n, 50, 1000, almostOne))).toEqual([49, 99, 199, 399, 799, 999, 999]);
    expect(backoffMs(3, 50, 1000, () => 0)).toBe(0);
  });

  it("stays in [0, min(max, base * 2^(n-1))) for any attempt and any random draw (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, base, max, r) => {
          const ms = backoffMs(attempt, base, max, () => r);
          expect(Number.isInteger(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThan(Math.max(1, Math.min(max, base * 2 ** (attempt - 1))));
        },
      ),
      { numRuns: 300, seed: 18 },
    );
  });
});
