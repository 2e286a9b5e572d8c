/** The depth check: exact on valid JSON, blind to brackets in strings, no recursion. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nestedDeeperThan } from "../src/json-depth.js";

/** Depth of a parsed JSON value, measured with an explicit stack. */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== "object" || v === null) continue;
    max = Math.max(max, d);
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

const bytes = (text: string): Uint8Array => Buffer.from(text, "utf8");

describe("nestedDeeperThan", () => {
  it("measures arrays and objects, not brackets inside strings or escaped quotes", () => {
    expect(nestedDeeperThan(bytes('{"a":[[1]]}'), 2)).toBe(true);
    expect(nestedDeeperThan(bytes('{"a":[[1]]}'), 3)).toBe(false);
    expect(nestedDeeperThan(bytes('{"a":"[[[[{{{{"}'), 1)).toBe(false);
    expect(nestedDeeperThan(bytes('{"a":"\\"[[[["}'), 1)).toBe(false);
    expect(nestedDeeperThan(bytes('{"a\\\\":[{}]}'), 2)).toBe(true);
    expect(nestedDeeperThan(bytes("42"), 1)).toBe(false);
  });

  it("handles a million levels without recursion", () => {
    const deep = "[".repeat(1_000_000) + "]".repeat(1_000_000);
    expect(nestedDeeperThan(bytes(deep), 64)).toBe(true);
    expect(nestedDeeperThan(bytes(deep), 1_000_000)).toBe(false);
  });

  it("agrees with the depth of the parsed value for any JSON text (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 1, max: 10 }), (value, limit) => {
        const text = JSON.stringify(value);
        expect(nestedDeeperThan(bytes(text), limit)).toBe(depthOf(JSON.parse(text)) > limit);
      }),
      { numRuns: 500, seed: 4500 },
    );
  });
});
