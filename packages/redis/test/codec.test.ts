import { describe, expect, it } from "vitest";
import { jsonCodec, SerializationError, RedisChanError } from "@gochan/redis";

describe("jsonCodec", () => {
  const codec = jsonCodec<unknown>();

  it("round-trips plain JSON values", () => {
    const value = { id: "a", n: 1.5, ok: true, none: null, list: [1, "two", { three: 3 }], nested: { deep: [] } };
    expect(codec.decode(codec.encode(value))).toEqual(value);
  });

  it("drops undefined object properties (an absent optional property)", () => {
    expect(codec.decode(codec.encode({ a: 1, b: undefined }))).toEqual({ a: 1 });
  });

  it.each([
    ["a function", { f: () => 1 }, "value.f"],
    ["a symbol", [Symbol("s")], "value[0]"],
    ["a bigint", { n: 1n }, "value.n"],
    ["NaN", { n: Number.NaN }, "value.n"],
    ["Infinity", [1, Number.POSITIVE_INFINITY], "value[1]"],
    ["undefined at the top", undefined, "value"],
    ["undefined in an array", [undefined], "value[0]"],
    ["a Date", { payloads: [{ when: new Date(0) }] }, "value.payloads[0].when"],
    ["a Map", new Map(), "value"],
    ["a class instance", { x: new (class Point {})() }, "value.x"],
  ])("refuses %s, naming where it is", (_, value, path) => {
    let caught: unknown;
    try {
      codec.encode(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SerializationError);
    expect(caught).toBeInstanceOf(RedisChanError);
    expect((caught as SerializationError).path).toBe(path);
    expect((caught as Error).message).toContain(path);
  });

  it("refuses cycles but accepts a shared (acyclic) object twice", () => {
    const shared = { x: 1 };
    expect(codec.decode(codec.encode({ a: shared, b: shared }))).toEqual({ a: { x: 1 }, b: { x: 1 } });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => codec.encode(cyclic)).toThrow(/cycle/);
  });

  it("accepts objects with a null prototype", () => {
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(codec.decode(codec.encode(bare))).toEqual({ a: 1 });
  });
});
