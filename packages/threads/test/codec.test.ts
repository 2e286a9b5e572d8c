import { describe, expect, it } from "vitest";
import { decode, encode, TAG_ARRAY, TAG_V8, writeEncoded } from "../src/codec.ts";
import { UncloneableValueError } from "../src/errors.ts";

/** Encodes into a shared buffer and decodes back, as a channel does. */
function roundTrip(value: unknown): unknown {
  const e = encode(value);
  const sab = new SharedArrayBuffer(e.size + 8);
  const u8 = new Uint8Array(sab);
  writeEncoded(u8, new DataView(sab), 3, e);
  return decode(u8, new DataView(sab), 3, e.size);
}

describe("codec", () => {
  it("round-trips primitives, including -0, NaN, empty and non-ASCII strings", () => {
    for (const v of [undefined, null, true, false, 0, -0, 1.5, NaN, -Infinity, "", "héllo ✓ 🧵"]) {
      expect(Object.is(roundTrip(v), v) || roundTrip(v) === v).toBe(true);
    }
  });

  it("arrays of primitives use their own encoding, nested ones too, and come back equal", () => {
    const v = [1, "two", [3, [null, undefined, true]], "", -0];
    expect(encode(v).tag).toBe(TAG_ARRAY);
    const back = roundTrip(v) as unknown[];
    expect(back).toEqual(v);
    expect(Object.is(back[4], -0)).toBe(true);
  });

  it("arrays with anything else, holes or deep nesting go through structured clone, unchanged", () => {
    const holes = [1, , 3]; // eslint-disable-line no-sparse-arrays
    const withObject = [1, { a: 2 }];
    const deep = [[[[[[1]]]]]];
    const extra = Object.assign([1, 2], { note: "x" });
    for (const v of [holes, withObject, deep]) {
      expect(encode(v).tag).toBe(TAG_V8);
      expect(roundTrip(v)).toEqual(v);
    }
    expect(1 in (roundTrip(holes) as unknown[])).toBe(false);
    // a named property on an array is not an element: structured clone keeps it, so must we
    expect((roundTrip(extra) as { note?: string }).note).toBe("x");
  });

  it("refuses functions and class instances inside arrays, naming the element", () => {
    expect(() => encode([1, () => 2])).toThrow(UncloneableValueError);
    class Point {
      x = 1;
    }
    try {
      encode([[0, new Point()]]);
      expect.unreachable();
    } catch (e) {
      expect((e as UncloneableValueError).path).toBe("value[0][1]");
    }
  });
});
