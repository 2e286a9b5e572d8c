// fast-check drives a bubble: the bubble's choices come from a shrinkable
// schedule, so a property finds an interleaving that breaks a user's pipeline
// and shrinks it to the smallest one; fc.scheduler() works inside a bubble too.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Chan, go, nilChan, recv, select, type RecvChan } from "@gochan/core";
import * as synctest from "@gochan/core/testing";

/** An input of `n` values tagged with `tag`, all buffered, then closed: always ready. */
function input(tag: string, n: number): Chan<string> {
  const ch = new Chan<string>(n);
  for (let i = 0; i < n; i++) ch.trySend(`${tag}${i}`);
  ch.close();
  return ch;
}

/** A merge with a seeded bug: the second input's close ends the loop even if the first still has values. */
async function buggyMerge(a: RecvChan<string>, b: RecvChan<string>): Promise<string[]> {
  const got: string[] = [];
  let x: RecvChan<string> = a;
  for (;;) {
    const r = await select([recv(x), recv(b)]);
    if (r.index === 0) {
      if (!r.ok) x = nilChan<string>();
      else got.push(r.value);
    } else {
      if (!r.ok) break; // bug: should disable b and go on while a is open
      got.push(r.value);
    }
  }
  return got;
}

/** The same merge, fixed. */
async function merge(a: RecvChan<string>, b: RecvChan<string>): Promise<string[]> {
  const got: string[] = [];
  let x: RecvChan<string> | null = a, y: RecvChan<string> | null = b;
  while (x !== null || y !== null) {
    const r = await select([recv(x), recv(y)]);
    if (r.ok) got.push(r.value);
    else if (r.index === 0) x = null;
    else y = null;
  }
  return got;
}

const sizes = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }));
const schedule = fc.array(fc.nat({ max: 7 }), { maxLength: 20 });

function mergesEverything(fn: typeof merge) {
  return async ([n, m]: [number, number], choices: number[]): Promise<void> => {
    await synctest.test(
      async () => {
        const got = await fn(input("a", n), input("b", m));
        expect(got.slice().sort()).toEqual([...Array.from({ length: n }, (_, i) => `a${i}`), ...Array.from({ length: m }, (_, i) => `b${i}`)]);
      },
      { choices },
    );
  };
}

describe("fast-check properties over a bubble's schedule", () => {
  it("the fixed merge delivers everything under every schedule", async () => {
    await fc.assert(fc.asyncProperty(sizes, schedule, mergesEverything(merge)), { seed: 17, numRuns: 150 });
  });

  it("the seeded bug is found, and shrinks to one value and a one-choice schedule", async () => {
    const result = await fc.check(fc.asyncProperty(sizes, schedule, mergesEverything(buggyMerge)), {
      seed: 17,
      numRuns: 300,
    });
    expect(result.failed).toBe(true);
    // The plainest failure: one value on a, none on b, and one choice: the first
    // select takes b's close (choice 1) over a's value, so a0 is lost.
    expect(result.counterexample).toEqual([[1, 0], [1]]);
  });

  it("the bug does not show under the plainest schedule: exploring choices is what finds it", async () => {
    await mergesEverything(buggyMerge)([3, 3], []);
  });

  it("a failing schedule replays: same input, same failure, every run", async () => {
    for (let i = 0; i < 3; i++) {
      await expect(mergesEverything(buggyMerge)([1, 1], [1, 1])).rejects.toThrow();
    }
  });

  it("fc.scheduler() orders promises inside a bubble, and its releases do not count as blocked", async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const order: string[] = [];
        await synctest.test(async () => {
          const ch = new Chan<string>(2);
          const fetchA = s.schedule(Promise.resolve("a"));
          const fetchB = s.schedule(Promise.resolve("b"));
          go(async () => ch.send(await fetchA));
          go(async () => ch.send(await fetchB));
          await s.waitAll();
          order.push(String(await ch.recv()), String(await ch.recv()));
        });
        expect(order.slice().sort()).toEqual(["a", "b"]);
      }),
      { seed: 3, numRuns: 50 },
    );
  });
});
