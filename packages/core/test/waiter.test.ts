// The waiter (Go's sudog) and its queue: FIFO, O(1) removal of any member, the
// result shapes, abort handling and the hand-off to a select.
import { getEventListeners } from "node:events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MODE_ITER,
  MODE_OK,
  MODE_VALUE,
  MODE_VOID,
  promiseFor,
  shape,
  Waiter,
  WaiterQueue,
  type Selector,
} from "../src/waiter.js";

function drain(q: WaiterQueue): number[] {
  const out: number[] = [];
  let w: Waiter | null;
  while ((w = q.shift()) !== null) out.push(w.index);
  return out;
}

function waiters(n: number): Waiter[] {
  return Array.from({ length: n }, (_, i) => new Waiter(MODE_VALUE, undefined, null, i));
}

describe("WaiterQueue", () => {
  it("is FIFO and counts its members", () => {
    const q = new WaiterQueue();
    expect(q.shift()).toBeNull();
    for (const w of waiters(4)) q.push(w);
    expect(q.size).toBe(4);
    expect(drain(q)).toEqual([0, 1, 2, 3]);
    expect(q.size).toBe(0);
    expect(q.head).toBeNull();
    expect(q.tail).toBeNull();
  });

  it("removes the head, a middle member, the tail and the only member", () => {
    const q = new WaiterQueue();
    const ws = waiters(5);
    for (const w of ws) q.push(w);
    q.remove(ws[2]!);
    q.remove(ws[0]!);
    q.remove(ws[4]!);
    expect(q.size).toBe(2);
    expect(ws[2]!.queue).toBeNull();
    expect(drain(q)).toEqual([1, 3]);
    const single = new WaiterQueue();
    single.push(ws[0]!);
    single.remove(ws[0]!);
    expect([single.head, single.tail, single.size]).toEqual([null, null, 0]);
  });

  it("ignores removal of a waiter it does not hold (already shifted, or in another queue)", () => {
    const a = new WaiterQueue();
    const b = new WaiterQueue();
    const [w0, w1, w2] = waiters(3) as [Waiter, Waiter, Waiter];
    a.push(w0);
    a.push(w1);
    b.push(w2);
    a.remove(w2);
    expect(b.size).toBe(1);
    const shifted = a.shift();
    expect(shifted).toBe(w0);
    a.remove(w0); // no longer a member: must not unlink w1
    expect(a.size).toBe(1);
    expect(drain(a)).toEqual([1]);
    expect(drain(b)).toEqual([2]);
  });

  it("matches an array model under any sequence of push, shift and remove", () => {
    type Op = { kind: "push" } | { kind: "shift" } | { kind: "remove"; at: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.constant({ kind: "push" as const }),
      fc.constant({ kind: "shift" as const }),
      fc.nat(30).map((at) => ({ kind: "remove" as const, at })),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
        const q = new WaiterQueue();
        const model: Waiter[] = [];
        let next = 0;
        for (const o of ops) {
          if (o.kind === "push") {
            const w = new Waiter(MODE_VALUE, undefined, null, next++);
            q.push(w);
            model.push(w);
          } else if (o.kind === "shift") {
            expect(q.shift()).toBe(model.shift() ?? null);
          } else if (model.length > 0) {
            const [w] = model.splice(o.at % model.length, 1);
            q.remove(w!);
          }
          expect(q.size).toBe(model.length);
          expect(q.head).toBe(model[0] ?? null);
          expect(q.tail).toBe(model[model.length - 1] ?? null);
        }
        expect(drain(q)).toEqual(model.map((w) => w.index));
      }),
      { numRuns: 200, seed: 4242 },
    );
  });
});

describe("Waiter", () => {
  it("shapes a completed operation for each mode", async () => {
    expect(shape(MODE_VOID, 1, true)).toBeUndefined();
    expect(shape(MODE_VALUE, 1, true)).toBe(1);
    expect(shape(MODE_OK, 1, false)).toEqual({ value: 1, ok: false });
    expect(shape(MODE_ITER, 1, true)).toEqual({ value: 1, done: false });
    expect(shape(MODE_ITER, "zero", false)).toEqual({ value: undefined, done: true });
    const w = new Waiter(MODE_OK, undefined, null, 0);
    const p = promiseFor<unknown>(w);
    w.complete("v", true);
    expect(await p).toEqual({ value: "v", ok: true });
  });

  it("fail rejects the operation's promise", async () => {
    const w = new Waiter(MODE_VOID, "x", null, 0);
    const p = promiseFor<void>(w);
    const error = new Error("closed");
    w.fail(error);
    await expect(p).rejects.toBe(error);
  });

  it("on abort it leaves its queue and rejects with the reason; on completion it stops listening", async () => {
    const q = new WaiterQueue();
    const [first, aborted, last] = waiters(3) as [Waiter, Waiter, Waiter];
    const promises = [first, aborted, last].map((w) => promiseFor<unknown>(w));
    for (const w of [first, aborted, last]) q.push(w);
    const ac = new AbortController();
    aborted.listen(ac.signal);
    first.listen(ac.signal);
    q.shift();
    first.complete(1, true); // completed before the abort: stops listening
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(1);
    ac.abort("why");
    await expect(promises[1]).rejects.toBe("why");
    expect(await promises[0]).toBe(1);
    expect(drain(q)).toEqual([2]);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
    last.complete(3, true);
    expect(await promises[2]).toBe(3);
  });

  it("a waiter of a select hands completion and failure to its selector, and reports whether it accepted", () => {
    const calls: string[] = [];
    const sel: Selector = {
      fire(w, value, ok) {
        calls.push(`fire ${w.index} ${String(value)} ${String(ok)}`);
        return w.index !== 4;
      },
      fail(w, error) {
        calls.push(`fail ${w.index} ${String(error)}`);
        return w.index !== 5;
      },
    };
    expect(new Waiter(MODE_VALUE, undefined, sel, 2).complete("v", true)).toBe(true);
    expect(new Waiter(MODE_VOID, "x", sel, 3).fail("boom")).toBe(true);
    expect(new Waiter(MODE_VALUE, undefined, sel, 4).complete("w", true)).toBe(false);
    expect(new Waiter(MODE_VOID, "y", sel, 5).fail("bang")).toBe(false);
    expect(calls).toEqual(["fire 2 v true", "fail 3 boom", "fire 4 w true", "fail 5 bang"]);
  });
});
