// Unit tests of select against the Go checklist (/work/shared/go-semantics.md),
// items 20-27, plus promise and AbortSignal cases, the typed result, a seeded
// statistical fairness check and the leak check of a select loop over a
// never-settling promise.
import { getEventListeners } from "node:events";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  Chan,
  SendOnClosedError,
  nilChan,
  recv,
  select,
  send,
  setSelectSeed,
  trySelect,
  type SelectCase,
} from "@gochan/core";
import { macrotask, stateOf } from "./helpers.js";

/** A promise with its resolvers (Node 20 has no Promise.withResolvers). */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Pearson's chi-square statistic of `counts` against a uniform distribution. */
function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

afterEach(() => {
  // Later tests must not depend on where an earlier one left the generator.
  setSelectSeed(Date.now());
});

describe("select: Go's rules", () => {
  it("item 20: send values are taken when the case is made, not when it fires", async () => {
    const ch = new Chan<number[]>();
    const first = [1];
    let value = first;
    const sel = select([send(ch, value)]);
    value = [2];
    expect(await ch.recv()).toBe(first);
    expect(await sel).toEqual({ index: 0, value: undefined, ok: true });
    expect(value).toEqual([2]);
  });

  it("item 20: every case's send value is evaluated exactly once, in source order, whichever case is chosen", async () => {
    const log: string[] = [];
    const val = (name: string, v: number): number => {
      log.push(name);
      return v;
    };
    const a = new Chan<number>(1);
    const b = new Chan<number>(1);
    const c = new Chan<number>(); // never ready
    const r = await select([send(a, val("a", 1)), send(c, val("c", 3)), send(b, val("b", 2))]);
    expect(log).toEqual(["a", "c", "b"]);
    expect([0, 2]).toContain(r.index);
    expect(a.len + b.len).toBe(1); // exactly one was sent
  });

  it("item 20: a function sent in a send case is the value itself, not a thunk", async () => {
    const ch = new Chan<() => string>(1);
    let calls = 0;
    const fn = (): string => {
      calls++;
      return "called";
    };
    await select([send(ch, fn)]);
    expect(await ch.recv()).toBe(fn);
    expect(calls).toBe(0);
  });

  it("item 21: only ready cases are chosen, and each ready case is chosen sometimes", async () => {
    setSelectSeed(2024);
    const ready = new Chan<number>(1);
    const alsoReady = new Chan<number>(1);
    const idle = new Chan<number>();
    const counts = [0, 0, 0];
    for (let i = 0; i < 300; i++) {
      ready.trySend(1);
      alsoReady.trySend(2);
      const r = await select([recv(idle), recv(ready), recv(alsoReady)]);
      counts[r.index]!++;
    }
    expect(counts[0]).toBe(0);
    expect(counts[1]).toBeGreaterThan(0);
    expect(counts[2]).toBeGreaterThan(0);
    expect(idle.trySend(0)).toBe(false);
  });

  it("item 21: uniform choice among 4 always-ready cases (seeded, 40,000 selects, chi-square)", async () => {
    setSelectSeed(0x5eed);
    const chans = [0, 1, 2, 3].map(() => new Chan<number>(1));
    for (const [i, ch] of chans.entries()) ch.trySend(i);
    const cases = chans.map((ch) => recv(ch));
    const counts = [0, 0, 0, 0];
    let mismatched = 0;
    for (let n = 0; n < 40_000; n++) {
      const r = await select(cases);
      if (r.value !== r.index) mismatched++;
      counts[r.index]!++;
      chans[r.index]!.trySend(r.index); // refill: every case stays ready
    }
    expect(mismatched).toBe(0);
    // 3 degrees of freedom: P(chi2 > 25) is about 1.5e-5 for a uniform choice.
    expect(chiSquare(counts)).toBeLessThan(25);
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it("item 21: duplicates on one channel count separately (seeded, chi-square)", async () => {
    setSelectSeed(77);
    const a = new Chan<string, string>(0, { zero: "a" });
    const b = new Chan<string, string>(0, { zero: "b" });
    a.close(); // closed channels are always ready
    b.close();
    const counts = [0, 0, 0];
    for (let n = 0; n < 30_000; n++) {
      const r = trySelect([recv(a), recv(a), recv(b)]);
      if (r === undefined) throw new Error("a closed channel is always ready");
      counts[r.index]!++;
    }
    // Uniform over the three cases, so channel a is chosen two times in three.
    expect(chiSquare(counts)).toBeLessThan(25);
    expect(Math.abs(counts[0]! + counts[1]! - 20_000)).toBeLessThan(600);
  });

  it("item 21: uniform across case kinds: receive, send, closed receive, aborted signal, settled promise", async () => {
    setSelectSeed(99);
    const full = new Chan<number>(1);
    const empty = new Chan<number>(1);
    const closed = new Chan<number>();
    closed.close();
    const aborted = AbortSignal.abort("reason");
    const settled = Promise.resolve("done");
    await select([settled]); // select can see a promise settled only after it has watched it once
    const counts = [0, 0, 0, 0, 0];
    for (let n = 0; n < 25_000; n++) {
      full.trySend(1);
      empty.tryRecv();
      const r = await select([recv(full), send(empty, 2), recv(closed), aborted, settled]);
      counts[r.index]!++;
    }
    // 4 degrees of freedom: P(chi2 > 30) is about 5e-6 for a uniform choice.
    expect(chiSquare(counts)).toBeLessThan(30);
  });

  it("item 22: a receive from a closed channel is ready and yields (zero, ok = false)", async () => {
    const idle = new Chan<number>();
    const closed = new Chan<number, number>(0, { zero: -1 });
    closed.close();
    expect(await select([recv(idle), recv(closed)])).toEqual({ index: 1, value: -1, ok: false });
    expect(trySelect([recv(idle), recv(closed)])).toEqual({ index: 1, value: -1, ok: false });
    expect(idle.trySend(1)).toBe(false);
  });

  it("item 22: a send to a closed channel is ready, and the select then rejects with SendOnClosedError", async () => {
    const idle = new Chan<number>();
    const closed = new Chan<number>();
    closed.close();
    await expect(select([recv(idle), send(closed, 1)])).rejects.toBeInstanceOf(SendOnClosedError);
    expect(() => trySelect([recv(idle), send(closed, 1)])).toThrow(SendOnClosedError);
    expect(idle.trySend(1)).toBe(false);

    // Ready like any other case: chosen about as often as a ready receive.
    setSelectSeed(5);
    const ready = new Chan<number>(1);
    let failed = 0;
    for (let i = 0; i < 400; i++) {
      if (ready.len === 0) ready.trySend(i); // refill after the receive case was chosen
      try {
        await select([recv(ready), send(closed, 1)]);
      } catch (e) {
        expect(e).toBeInstanceOf(SendOnClosedError);
        failed++;
      }
    }
    expect(failed).toBeGreaterThan(120);
    expect(failed).toBeLessThan(280);
  });

  it("item 23: nil cases (null, undefined, nilChan()) are never ready", async () => {
    const nil = nilChan<number>();
    const nilCases = [recv(null), recv(undefined), recv(nil), send(null, 1), send(undefined, 1), send(nil, 1)];
    expect(trySelect(nilCases)).toBeUndefined();
    const ac = new AbortController();
    const sel = select(nilCases, { signal: ac.signal });
    expect(await stateOf(sel)).toBe("pending");
    ac.abort("done waiting");
    await expect(sel).rejects.toBe("done waiting");

    const ready = new Chan<number>(1);
    for (let i = 0; i < 50; i++) {
      ready.trySend(i);
      expect(await select([...nilCases, recv(ready)])).toEqual({ index: 6, value: i, ok: true });
    }
  });

  it("item 23: select([]) and a select of only nil cases block forever", async () => {
    expect(await stateOf(select([]))).toBe("pending");
    expect(await stateOf(select([recv(nilChan<number>()), send(null, 1)]))).toBe("pending");
    expect(trySelect([])).toBeUndefined();
    const ac = new AbortController();
    const forever = select([], { signal: ac.signal });
    expect(await stateOf(forever)).toBe("pending");
    ac.abort("stop");
    await expect(forever).rejects.toBe("stop");
  });

  it("item 24: trySelect is select with default: undefined only when no case can proceed, and then changes nothing", async () => {
    const a = new Chan<number>(1);
    const b = new Chan<number>(); // unbuffered, no receiver
    const cases = [recv(a), send(b, 1)] as const;
    expect(trySelect(cases)).toBeUndefined();
    expect(a.len).toBe(0);
    const waiting = b.recv();
    expect(trySelect(cases)).toEqual({ index: 1, value: undefined, ok: true }); // a receiver appeared
    expect(await waiting).toBe(1);
    for (let i = 0; i < 50; i++) {
      a.trySend(i);
      expect(trySelect(cases)).toEqual({ index: 0, value: i, ok: true });
      expect(trySelect(cases)).toBeUndefined();
    }
  });

  it("item 25: trySelect is fully synchronous: its result and its effects are there before it returns", () => {
    const ch = new Chan<number>(10);
    for (let i = 0; i < 10; i++) ch.trySend(i);
    const got: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = trySelect([recv(ch)]);
      expect(r).not.toBeInstanceOf(Promise);
      expect(ch.len).toBe(9 - i);
      got.push(r?.value as number);
    }
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(trySelect([recv(ch)])).toBeUndefined();
    // A send case hands its value to a waiting receiver at once.
    const un = new Chan<string>();
    const waiting = un.recv();
    expect(trySelect([send(un, "now")])?.index).toBe(0);
    return expect(waiting).resolves.toBe("now");
  });

  it("item 26: exactly one case commits, and a woken select withdraws from its other channels", async () => {
    const a = new Chan<number>();
    const b = new Chan<number>();
    const c = new Chan<string>();
    const sel = select([recv(a), recv(b), send(c, "never delivered")]);
    expect(await stateOf(sel)).toBe("pending");
    expect(a.trySend(1)).toBe(true);
    expect(b.trySend(2)).toBe(false); // the select no longer waits on b
    expect(c.tryRecv()).toBeUndefined(); // nor offers its value on c
    expect(await sel).toEqual({ index: 0, value: 1, ok: true });
    // b and c still deliver their next value to a later receiver.
    const rb = b.recv();
    expect(b.trySend(3)).toBe(true);
    expect(await rb).toBe(3);
    const sc = c.send("next");
    expect(await c.recv()).toBe("next");
    await sc;
  });

  it("item 26: duplicate cases on one channel withdraw together", async () => {
    const a = new Chan<number>();
    const sel = select([recv(a), recv(a)]);
    await macrotask();
    expect(a.trySend(1)).toBe(true);
    expect(a.trySend(2)).toBe(false);
    expect((await sel).value).toBe(1);
  });

  it("item 26: many parked selects on shared channels: nothing is consumed twice or lost", async () => {
    const a = new Chan<number>();
    const b = new Chan<number>();
    const sels = Array.from({ length: 20 }, () => select([recv(a), recv(b)]));
    const delivered: number[] = [];
    for (let v = 0; v < 100; v++) {
      const target = v % 2 === 0 ? a : b;
      if (target.trySend(v)) delivered.push(v);
    }
    expect(delivered).toHaveLength(20); // one value per select, then no receiver is left
    const results = await Promise.all(sels);
    expect(results.map((r) => r.value)).toEqual(delivered);
    for (const r of results) expect(r.index).toBe((r.value as number) % 2);
    expect(a.trySend(0)).toBe(false);
    expect(b.trySend(0)).toBe(false);
  });

  it("item 26: a select that committed but has not resumed is not reinterpreted by a later close", async () => {
    const a = new Chan<number>();
    const b = new Chan<number>();
    const sel = select([recv(a), send(b, 9)]);
    expect(a.trySend(1)).toBe(true);
    a.close();
    b.close();
    expect(await sel).toEqual({ index: 0, value: 1, ok: true });
  });

  it("item 27: a select never pairs its own send with its own receive on the same channel", async () => {
    const ch = new Chan<number>();
    expect(trySelect([send(ch, 1), recv(ch)])).toBeUndefined();
    const sel = select([send(ch, 1), recv(ch)]);
    expect(await stateOf(sel)).toBe("pending");
    expect(await ch.recv()).toBe(1); // an outside receiver pairs with the send case
    expect(await sel).toEqual({ index: 0, value: undefined, ok: true });
    expect(ch.trySend(5)).toBe(false); // and its receive case was withdrawn

    const sel2 = select([send(ch, 1), recv(ch)]);
    await macrotask();
    expect(ch.trySend(7)).toBe(true); // an outside sender pairs with the receive case
    expect(await sel2).toEqual({ index: 1, value: 7, ok: true });
    expect(ch.tryRecv()).toBeUndefined(); // and its send case was withdrawn
  });

  it("item 27: a select waiting to send and receive on one channel is woken by close through its receive case", async () => {
    const ch = new Chan<number, number>(0, { zero: -1 });
    const sel = select([send(ch, 1), recv(ch)]);
    await macrotask();
    ch.close(); // Go releases receivers first; the select's send case is withdrawn, not failed
    expect(await sel).toEqual({ index: 1, value: -1, ok: false });
  });
});

describe("select: promise and AbortSignal cases", () => {
  it("a promise case is ready once it resolves, with its value; the other cases are withdrawn", async () => {
    const ch = new Chan<number>();
    const d = deferred<string>();
    const sel = select([recv(ch), d.promise]);
    expect(await stateOf(sel)).toBe("pending");
    d.resolve("resolved");
    expect(await sel).toEqual({ index: 1, value: "resolved", ok: true });
    expect(ch.trySend(1)).toBe(false);
    expect(await select([Promise.resolve(3)])).toEqual({ index: 0, value: 3, ok: true });
  });

  it("a rejected promise case rejects the select with its reason", async () => {
    const ch = new Chan<number>();
    const d = deferred<string>();
    const reason = new Error("failed");
    const sel = select([recv(ch), d.promise]);
    d.reject(reason);
    await expect(sel).rejects.toBe(reason);
    expect(ch.trySend(1)).toBe(false);
    await expect(select([Promise.reject(reason)])).rejects.toBe(reason);
  });

  it("a rejected promise that is not chosen is handled (no unhandled rejection) and does not disturb the select", async () => {
    const ready = new Chan<number>(1);
    ready.trySend(1);
    const rejected = Promise.reject(new Error("ignored"));
    const d = deferred<number>();
    const sel = select([recv(ready), d.promise]);
    expect(await sel).toEqual({ index: 0, value: 1, ok: true });
    d.reject(new Error("later"));
    ready.trySend(2);
    // First sight of `rejected`: select cannot know yet that it settled, so the receive is chosen.
    expect(trySelect([recv(ready), rejected])).toEqual({ index: 0, value: 2, ok: true });
    await macrotask();
  });

  it("thenables work as promise cases", async () => {
    const now: PromiseLike<number> = {
      then(onFulfilled) {
        return Promise.resolve(onFulfilled?.(9) as never);
      },
    };
    expect(await select([now])).toEqual({ index: 0, value: 9, ok: true });
    const failing: PromiseLike<number> = {
      then(_onFulfilled, onRejected) {
        return Promise.resolve(onRejected?.("thenable failed") as never);
      },
    };
    await expect(select([failing])).rejects.toBe("thenable failed");
  });

  it("trySelect sees a promise as settled only once select has watched it", async () => {
    const p = Promise.resolve("v");
    expect(trySelect([p])).toBeUndefined(); // first sight: state unknown synchronously
    expect(await select([p])).toEqual({ index: 0, value: "v", ok: true });
    expect(trySelect([p])).toEqual({ index: 0, value: "v", ok: true });
  });

  it("an AbortSignal case is ready once aborted, with the reason as its value", async () => {
    const ch = new Chan<number>();
    const ac = new AbortController();
    const sel = select([recv(ch), ac.signal]);
    expect(await stateOf(sel)).toBe("pending");
    const reason = new Error("deadline");
    ac.abort(reason);
    expect(await sel).toEqual({ index: 1, value: reason, ok: true });
    expect(ch.trySend(1)).toBe(false);
    const done = AbortSignal.abort("early");
    expect(await select([recv(ch), done])).toEqual({ index: 1, value: "early", ok: true });
    expect(trySelect([recv(ch), done])).toEqual({ index: 1, value: "early", ok: true });
  });

  it("select's own signal withdraws every case: nothing is received or sent", async () => {
    const a = new Chan<number>();
    const b = new Chan<string>();
    const d = deferred<number>();
    const ac = new AbortController();
    const sel = select([recv(a), send(b, "withdrawn"), d.promise], { signal: ac.signal });
    expect(await stateOf(sel)).toBe("pending");
    const reason = new Error("cancelled");
    ac.abort(reason);
    await expect(sel).rejects.toBe(reason);
    expect(a.trySend(1)).toBe(false);
    expect(b.tryRecv()).toBeUndefined();
    d.resolve(1); // settles nothing a second time
    await macrotask();
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });

  it("an already aborted select signal rejects at once, even with a ready case, and consumes nothing", async () => {
    const a = new Chan<number>(1);
    a.trySend(1);
    const done = AbortSignal.abort("before");
    await expect(select([recv(a)], { signal: done })).rejects.toBe("before");
    expect(a.len).toBe(1);
  });

  it("a select that completes leaves no listener on its signal", async () => {
    const ac = new AbortController();
    const ch = new Chan<number>();
    for (let i = 0; i < 100; i++) {
      const sel = select([recv(ch)], { signal: ac.signal });
      ch.trySend(i);
      expect((await sel).value).toBe(i);
    }
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });

  it("a bad case is a TypeError naming the value and its position", async () => {
    const ch = new Chan<number>(1);
    const p = select([recv(ch), 42 as unknown as SelectCase]);
    await expect(p).rejects.toBeInstanceOf(TypeError);
    await expect(p).rejects.toThrow(/case 1 .*got 42/);
    expect(() => trySelect(["x" as unknown as SelectCase])).toThrow(/case 0 .*got "x"/);
    expect(() => trySelect([null as unknown as SelectCase])).toThrow(TypeError);
    expect(() => recv({ len: 0 } as never)).toThrow(/recv: expected a channel, got .*"len":0/);
    expect(() => send(5 as never, 1)).toThrow(/send: expected a channel, got 5/);
    expect(ch.len).toBe(0);
  });

  it("the result is a union discriminated by index", async () => {
    const nums = new Chan<number>(1);
    const words = new Chan<string>(1);
    const zeroed = new Chan<number, -1>(1, { zero: -1 });
    await nums.send(7);
    const r = await select([recv(nums), send(words, "hi"), Promise.resolve(true), AbortSignal.abort(), recv(zeroed)]);
    expectTypeOf(r.index).toEqualTypeOf<0 | 1 | 2 | 3 | 4>();
    if (r.index === 0) {
      expectTypeOf(r.value).toEqualTypeOf<number | undefined>();
      if (r.ok) expectTypeOf(r.value).toEqualTypeOf<number>();
      else expectTypeOf(r.value).toEqualTypeOf<undefined>();
    } else if (r.index === 1) {
      expectTypeOf(r.value).toEqualTypeOf<undefined>();
      expectTypeOf(r.ok).toEqualTypeOf<true>();
    } else if (r.index === 2) {
      expectTypeOf(r.value).toEqualTypeOf<boolean>();
    } else if (r.index === 3) {
      expectTypeOf(r.value).toEqualTypeOf<unknown>();
    } else {
      expectTypeOf(r.index).toEqualTypeOf<4>();
      if (!r.ok) expectTypeOf(r.value).toEqualTypeOf<-1>();
    }
    expect([0, 1, 3]).toContain(r.index); // the promise is only seen settled from the next select on
    const dynamic: SelectCase[] = [recv(nums)];
    expectTypeOf(trySelect(dynamic)).toEqualTypeOf<{ index: number; value: unknown; ok: boolean } | undefined>();
  });
});

describe("select runs no user code between poll and commit (issue 12 item 3)", () => {
  /** A thenable whose `then` getter takes the value out of `ch` the first time it is read. */
  function thief(ch: Chan<number>): { thenable: PromiseLike<never>; reads: () => number } {
    let reads = 0;
    const thenable = {
      get then() {
        if (reads++ === 0) ch.tryRecv();
        return (): void => {}; // never settles
      },
    } as unknown as PromiseLike<never>;
    return { thenable, reads: () => reads };
  }

  it("trySelect: a then getter that takes the value polled ready does not make it report that receive", () => {
    const ch = new Chan<number>(1);
    expect(ch.trySend(1)).toBe(true);
    const { thenable, reads } = thief(ch);
    expect(trySelect([recv(ch), thenable])).toBeUndefined(); // the value is gone: default
    expect(reads()).toBe(1);
    expect(ch.len).toBe(0);
  });

  it("select: the same case waits for a real value instead", async () => {
    const ch = new Chan<number>(1);
    expect(ch.trySend(1)).toBe(true);
    const { thenable, reads } = thief(ch);
    const r = select([recv(ch), thenable]);
    expect(await stateOf(r)).toBe("pending");
    await ch.send(2);
    expect(await r).toEqual({ index: 0, value: 2, ok: true });
    expect(reads()).toBe(1);
  });

  it("a promise case's then is read once, however many selects poll it", async () => {
    const ch = new Chan<number>();
    const { thenable, reads } = thief(ch);
    for (let i = 0; i < 5; i++) expect(trySelect([recv(ch), thenable])).toBeUndefined();
    const parked = select([recv(ch), thenable]);
    expect(ch.trySend(3)).toBe(true);
    expect(await parked).toEqual({ index: 0, value: 3, ok: true });
    expect(reads()).toBe(1);
  });
});

describe("select: memory", () => {
  it("1,000,000 selects on the same never-settling promise (and a ready channel) keep the heap flat", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const never = new Promise<never>(() => {});
    const ch = new Chan<number>(1);
    const loop = async (n: number): Promise<number> => {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        ch.trySend(1);
        const r = await select([recv(ch), never]);
        sum += r.value as number;
      }
      return sum;
    };
    expect(await loop(20_000)).toBe(20_000); // warm up: JIT, the promise's watch
    gc();
    const before = process.memoryUsage().heapUsed;
    expect(await loop(1_000_000)).toBe(1_000_000);
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    expect(growth).toBeLessThan(2 * 1024 * 1024);
  });

  it("1,000,000 selects that park on a never-settling promise and are woken by a channel keep the heap flat", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const never = new Promise<never>(() => {});
    const ch = new Chan<number>();
    const loop = async (n: number): Promise<number> => {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const sel = select([recv(ch), never]); // nothing ready: parks on both
        ch.trySend(1); // wakes it; it withdraws from the promise's watch
        sum += (await sel).value as number;
      }
      return sum;
    };
    expect(await loop(20_000)).toBe(20_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    expect(await loop(1_000_000)).toBe(1_000_000);
    gc();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(2 * 1024 * 1024);
  });
});
