import { describe, expect, it } from "vitest";
import { Pool, type PoolOptions } from "@gochan/pool";

const make = (options: unknown): Pool => new Pool(options as PoolOptions);

describe("Pool options: validation names the option, the value and its type", () => {
  it.each([
    ["maxWorkers", "8", /maxWorkers must be an integer from 1 to 2147483647, got "8" \(string\)/],
    ["maxWorkers", 0, /maxWorkers must be .*got 0 \(number\)/],
    ["maxWorkers", -1, /got -1 \(number\)/],
    ["maxWorkers", 1.5, /got 1\.5 \(number\)/],
    ["maxWorkers", Number.NaN, /got NaN \(number\)/],
    ["maxWorkers", Infinity, /got Infinity \(number\)/],
    ["maxWorkers", undefined, /maxWorkers .*got undefined \(undefined\)/],
    ["maxWorkers", null, /got null \(null\)/],
    ["maxQueue", "1000", /maxQueue must be an integer from 1 to 2147483647, got "1000" \(string\)/],
    ["maxQueue", 0, /maxQueue .*got 0 \(number\)/],
    ["maxQueue", 2 ** 31, /maxQueue .*got 2147483648 \(number\)/],
    ["maxQueue", 10n, /maxQueue .*got 10n \(bigint\)/],
  ])("%s = %o is a RangeError", (name, value, message) => {
    const options = { maxWorkers: 2, maxQueue: 2, [name]: value };
    expect(() => make(options)).toThrow(RangeError);
    expect(() => make(options)).toThrow(message);
  });

  it("the seed's os.Getenv strings are refused, not coerced (flaw 7)", () => {
    expect(() => make({ maxWorkers: "8", maxQueue: "100" })).toThrow(/new Pool: maxWorkers .*"8" \(string\)/);
  });

  it.each([
    [-1, /idleTimeout must be a number of milliseconds from 0 to 2147483647, or Infinity, got -1 \(number\)/],
    [Number.NaN, /got NaN/],
    [2 ** 31, /got 2147483648/],
    ["10", /got "10" \(string\)/],
  ])("idleTimeout = %o is a RangeError", (value, message) => {
    expect(() => make({ maxWorkers: 1, maxQueue: 1, idleTimeout: value })).toThrow(RangeError);
    expect(() => make({ maxWorkers: 1, maxQueue: 1, idleTimeout: value })).toThrow(message);
  });

  it("accepts the documented ranges and defaults", async () => {
    for (const idleTimeout of [0, 1, 2 ** 31 - 1, Infinity, undefined]) {
      const pool = make({ maxWorkers: 1, maxQueue: 2 ** 31 - 1, idleTimeout });
      expect(pool.maxQueue).toBe(2 ** 31 - 1);
      await pool.stop();
    }
  });

  it("non-object options, a non-signal and non-function hooks are TypeErrors", () => {
    expect(() => make(undefined)).toThrow(TypeError);
    expect(() => make(8)).toThrow(/options must be an object with maxWorkers and maxQueue, got 8 \(number\)/);
    expect(() => make({ maxWorkers: 1, maxQueue: 1, signal: {} })).toThrow(/signal must be an AbortSignal/);
    expect(() => make({ maxWorkers: 1, maxQueue: 1, onError: "log" })).toThrow(/onError must be a function, got "log"/);
    expect(() => make({ maxWorkers: 1, maxQueue: 1, onEvent: 1 })).toThrow(/onEvent must be a function, got 1/);
  });
});

describe("job and group options", () => {
  it("a bad job or bad job options throw synchronously, whatever the pool's state", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const bad = "not a function" as unknown as () => void;
    expect(() => pool.submit(bad)).toThrow(/submit: job must be a function, got "not a function" \(string\)/);
    expect(() => pool.trySubmit(bad)).toThrow(TypeError);
    expect(() => pool.go(bad)).toThrow(TypeError);
    expect(() => pool.submit(() => 1, { timeout: -5 })).toThrow(/submit: timeout must be .*got -5 \(number\)/);
    expect(() => pool.submit(() => 1, { signal: "x" as unknown as AbortSignal })).toThrow(TypeError);
    expect(() => pool.submit(() => 1, 3 as unknown as object)).toThrow(/options must be an object/);
    expect(() => pool.group({ failFast: "yes" as unknown as boolean })).toThrow(/failFast must be a boolean/);
    const group = pool.group();
    expect(() => group.submit(bad)).toThrow(/group.submit: job must be a function/);
    expect(pool.metrics().submitted).toBe(0);
    await pool.stop();
    expect(() => pool.submit(bad)).toThrow(TypeError);
  });

  it("resize validates like maxWorkers", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    expect(() => pool.resize(0)).toThrow(/resize: maxWorkers must be an integer from 1 to 2147483647, got 0 \(number\)/);
    expect(() => pool.resize("4" as unknown as number)).toThrow(/got "4" \(string\)/);
    expect(pool.maxWorkers).toBe(1);
    await pool.stop();
  });
});
