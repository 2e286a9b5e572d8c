// Error classes carry Go's panic messages and work with instanceof; bad
// arguments are rendered so that messages name them.
import { describe, expect, it } from "vitest";
import {
  Canceled,
  ChanError,
  CloseOfClosedError,
  CloseOfNilError,
  DeadlineExceeded,
  ErrGroupLimitError,
  MAX_CAPACITY,
  NegativeWaitGroupCounterError,
  SendOnClosedError,
  WaitGroup,
  errorString,
} from "@gochan/core";
import { checkCapacity, describe as describeValue } from "../src/errors.js";

describe("error classes", () => {
  it("each is an Error and a ChanError with Go's message and its own name", () => {
    const cases: [Error, string, string][] = [
      [new SendOnClosedError(), "send on closed channel", "SendOnClosedError"],
      [new CloseOfClosedError(), "close of closed channel", "CloseOfClosedError"],
      [new CloseOfNilError(), "close of nil channel", "CloseOfNilError"],
    ];
    for (const [error, message, name] of cases) {
      expect(error).toBeInstanceOf(Error);
      expect(error).toBeInstanceOf(ChanError);
      expect(error.message).toBe(message);
      expect(error.name).toBe(name);
      expect(String(error)).toBe(`${name}: ${message}`);
      expect(error.stack).toContain(name);
    }
    expect(new SendOnClosedError()).not.toBeInstanceOf(CloseOfClosedError);
    expect(new CloseOfNilError()).not.toBeInstanceOf(CloseOfClosedError);
  });
});

describe("describe", () => {
  it("renders values so a message names them and their kind", () => {
    expect(describeValue("3")).toBe('"3"');
    expect(describeValue(3n)).toBe("3n");
    expect(describeValue(-1.5)).toBe("-1.5");
    expect(describeValue(NaN)).toBe("NaN");
    expect(describeValue(true)).toBe("true");
    expect(describeValue(null)).toBe("null");
    expect(describeValue(undefined)).toBe("undefined");
    expect(describeValue(function named() {})).toBe("function named");
    expect(describeValue(() => 1)).toBe("function (anonymous)");
    expect(describeValue({ a: 1 })).toBe('[object Object] {"a":1}');
    expect(describeValue([1, 2])).toBe("[object Array] [1,2]");
    const circular: { self?: unknown } = {};
    circular.self = circular;
    expect(describeValue(circular)).toBe("[object Object]");
  });
});

describe("checkCapacity", () => {
  it("accepts 0 to 2^31-1 and names anything else in a RangeError", () => {
    expect(MAX_CAPACITY).toBe(2 ** 31 - 1);
    for (const ok of [0, 1, 64, MAX_CAPACITY]) expect(checkCapacity(ok)).toBe(ok);
    for (const [bad, shown] of [
      [-1, "-1 (number)"],
      [0.5, "0.5 (number)"],
      [MAX_CAPACITY + 1, "2147483648 (number)"],
      ["1", '"1" (string)'],
      [{}, "[object Object] {} (object)"],
    ] as const) {
      expect(() => checkCapacity(bad)).toThrow(RangeError);
      expect(() => checkCapacity(bad)).toThrow(`got ${shown}`);
    }
  });
});

describe("errorString: errors as Go prints them (issue 16 item 6)", () => {
  it("gives Go's text for every gochan error, while the class name stays on name and instanceof", () => {
    let negative: unknown;
    try {
      new WaitGroup().done();
    } catch (e) {
      negative = e;
    }
    const cases: [unknown, string, string][] = [
      [Canceled, "context canceled", "CanceledError"],
      [DeadlineExceeded, "context deadline exceeded", "DeadlineExceededError"],
      [new SendOnClosedError(), "send on closed channel", "SendOnClosedError"],
      [new CloseOfClosedError(), "close of closed channel", "CloseOfClosedError"],
      [new CloseOfNilError(), "close of nil channel", "CloseOfNilError"],
      [negative, "sync: negative WaitGroup counter", "NegativeWaitGroupCounterError"],
    ];
    for (const [err, text, name] of cases) {
      expect(errorString(err)).toBe(text);
      expect(String(err)).toBe(`${name}: ${text}`);
      expect((err as Error).name).toBe(name);
    }
    expect(negative).toBeInstanceOf(NegativeWaitGroupCounterError);
    expect(ErrGroupLimitError.name).toBe("ErrGroupLimitError");
  });

  it("prints nil as <nil>, any Error or message-bearing object by its message, anything else with String", () => {
    expect(errorString(undefined)).toBe("<nil>");
    expect(errorString(null)).toBe("<nil>");
    expect(errorString(new TypeError("bad"))).toBe("bad");
    expect(errorString({ message: "plain object" })).toBe("plain object");
    expect(errorString({ message: 42 })).toBe("[object Object]");
    expect(errorString("just text")).toBe("just text");
    expect(errorString(7)).toBe("7");
  });
});
