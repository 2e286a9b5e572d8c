// The event-loop fairness policy (checklist item 29), tested with counts: how
// often a timer fires during a busy transfer, how often the policy yields.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Chan,
  configureScheduling,
  getScheduling,
  recv,
  select,
  send,
  trySelect,
  type SchedulingOptions,
} from "@gochan/core";
import { countOp } from "@gochan/core/internal";
import { deferredCount } from "../src/scheduling.js";
import { macrotask } from "./helpers.js";

let saved: Required<SchedulingOptions>;
beforeEach(() => {
  saved = configureScheduling({});
});
afterEach(() => {
  configureScheduling(saved);
});

/** Moves `n` messages across an unbuffered channel; resolves with how many arrived. */
async function transfer(n: number): Promise<number> {
  const ch = new Chan<number>();
  const producer = (async () => {
    for (let i = 0; i < n; i++) await ch.send(i);
    ch.close();
  })();
  let count = 0;
  for await (const _ of ch) count++;
  await producer;
  return count;
}

/** Runs `transfer(n)` while a 0 ms interval counts its firings; the count seen when the transfer ended. */
async function firedDuring(n: number): Promise<number> {
  let fired = 0;
  const timer = setInterval(() => {
    fired++;
  }, 0);
  try {
    expect(await transfer(n)).toBe(n);
    return fired; // read before any further macrotask turn
  } finally {
    clearInterval(timer);
  }
}

describe("event-loop fairness", () => {
  it("item 29: with the default policy a timer keeps firing while 1,000,000 messages cross an unbuffered channel", async () => {
    expect(getScheduling().yieldEvery).toBe(1024);
    expect(await firedDuring(1_000_000)).toBeGreaterThanOrEqual(5);
  });

  it("the default time slice is Go's (10 ms): a busy transfer takes at most one macrotask turn per 10 ms it runs", async () => {
    // Go lets a set of goroutines in a communicate-and-wait pattern run as a unit
    // (runnext inherits the time slice) until sysmon preempts it after 10 ms
    // (forcePreemptNS); the policy gives a busy chain the same slice. A turn needs
    // a full slice since the previous one, so k turns take at least (k - 1) slices.
    expect(getScheduling().timeSlice).toBe(10);
    const before = getScheduling().yields;
    const start = performance.now();
    expect(await transfer(300_000)).toBe(300_000);
    const ran = performance.now() - start;
    const turns = getScheduling().yields - before;
    expect(turns).toBeLessThanOrEqual(Math.floor(ran / 10) + 1);
  });

  it("item 29: with yieldEvery: Infinity the same transfer starves the timer completely (what the policy prevents)", async () => {
    configureScheduling({ yieldEvery: Infinity });
    const yieldsBefore = getScheduling().yields;
    expect(await firedDuring(1_000_000)).toBe(0);
    expect(getScheduling().yields).toBe(yieldsBefore);
  });

  it("getScheduling().yields grows about once per yieldEvery fast-path operations", async () => {
    configureScheduling({ yieldEvery: 100, timeSlice: 0 });
    const before = getScheduling().yields;
    expect(await transfer(10_000)).toBe(10_000);
    const grown = getScheduling().yields - before;
    // Every message completes at least one operation without waiting.
    expect(grown).toBeGreaterThanOrEqual(50);
    expect(grown).toBeLessThanOrEqual(10_000);
  });

  it("a configured macrotask function is the one used to yield", async () => {
    let calls = 0;
    const macro = (fn: () => void): void => {
      calls++;
      setImmediate(fn);
    };
    configureScheduling({ yieldEvery: 64, timeSlice: 0, macrotask: macro });
    expect(getScheduling().macrotask).toBe(macro);
    expect(await transfer(6_400)).toBe(6_400);
    expect(calls).toBeGreaterThanOrEqual(50);
  });

  it("a deferred fast-path completion waits for a macrotask turn, in order, and has already committed", async () => {
    configureScheduling({ yieldEvery: 1, timeSlice: 0 }); // every fast-path completion is deferred
    const ch = new Chan<number>(4);
    const done: number[] = [];
    for (let i = 0; i < 4; i++) void ch.send(i).then(() => done.push(i));
    expect(ch.len).toBe(4); // the values are in the buffer already
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(done).toEqual([]); // only microtasks have run
    await macrotask();
    expect(done).toEqual([0, 1, 2, 3]);

    const ac = new AbortController();
    const r = ch.recv(ac.signal);
    expect(ch.len).toBe(3); // the value was taken synchronously...
    ac.abort("late");
    ch.close();
    expect(await r).toBe(0); // ...so neither the abort nor the close takes it back
  });

  it("a spent budget does not yield while the time slice since the last macrotask turn is not over", async () => {
    configureScheduling({ yieldEvery: 1, timeSlice: 1e12 }); // a slice that never ends
    const yieldsBefore = getScheduling().yields;
    const ch = new Chan<number>(4);
    const done: number[] = [];
    for (let i = 0; i < 4; i++) void ch.send(i).then(() => done.push(i));
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(done).toEqual([0, 1, 2, 3]); // completed on microtasks: no yield
    expect(getScheduling().yields).toBe(yieldsBefore);
  });

  it("yieldEvery: Infinity completes fast-path operations on microtasks only", async () => {
    configureScheduling({ yieldEvery: Infinity });
    const ch = new Chan<number>(1);
    let done = false;
    void ch.send(1).then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(true);
  });
});

