// The select PRNG: seedable for reproducible runs, and validated.
import { afterEach, describe, expect, it } from "vitest";
import { Chan, recv, setSelectSeed, trySelect } from "@gochan/core";
import { random } from "../src/random.js";

afterEach(() => {
  setSelectSeed(Date.now());
});

/** The indices `n` selects choose among three always-ready cases. */
function choices(n: number): number[] {
  const closed = new Chan<number>();
  closed.close();
  const cases = [recv(closed), recv(closed), recv(closed)];
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(trySelect(cases)?.index ?? -1);
  return out;
}

describe("setSelectSeed", () => {
  it("replays the same choices for the same seed", () => {
    setSelectSeed(42);
    const first = choices(200);
    setSelectSeed(42);
    expect(choices(200)).toEqual(first);
    expect(new Set(first)).toEqual(new Set([0, 1, 2]));
  });

  it("gives different choices for different seeds", () => {
    setSelectSeed(1);
    const one = choices(100);
    setSelectSeed(2);
    expect(choices(100)).not.toEqual(one);
  });

  it("uses only the low 32 bits of the seed, and accepts negative seeds", () => {
    setSelectSeed(5);
    const five = choices(100);
    setSelectSeed(5 + 2 ** 32);
    expect(choices(100)).toEqual(five);
    setSelectSeed(-1);
    const minusOne = choices(100);
    setSelectSeed(2 ** 32 - 1);
    expect(choices(100)).toEqual(minusOne);
  });

  it("rejects a seed that is not an integer with a TypeError naming the value", () => {
    const bad: [unknown, string][] = [
      [1.5, "1.5"],
      [NaN, "NaN"],
      [Infinity, "Infinity"],
      ["7", "7 (string)"],
      [undefined, "undefined"],
      [null, "null"],
      [7n, "7 (bigint)"],
    ];
    for (const [seed, shown] of bad) {
      expect(() => setSelectSeed(seed as number)).toThrow(TypeError);
      expect(() => setSelectSeed(seed as number)).toThrow(`got ${shown}`);
    }
  });
});

describe("random", () => {
  it("returns floats in [0, 1) that spread over the whole range", () => {
    setSelectSeed(9);
    const buckets = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 10_000; i++) {
      const r = random();
      if (!(r >= 0 && r < 1)) outside++;
      else buckets[Math.floor(r * 10)]!++;
    }
    expect(outside).toBe(0);
    for (const b of buckets) expect(b).toBeGreaterThan(800);
  });
});
