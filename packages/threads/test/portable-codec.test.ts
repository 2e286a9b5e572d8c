import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { UncloneableValueError } from "../src/errors.ts";
import { portableDeserialize, portableSerialize } from "../src/portable-codec.ts";

/** The portable codec's round trip, as a browser thread would do it. */
const roundTrip = (v: unknown): unknown => portableDeserialize(portableSerialize(v));

/** Values of every kind portable-codec.ts claims to reproduce, nested. */
const leaf = fc.oneof(
  fc.constantFrom(undefined, null, true, false, -0, NaN, Infinity, ""),
  fc.double(),
  fc.string({ unit: "grapheme" }),
  fc.bigInt(),
  fc.date({ noInvalidDate: false }),
  fc.constantFrom(/a+b/gi, /x/y),
  fc.uint8Array().map((a) => a.buffer),
  fc.int16Array(),
  fc.float64Array(),
  fc.bigInt64Array(),
  fc.uint8Array().map((a) => new DataView(a.buffer, a.length > 2 ? 1 : 0)),
  fc.constantFrom(Object(1) as object, Object("s") as object, Object(false) as object, Object(3n) as object),
  fc.string().map((m) => new RangeError(m)),
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.sparseArray(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.string(), tie("value"), { maxKeys: 4 }),
    fc.array(fc.tuple(tie("value"), tie("value")), { maxLength: 3 }).map((kv) => new Map(kv)),
    fc.array(tie("value"), { maxLength: 3 }).map((vs) => new Set(vs)),
  ),
}));

describe("portable codec (browsers: structured clone without node:v8)", () => {
  it("gives back what structured clone gives back, for random nested values", () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(roundTrip(v)).toStrictEqual(structuredClone(v));
      }),
      { seed: 13, numRuns: 300 },
    );
  });

  it("keeps shared references and cycles, and a view's buffer shared with the view", () => {
    const shared = { n: 1 };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.self = cyclic;
    const buf = new ArrayBuffer(8);
    const back = roundTrip({ cyclic, a: new Uint8Array(buf, 2, 3), b: new Int16Array(buf), buf }) as {
      cyclic: Record<string, unknown>;
      a: Uint8Array;
      b: Int16Array;
      buf: ArrayBuffer;
    };
    expect(back.cyclic.self).toBe(back.cyclic);
    expect(back.cyclic.again).toBe(back.cyclic.shared);
    expect(back.a.buffer).toBe(back.buf);
    expect(back.b.buffer).toBe(back.buf);
    expect([back.a.byteOffset, back.a.length, back.b.length]).toEqual([2, 3, 4]);
  });

  it("keeps an own __proto__ key as data, and errors' class, message, stack and cause", () => {
    const o = JSON.parse('{"__proto__": {"polluted": 1}}') as object;
    const back = roundTrip(o) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(["__proto__"]);
    const e = new TypeError("bad", { cause: { code: 7 } });
    const eb = roundTrip(e) as TypeError;
    expect(eb).toBeInstanceOf(TypeError);
    expect([eb.message, eb.stack, eb.cause]).toEqual(["bad", e.stack, { code: 7 }]);
  });

  it("refuses views of shared memory, naming where they are", () => {
    const sab = new SharedArrayBuffer(8);
    expect(() => portableSerialize({ rows: [new Int32Array(sab)] })).toThrow(UncloneableValueError);
    try {
      portableSerialize({ rows: [new Int32Array(sab)] });
    } catch (e) {
      expect((e as UncloneableValueError).path).toBe("value.rows[0]");
    }
  });
});

describe("codec.ts where there is no node:v8", () => {
  it("encodes with the portable codec, round-trips through shared memory, and still refuses by name", async () => {
    const original = process.getBuiltinModule;
    vi.resetModules();
    (process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;
    let codec: typeof import("../src/codec.ts");
    let errors: typeof import("../src/errors.ts");
    try {
      codec = await import("../src/codec.ts");
      errors = await import("../src/errors.ts");
    } finally {
      process.getBuiltinModule = original;
      vi.resetModules();
    }
    const v = { when: new Date(5), tags: new Set(["a"]), n: 10n };
    const e = codec.encode(v);
    expect(e.tag).toBe(codec.TAG_PORTABLE);
    const sab = new SharedArrayBuffer(e.size + 4);
    codec.writeEncoded(new Uint8Array(sab), new DataView(sab), 2, e);
    expect(codec.decode(new Uint8Array(sab), new DataView(sab), 2, e.size)).toStrictEqual(v);
    class Point {
      x = 1;
    }
    expect(() => codec.encode({ p: new Point() })).toThrow(errors.UncloneableValueError);
  });
});