/**
 * Counts macrotask turns (a self-renewing setImmediate) while `body` runs; the
 * count seen when `body` ended. While the microtask queue never drains it stays 0.
 */
async function turnsDuring(body: () => Promise<void>): Promise<number> {
  let turns = 0;
  let stopped = false;
  const turn = (): void => {
    if (stopped) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  try {
    await body();
    return turns;
  } finally {
    stopped = true;
  }
}

/**
 * `rounds` round trips between two tasks that each park on a receive and wake
 * the other with `wake`, which must hand the value over at once. The largest
 * number of deferred settlements seen along the way is returned too.
 */
async function pingPong(rounds: number, wake: (ch: Chan<number>, v: number) => void): Promise<number> {
  const ping = new Chan<number>();
  const pong = new Chan<number>();
  let maxDeferred = 0;
  const echo = (async () => {
    for (let r = 0; r < rounds; r++) wake(pong, (await ping.recv()) as number);
  })();
  await macrotask(); // echo is parked on ping
  for (let r = 0; r < rounds; r++) {
    wake(ping, r);
    expect(await pong.recv()).toBe(r);
    maxDeferred = Math.max(maxDeferred, deferredCount());
  }
  await echo;
  return maxDeferred;
}

describe("the budget covers every busy chain (issue 12 item 1)", () => {
  beforeEach(() => {
    configureScheduling({ yieldEvery: 64, timeSlice: 0 });
  });

  const wakers: [string, (ch: Chan<number>, v: number) => void][] = [
    [
      "trySend",
      (ch, v) => {
        expect(ch.trySend(v)).toBe(true);
      },
    ],
    [
      "trySelect",
      (ch, v) => {
        expect(trySelect([send(ch, v)])?.index).toBe(0);
      },
    ],
    [
      "an unawaited send",
      (ch, v) => {
        void ch.send(v);
      },
    ],
  ];
  for (const [name, wake] of wakers) {
    it(`a ping-pong whose partner is woken by ${name} lets macrotasks run, and nothing piles up`, async () => {
      const yieldsBefore = getScheduling().yields;
      let maxDeferred = Infinity;
      const turns = await turnsDuring(async () => {
        maxDeferred = await pingPong(20_000, wake);
      });
      // 40,000 hand-offs with a budget of 64: hundreds of yields, each one a turn.
      expect(getScheduling().yields - yieldsBefore).toBeGreaterThanOrEqual(100);
      expect(turns).toBeGreaterThanOrEqual(100);
      // At most the two tasks' settlements (and an unawaited send's) wait for a flush.
      expect(maxDeferred).toBeLessThanOrEqual(4);
    });
  }

  const failing: [string, () => Promise<unknown>][] = [
    [
      "a send on a closed channel",
      (() => {
        const ch = new Chan<number>();
        ch.close();
        return () => ch.send(1);
      })(),
    ],
    [
      "a receive with an aborted signal",
      (() => {
        const ch = new Chan<number>(1);
        return () => ch.recv(AbortSignal.abort("stop"));
      })(),
    ],
    [
      "a select with an aborted signal",
      (() => {
        const ch = new Chan<number>();
        return () => select([recv(ch)], { signal: AbortSignal.abort("stop") });
      })(),
    ],
    [
      "a select whose case sends on a closed channel",
      (() => {
        const ch = new Chan<number>();
        ch.close();
        return () => select([send(ch, 1)]);
      })(),
    ],
  ];
  for (const [name, op] of failing) {
    it(`a loop over ${name}, which rejects at once, lets macrotasks run`, async () => {
      let rejected = 0;
      const turns = await turnsDuring(async () => {
        for (let i = 0; i < 20_000; i++) {
          await op().catch(() => {
            rejected++;
          });
        }
      });
      expect(rejected).toBe(20_000);
      expect(turns).toBeGreaterThanOrEqual(100);
    });
  }

  it("try operations count against the budget", async () => {
    // Start from a fresh budget: spend a budget of 1, and let the flush reset it.
    configureScheduling({ yieldEvery: 1 });
    const ch = new Chan<number>(1);
    void ch.send(0);
    await macrotask();
    expect(ch.tryRecv()).toEqual({ value: 0, ok: true });
    configureScheduling({ yieldEvery: 65 }); // the tryRecv above counted too
    for (let i = 0; i < 32; i++) {
      expect(ch.trySend(i)).toBe(true);
      expect(ch.tryRecv()).toEqual({ value: i, ok: true });
    }
    // 64 operations counted: the next settlement waits for a macrotask turn.
    let done = false;
    void ch.send(1).then(() => {
      done = true;
    });
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(done).toBe(false);
    await macrotask();
    expect(done).toBe(true);
  });

  it("countOp (for libraries, on @gochan/core/internal) counts against the same budget", async () => {
    configureScheduling({ yieldEvery: 1, timeSlice: 0 });
    const ch = new Chan<number>(1);
    void ch.send(0);
    await macrotask(); // a fresh budget
    configureScheduling({ yieldEvery: 33 });
    for (let i = 0; i < 32; i++) countOp();
    // 32 operations counted: the next settlement is the 33rd and waits for a macrotask turn.
    let done = false;
    void new Chan<number>(1).send(1).then(() => {
      done = true;
    });
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(done).toBe(false);
    await macrotask();
    expect(done).toBe(true);
  });
});

describe("configureScheduling", () => {
  it("returns the previous options, and options left out keep their value", () => {
    const first = getScheduling();
    const previous = configureScheduling({ yieldEvery: 10 });
    expect(previous).toEqual({ yieldEvery: first.yieldEvery, timeSlice: first.timeSlice, macrotask: first.macrotask });
    configureScheduling({});
    expect(getScheduling().yieldEvery).toBe(10);
    expect(getScheduling().macrotask).toBe(first.macrotask);
    configureScheduling({ yieldEvery: Infinity });
    expect(getScheduling().yieldEvery).toBe(Infinity);
  });

  it("rejects a timeSlice that is not a non-negative finite number with a RangeError naming the value", () => {
    const before = getScheduling().timeSlice;
    for (const [value, shown] of [
      [-1, "-1"],
      [NaN, "NaN"],
      [Infinity, "Infinity"],
      ["1", "1 (string)"],
    ] as [unknown, string][]) {
      expect(() => configureScheduling({ timeSlice: value as number })).toThrow(RangeError);
      expect(() => configureScheduling({ timeSlice: value as number })).toThrow(shown);
    }
    expect(getScheduling().timeSlice).toBe(before);
    configureScheduling({ timeSlice: 0 });
    expect(getScheduling().timeSlice).toBe(0);
  });

  it("rejects a yieldEvery that is not a positive integer or Infinity with a RangeError naming the value", () => {
    const before = getScheduling().yieldEvery;
    const bad: [unknown, string][] = [
      [0, "0"],
      [-1, "-1"],
      [1.5, "1.5"],
      [NaN, "NaN"],
      [-Infinity, "-Infinity"],
      ["x", "x (string)"],
      [null, "null"],
    ];
    for (const [value, shown] of bad) {
      let error: unknown;
      try {
        configureScheduling({ yieldEvery: value as number });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toContain(`got ${shown}`);
      expect(getScheduling().yieldEvery).toBe(before);
    }
  });

  it("rejects a macrotask that is not a function with a TypeError", () => {
    expect(() => configureScheduling({ macrotask: 5 as never })).toThrow(TypeError);
    expect(() => configureScheduling({ macrotask: 5 as never })).toThrow(/number/);
  });

  it("a rejected configuration changes nothing, even the options that were valid", () => {
    const before = getScheduling();
    expect(() => configureScheduling({ yieldEvery: 7, macrotask: "soon" as never })).toThrow(TypeError);
    expect(getScheduling().yieldEvery).toBe(before.yieldEvery);
    expect(getScheduling().macrotask).toBe(before.macrotask);
  });
});
