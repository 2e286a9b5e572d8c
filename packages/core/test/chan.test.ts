// Unit tests of channels against the Go checklist (/work/shared/go-semantics.md),
// items 1-19 and 32-35. Each test is named after the item it checks.
import { getEventListeners } from "node:events";
import { describe, expect, it, vi } from "vitest";
import {
  Chan,
  ChanError,
  CloseOfClosedError,
  CloseOfNilError,
  MAX_CAPACITY,
  SendOnClosedError,
  ThenableValueError,
  isChan,
  makeChan,
  nilChan,
  recv,
  select,
  send,
  trySelect,
  type RecvChan,
  type SendChan,
} from "@gochan/core";
import { macrotask, stateOf } from "./helpers.js";

/** The error `fn` throws (fails the test if it throws nothing). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("creation", () => {
  it("item 1: capacity 0 (default) or a positive integer up to 2^31-1 is accepted", async () => {
    expect(new Chan<number>().cap).toBe(0);
    expect(new Chan<number>(0).cap).toBe(0);
    expect(new Chan<number>(7).cap).toBe(7);
    const huge = new Chan<number>(MAX_CAPACITY);
    expect(huge.cap).toBe(2 ** 31 - 1);
    // A huge channel costs nothing until filled, and works like any buffered one.
    for (let i = 0; i < 100; i++) await huge.send(i);
    expect(huge.len).toBe(100);
    expect(await huge.recv()).toBe(0);
  });

  it("item 1: a negative, NaN, fractional, infinite, too large or non-number capacity is a RangeError naming the value", () => {
    const bad: [unknown, string][] = [
      [-1, "-1"],
      [NaN, "NaN"],
      [1.5, "1.5"],
      [Infinity, "Infinity"],
      [-Infinity, "-Infinity"],
      [2 ** 31, "2147483648"],
      ["3", '"3"'],
      [null, "null"],
      [3n, "3n"],
    ];
    for (const [capacity, shown] of bad) {
      const e = thrown(() => new Chan<number>(capacity as number));
      expect(e).toBeInstanceOf(RangeError);
      expect((e as Error).message).toContain(`got ${shown}`);
      expect((e as Error).message).toContain("makechan: size out of range");
    }
  });

  it("item 2: send and receive on the nil channel never settle", async () => {
    const nil = nilChan<number>();
    expect(await stateOf(nil.send(1))).toBe("pending");
    expect(await stateOf(nil.recv())).toBe("pending");
    expect(await stateOf(nil.recvOk())).toBe("pending");
    // Non-blocking forms see a channel that is never ready.
    expect(nil.trySend(1)).toBe(false);
    expect(nil.tryRecv()).toBeUndefined();
  });

  it("item 2: close of the nil channel throws CloseOfNilError; len = cap = 0", () => {
    const nil = nilChan<string>();
    const e = thrown(() => nil.close());
    expect(e).toBeInstanceOf(CloseOfNilError);
    expect(e).toBeInstanceOf(ChanError);
    expect((e as Error).message).toBe("close of nil channel");
    expect(nil.len).toBe(0);
    expect(nil.cap).toBe(0);
    // Still nil (not closed) afterwards.
    expect(nil.tryRecv()).toBeUndefined();
    expect(() => nil.close()).toThrow(CloseOfNilError);
  });

  it("item 2: ranging over the nil channel blocks forever, and its signal still ends it", async () => {
    const nil = nilChan<number>();
    const plain = (async () => {
      for await (const _ of nil) return "got a value";
      return "ended";
    })();
    expect(await stateOf(plain)).toBe("pending");

    const ac = new AbortController();
    const reason = new Error("stop ranging");
    const stopped = (async () => {
      for await (const _ of nil.range({ signal: ac.signal })) return "got a value";
      return "ended";
    })();
    expect(await stateOf(stopped)).toBe("pending");
    ac.abort(reason);
    await expect(stopped).rejects.toBe(reason);
  });

  it("item 2: an AbortSignal still aborts a nil send or receive, at once if already aborted", async () => {
    const nil = nilChan<number>();
    const ac = new AbortController();
    const s = nil.send(1, ac.signal);
    const r = nil.recv(ac.signal);
    const ro = nil.recvOk(ac.signal);
    expect(await stateOf(s)).toBe("pending");
    const reason = new Error("give up");
    ac.abort(reason);
    await expect(s).rejects.toBe(reason);
    await expect(r).rejects.toBe(reason);
    await expect(ro).rejects.toBe(reason);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);

    const done = AbortSignal.abort("already");
    await expect(nil.send(1, done)).rejects.toBe("already");
    await expect(nil.recv(done)).rejects.toBe("already");
  });

  it("item 3: channels compare by identity, and views are the same channel", () => {
    const a = new Chan<number>();
    const b = new Chan<number>();
    expect(a).not.toBe(b);
    expect(a === b).toBe(false);
    const asSend: SendChan<number> = a;
    const asRecv: RecvChan<number> = a;
    expect(asSend === (a as unknown)).toBe(true);
    expect(asRecv === (a as unknown)).toBe(true);
    const seen = new Set<unknown>([a, asSend, asRecv, b]);
    expect(seen.size).toBe(2);
    expect(nilChan<number>()).toBe(nilChan<string>());
    expect(isChan(a)).toBe(true);
    expect(isChan(nilChan())).toBe(true);
    expect(isChan({ send() {}, recv() {} })).toBe(false);
  });

  it("item 4: a channel works through its send-only and receive-only views; a send-only view may close", async () => {
    const ch = new Chan<number>(1);
    const out: SendChan<number> = ch;
    const inn: RecvChan<number> = ch;
    await out.send(5);
    expect(out.len).toBe(1);
    expect(inn.len).toBe(1);
    expect(inn.cap).toBe(1);
    expect(await inn.recv()).toBe(5);
    expect(out.trySend(6)).toBe(true);
    expect(inn.tryRecv()).toEqual({ value: 6, ok: true });
    out.close();
    expect(await inn.recvOk()).toEqual({ value: undefined, ok: false });
    // The compile-time restrictions are in chan.types.test.ts.
  });

  it("item 5: elements can be any type: channels of channels, undefined, null, functions, symbols", async () => {
    // chan chan int: a request carries its own reply channel.
    const requests = new Chan<Chan<number>>();
    const server = (async () => {
      for await (const reply of requests) await reply.send(reply.cap * 10);
    })();
    const reply = new Chan<number>(4);
    await requests.send(reply);
    expect(await reply.recv()).toBe(40);
    requests.close();
    await server;

    const anything = new Chan<unknown>(8);
    const obj = { deep: [1, 2] };
    const fn = (): number => 1;
    const sym = Symbol("s");
    const values: unknown[] = [undefined, null, 0, "", NaN, obj, fn, sym, new Chan<number>()];
    const got: unknown[] = [];
    const receiver = (async () => {
      for (let i = 0; i < values.length; i++) got.push((await anything.recvOk()).value);
    })();
    for (const v of values) await anything.send(v);
    await receiver;
    expect(got).toHaveLength(values.length);
    for (let i = 0; i < values.length; i++) expect(Object.is(got[i], values[i])).toBe(true);
  });

  it("item 5: undefined is a real element: ok is true for a sent undefined", async () => {
    const ch = new Chan<undefined>(2);
    await ch.send(undefined);
    ch.close();
    expect(await ch.recvOk()).toEqual({ value: undefined, ok: true });
    expect(await ch.recvOk()).toEqual({ value: undefined, ok: false });
  });
});

describe("waiter queues made on first park", () => {
  it("what parks on a fresh channel stays on that channel: another fresh one sees no peer", async () => {
    const ac = new AbortController();
    const fresh = (): Chan<number> => new Chan<number>();
    // Every way an operation parks on a channel that has never had a waiter.
    const [r, s, rs, ss] = [fresh(), fresh(), fresh(), fresh()];
    const signal = ac.signal;
    const parked = [
      r.recv(signal),
      s.send(1, signal),
      select([recv(rs)], { signal }),
      select([send(ss, 2)], { signal }),
    ];
    for (const p of parked) p.catch(() => {});
    const other = fresh();
    expect(other.trySend(3)).toBe(false); // no receiver leaked into a shared queue
    expect(other.tryRecv()).toBeUndefined(); // no sender either
    expect(trySelect([recv(other), send(other, 4)])).toBeUndefined();
    // Each parked operation is where it was parked.
    expect(r.trySend(5)).toBe(true);
    expect(s.tryRecv()).toEqual({ value: 1, ok: true });
    expect(rs.trySend(6)).toBe(true);
    expect(ss.tryRecv()).toEqual({ value: 2, ok: true });
    expect(await parked[0]).toBe(5);
    expect(await parked[2]).toEqual({ index: 0, value: 6, ok: true });
    ac.abort();
  });

  it("a channel's name and zero value are kept only when given, and read back either way", async () => {
    const plain = new Chan<number>(2);
    const named = new Chan<number, number>(0, { name: "jobs", zero: -1 });
    expect([plain.name, plain.cap, String(plain)]).toEqual([undefined, 2, "chan 0/2"]);
    expect([named.name, named.cap, String(named)]).toEqual(["jobs", 0, "chan(jobs) 0/0"]);
    named.close();
    plain.close();
    expect(await named.recv()).toBe(-1);
    expect(await plain.recvOk()).toEqual({ value: undefined, ok: false });
  });
});

describe("makeChan (issue 16 item 1)", () => {
  it("makes a channel whose closed, drained receive gives the zero value", async () => {
    const ch = makeChan<number>(2, { zero: 0, name: "counts" });
    expect(ch).toBeInstanceOf(Chan);
    expect([ch.cap, ch.name]).toEqual([2, "counts"]);
    await ch.send(7);
    ch.close();
    expect(await ch.recv()).toBe(7);
    expect(await ch.recv()).toBe(0);
    expect(await ch.recvOk()).toEqual({ value: 0, ok: false });
  });

  it("without a zero it is new Chan: undefined once closed", async () => {
    const ch = makeChan<string>();
    expect(ch.cap).toBe(0);
    ch.close();
    expect(await ch.recv()).toBeUndefined();
  });

  it("rejects a bad capacity like new Chan, naming it", () => {
    expect(() => makeChan<number>(-1, { zero: 0 })).toThrow(RangeError);
    expect(() => makeChan<number>(-1, { zero: 0 })).toThrow(/got -1/);
  });
});

describe("send", () => {
  it("item 6: the value is evaluated once, before communication; later changes do not reach the receiver", async () => {
    const ch = new Chan<{ n: number }>();
    let evaluations = 0;
    const make = (): { n: number } => {
      evaluations++;
      return { n: 1 };
    };
    let value = make();
    const sent = ch.send(value);
    value = make(); // rebinding the variable does not change what is being sent
    expect(evaluations).toBe(2);
    const got = await ch.recv();
    expect(got?.n).toBe(1);
    expect(got).not.toBe(value);
    await sent;
    // A throwing value expression never reaches the channel.
    const throwing = (): { n: number } => {
      throw new Error("boom");
    };
    expect(() => ch.send(throwing())).toThrow("boom");
    expect(ch.tryRecv()).toBeUndefined();
  });

  it("item 7: an unbuffered send completes only when a receiver has taken the value", async () => {
    const ch = new Chan<string>();
    const sent = ch.send("ping");
    expect(await stateOf(sent)).toBe("pending");
    expect(ch.len).toBe(0);
    expect(await ch.recv()).toBe("ping");
    expect(await stateOf(sent)).toBe("resolved");

    // Receiver first: the send finds it waiting and completes.
    const got = ch.recv();
    expect(await stateOf(got)).toBe("pending");
    await ch.send("pong");
    expect(await got).toBe("pong");
  });

  it("item 8: a buffered send completes at once while len < cap, else blocks", async () => {
    const ch = new Chan<number>(2);
    expect(await stateOf(ch.send(1))).toBe("resolved");
    expect(await stateOf(ch.send(2))).toBe("resolved");
    expect(ch.len).toBe(2);
    const third = ch.send(3);
    expect(await stateOf(third)).toBe("pending");
    expect(ch.len).toBe(2);
    expect(await ch.recv()).toBe(1);
    expect(await stateOf(third)).toBe("resolved");
  });

  it("item 8: with a receiver waiting, the buffer is empty and the value goes straight to it", async () => {
    const ch = new Chan<number>(3);
    const got = ch.recv();
    expect(ch.trySend(9)).toBe(true);
    expect(ch.len).toBe(0); // never went through the buffer
    expect(await got).toBe(9);
  });

  it("item 9: send on a closed channel rejects with SendOnClosedError carrying Go's message; trySend throws it", async () => {
    const ch = new Chan<number>(1);
    ch.close();
    const e = await ch.send(1).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SendOnClosedError);
    expect(e).toBeInstanceOf(ChanError);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toBe("send on closed channel");
    expect((e as Error).name).toBe("SendOnClosedError");
    expect(() => ch.trySend(1)).toThrow(SendOnClosedError);
    expect(ch.len).toBe(0);
  });

  it("item 9: senders blocked when the channel closes reject, and their values are never delivered", async () => {
    const ch = new Chan<string, string>(1, { zero: "" });
    await ch.send("kept");
    const b = ch.send("lost b");
    const c = ch.send("lost c");
    expect(await stateOf(b)).toBe("pending");
    ch.close();
    await expect(b).rejects.toBeInstanceOf(SendOnClosedError);
    await expect(c).rejects.toBeInstanceOf(SendOnClosedError);
    expect(await ch.recvOk()).toEqual({ value: "kept", ok: true });
    expect(await ch.recvOk()).toEqual({ value: "", ok: false });
    expect(ch.len).toBe(0);

    const unbuffered = new Chan<number>();
    const s = unbuffered.send(1);
    unbuffered.close();
    await expect(s).rejects.toBeInstanceOf(SendOnClosedError);
    expect(await unbuffered.recvOk()).toEqual({ value: undefined, ok: false });
  });

  it("item 10: blocked senders are served first-in, first-out", async () => {
    const ch = new Chan<number>();
    const completed: number[] = [];
    const sends = [0, 1, 2, 3, 4].map((i) => ch.send(i).then(() => completed.push(i)));
    const got: number[] = [];
    for (let i = 0; i < 5; i++) got.push((await ch.recv()) as number);
    await Promise.all(sends);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(completed).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("receive", () => {
  it("item 11: a receive blocks until a value is available, and the channel is a FIFO queue", async () => {
    const ch = new Chan<number>(5);
    const first = ch.recv();
    expect(await stateOf(first)).toBe("pending");
    for (let i = 1; i <= 5; i++) await ch.send(i);
    expect(await first).toBe(1);
    const got: number[] = [];
    await ch.send(6);
    for (let i = 0; i < 5; i++) got.push((await ch.recv()) as number);
    expect(got).toEqual([2, 3, 4, 5, 6]);
  });

  it("item 12: with the buffer full and senders waiting, the first sender's value moves to the tail", async () => {
    const ch = new Chan<number>(2);
    await ch.send(1);
    await ch.send(2);
    const completed: number[] = [];
    const senders = [3, 4, 5].map((v) => ch.send(v).then(() => completed.push(v)));
    expect(ch.len).toBe(2);
    expect(await ch.recv()).toBe(1);
    expect(ch.len).toBe(2); // 3 moved into the buffer
    await macrotask();
    expect(completed).toEqual([3]); // its send completed; 4 and 5 still wait
    const rest: number[] = [];
    for (let i = 0; i < 4; i++) rest.push((await ch.recv()) as number);
    expect(rest).toEqual([2, 3, 4, 5]);
    await Promise.all(senders);
    expect(completed).toEqual([3, 4, 5]);
    expect(ch.len).toBe(0);
  });

  it("item 13: a closed channel delivers its buffered values, then the user-supplied zero with ok = false forever", async () => {
    const zero = { empty: true };
    const ch = new Chan<{ n: number }, typeof zero>(3, { zero });
    await ch.send({ n: 1 });
    await ch.send({ n: 2 });
    ch.close();
    expect(await ch.recvOk()).toEqual({ value: { n: 1 }, ok: true });
    expect(ch.tryRecv()).toEqual({ value: { n: 2 }, ok: true });
    for (let i = 0; i < 3; i++) {
      const r = await ch.recvOk();
      expect(r.ok).toBe(false);
      expect(r.value).toBe(zero);
      expect(await ch.recv()).toBe(zero);
      const t = ch.tryRecv();
      expect(t?.ok).toBe(false);
      expect(t?.value).toBe(zero);
    }
    // The default zero is undefined.
    const plain = new Chan<number>();
    plain.close();
    expect(await plain.recvOk()).toEqual({ value: undefined, ok: false });
  });

  it("item 14: blocked receivers are woken first-in, first-out", async () => {
    const ch = new Chan<number>();
    const order: string[] = [];
    const receivers = [0, 1, 2, 3].map((i) =>
      ch.recv().then((v) => {
        order.push(`r${i}=${String(v)}`);
      }),
    );
    for (let v = 10; v < 14; v++) expect(ch.trySend(v)).toBe(true);
    await Promise.all(receivers);
    expect(order).toEqual(["r0=10", "r1=11", "r2=12", "r3=13"]);
  });

  it("item 15: ok is true only for a value delivered by a send, even one equal to the zero value", async () => {
    const ch = new Chan<number, number>(2, { zero: 0 });
    await ch.send(0);
    expect(await ch.recvOk()).toEqual({ value: 0, ok: true }); // a sent 0

    const waiting = ch.recvOk();
    ch.close();
    expect(await waiting).toEqual({ value: 0, ok: false });
    expect(await ch.recvOk()).toEqual({ value: 0, ok: false });
  });
});

describe("close", () => {
  it("item 16: close of a closed channel throws CloseOfClosedError synchronously and changes nothing", async () => {
    const ch = new Chan<number>(2);
    await ch.send(1);
    expect(ch.close()).toBeUndefined();
    const e = thrown(() => ch.close());
    expect(e).toBeInstanceOf(CloseOfClosedError);
    expect(e).toBeInstanceOf(ChanError);
    expect((e as Error).message).toBe("close of closed channel");
    expect(await ch.recvOk()).toEqual({ value: 1, ok: true });
    expect(await ch.recvOk()).toEqual({ value: undefined, ok: false });
  });

  it("item 16: close never blocks, even with senders and receivers waiting", async () => {
    const a = new Chan<number>();
    const senders = [a.send(1), a.send(2)];
    const b = new Chan<number>();
    const receivers = [b.recv(), b.recv()];
    expect(a.close()).toBeUndefined(); // returns synchronously
    expect(b.close()).toBeUndefined();
    for (const s of senders) await expect(s).rejects.toBeInstanceOf(SendOnClosedError);
    expect(await Promise.all(receivers)).toEqual([undefined, undefined]);
  });

  it("item 17: close wakes every blocked receiver with (zero, false), including a receive case in a select", async () => {
    const ch = new Chan<number, number>(0, { zero: -1 });
    const other = new Chan<number>();
    const r1 = ch.recv();
    const r2 = ch.recvOk();
    const sel = select([recv(other), recv(ch)]);
    ch.close();
    expect(await r1).toBe(-1);
    expect(await r2).toEqual({ value: -1, ok: false });
    expect(await sel).toEqual({ index: 1, value: -1, ok: false });
    // The select withdrew from `other`: nobody waits there any more.
    expect(other.trySend(1)).toBe(false);
  });

  it("item 17: close wakes every blocked sender with SendOnClosedError, including a send case in a select", async () => {
    const ch = new Chan<number>();
    const other = new Chan<number>();
    const s1 = ch.send(1);
    const sel = select([recv(other), send(ch, 2)]);
    const s3 = ch.send(3);
    ch.close();
    await expect(s1).rejects.toBeInstanceOf(SendOnClosedError);
    await expect(sel).rejects.toBeInstanceOf(SendOnClosedError);
    await expect(s3).rejects.toBeInstanceOf(SendOnClosedError);
    expect(other.trySend(1)).toBe(false);
    expect(await ch.recvOk()).toEqual({ value: undefined, ok: false });
  });

  it("item 17: an operation that committed before close is not reinterpreted by it", async () => {
    const ch = new Chan<number>();
    const r = ch.recvOk();
    expect(ch.trySend(1)).toBe(true); // r has committed but not yet resumed
    const s = ch.send(2);
    expect(ch.tryRecv()).toEqual({ value: 2, ok: true }); // s has committed too
    ch.close();
    expect(await r).toEqual({ value: 1, ok: true });
    await expect(s).resolves.toBeUndefined();
  });
});

describe("len and cap", () => {
  it("item 18: len counts buffered items only (cap 2 with 3 blocked senders: len 2); 0 <= len <= cap", async () => {
    const ch = new Chan<number>(2);
    expect([ch.len, ch.cap]).toEqual([0, 2]);
    await ch.send(1);
    expect(ch.len).toBe(1);
    await ch.send(2);
    const blocked = [ch.send(3), ch.send(4), ch.send(5)];
    expect([ch.len, ch.cap]).toEqual([2, 2]);
    for (let i = 0; i < 5; i++) {
      await ch.recv();
      expect(ch.len).toBeGreaterThanOrEqual(0);
      expect(ch.len).toBeLessThanOrEqual(ch.cap);
    }
    await Promise.all(blocked);
    expect(ch.len).toBe(0);

    const unbuffered = new Chan<number>();
    const waiting = [unbuffered.send(1), unbuffered.send(2)];
    expect([unbuffered.len, unbuffered.cap]).toEqual([0, 0]);
    unbuffered.close();
    await Promise.allSettled(waiting);
  });

  it("item 18: after close, len still counts what is left to drain and cap is unchanged", async () => {
    const ch = new Chan<number>(3);
    await ch.send(1);
    await ch.send(2);
    ch.close();
    expect([ch.len, ch.cap]).toEqual([2, 3]);
    await ch.recv();
    expect(ch.len).toBe(1);
    await ch.recv();
    await ch.recv();
    expect([ch.len, ch.cap]).toEqual([0, 3]);
  });

  it("trySend and tryRecv are the non-blocking forms (a one-case select with default)", () => {
    const ch = new Chan<number>(1);
    expect(ch.tryRecv()).toBeUndefined();
    expect(ch.trySend(1)).toBe(true);
    expect(ch.trySend(2)).toBe(false); // full: would block
    expect(ch.len).toBe(1);
    expect(ch.tryRecv()).toEqual({ value: 1, ok: true });
    expect(ch.tryRecv()).toBeUndefined();
    const unbuffered = new Chan<number>();
    expect(unbuffered.trySend(1)).toBe(false); // no receiver
    expect(unbuffered.tryRecv()).toBeUndefined(); // no sender
  });
});

describe("range", () => {
  it("item 19: for await ends once the channel is closed and drained", async () => {
    const ch = new Chan<number>();
    const producer = (async () => {
      for (let i = 0; i < 5; i++) await ch.send(i);
      ch.close();
    })();
    const got: number[] = [];
    for await (const v of ch) got.push(v);
    await producer;
    expect(got).toEqual([0, 1, 2, 3, 4]);

    const buffered = new Chan<string>(3);
    await buffered.send("a");
    await buffered.send("b");
    buffered.close();
    const letters: string[] = [];
    for await (const v of buffered.range()) letters.push(v);
    expect(letters).toEqual(["a", "b"]);
  });

  it("item 19: for await never reads ahead: a value sent after the loop body started is still there after break", async () => {
    const ch = new Chan<number>();
    void ch.send(1);
    let late: Promise<void> | undefined;
    for await (const v of ch) {
      expect(v).toBe(1);
      late = ch.send(2); // a read-ahead receiver would already have taken it
      await macrotask();
      break;
    }
    expect(await stateOf(late as Promise<void>)).toBe("pending");
    expect(ch.tryRecv()).toEqual({ value: 2, ok: true });
    await late;
  });

  it("item 19: break neither consumes a value nor closes the channel", async () => {
    const ch = new Chan<number>(3);
    for (const v of [1, 2, 3]) await ch.send(v);
    for await (const v of ch) {
      expect(v).toBe(1);
      break;
    }
    expect(ch.len).toBe(2);
    expect(ch.closed).toBe(false);
    expect(ch.trySend(4)).toBe(true);
    const rest: number[] = [];
    ch.close();
    for await (const v of ch) rest.push(v);
    expect(rest).toEqual([2, 3, 4]);
  });

  it("item 19: two loops over one channel share its values, each value to exactly one loop", async () => {
    const ch = new Chan<number>();
    const a: number[] = [];
    const b: number[] = [];
    const loops = [
      (async () => {
        for await (const v of ch) a.push(v);
      })(),
      (async () => {
        for await (const v of ch) b.push(v);
      })(),
    ];
    for (let i = 0; i < 100; i++) await ch.send(i);
    ch.close();
    await Promise.all(loops);
    expect([...a, ...b].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
  });

  it("item 19: range({ signal }) ends the loop by throwing the reason, consuming nothing more", async () => {
    const ch = new Chan<number>();
    const ac = new AbortController();
    const got: number[] = [];
    const loop = (async () => {
      for await (const v of ch.range({ signal: ac.signal })) got.push(v);
    })();
    await ch.send(1);
    await macrotask();
    const reason = new Error("cancelled");
    ac.abort(reason);
    await expect(loop).rejects.toBe(reason);
    expect(got).toEqual([1]);
    expect(ch.trySend(2)).toBe(false); // the loop left no receiver behind

    const buffered = new Chan<number>(2);
    await buffered.send(1);
    const early = (async () => {
      for await (const v of buffered.range({ signal: AbortSignal.abort("before") })) got.push(v);
    })();
    await expect(early).rejects.toBe("before");
    expect(buffered.len).toBe(1);
  });
});

describe("AbortSignal on blocking operations", () => {
  it("an aborted send withdraws: it rejects with the reason and its value is never delivered", async () => {
    const ch = new Chan<string>();
    const ac = new AbortController();
    const s = ch.send("withdrawn", ac.signal);
    expect(await stateOf(s)).toBe("pending");
    const reason = new Error("no longer");
    ac.abort(reason);
    await expect(s).rejects.toBe(reason);
    expect(ch.tryRecv()).toBeUndefined();
    const later = ch.recv();
    await ch.send("next");
    expect(await later).toBe("next");
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });

  it("an aborted receive withdraws: it rejects with the reason and does not swallow a later value", async () => {
    const ch = new Chan<number>();
    const ac = new AbortController();
    const r = ch.recv(ac.signal);
    const ro = ch.recvOk(ac.signal);
    ac.abort("stop");
    await expect(r).rejects.toBe("stop");
    await expect(ro).rejects.toBe("stop");
    expect(ch.trySend(1)).toBe(false); // no receiver left waiting
    const buffered = new Chan<number>(1);
    const ac2 = new AbortController();
    const r2 = buffered.recv(ac2.signal);
    ac2.abort();
    await expect(r2).rejects.toBe(ac2.signal.reason);
    expect(buffered.trySend(7)).toBe(true);
    expect(buffered.len).toBe(1); // went to the buffer, not to the aborted receiver
    expect(await buffered.recv()).toBe(7);
  });

  it("an already aborted signal rejects at once with signal.reason and takes or gives nothing", async () => {
    const done = AbortSignal.abort(new Error("early"));
    const ch = new Chan<number>(1);
    await expect(ch.send(1, done)).rejects.toBe(done.reason);
    expect(ch.len).toBe(0);
    await ch.send(2);
    await expect(ch.recv(done)).rejects.toBe(done.reason);
    await expect(ch.recvOk(done)).rejects.toBe(done.reason);
    expect(ch.len).toBe(1);
  });

  it("a value is never both delivered and reported aborted", async () => {
    // Receive: completes, then its signal aborts in the same tick.
    const ch = new Chan<number>();
    const ac = new AbortController();
    const r = ch.recv(ac.signal);
    expect(ch.trySend(42)).toBe(true);
    ac.abort("too late");
    expect(await r).toBe(42);

    // Send: taken, then its signal aborts in the same tick.
    const ac2 = new AbortController();
    const s = ch.send(43, ac2.signal);
    expect(ch.tryRecv()).toEqual({ value: 43, ok: true });
    ac2.abort("too late");
    await expect(s).resolves.toBeUndefined();

    // Abort first: the value stays with the sender side, nothing is received twice.
    const ac3 = new AbortController();
    const r3 = ch.recv(ac3.signal);
    ac3.abort("first");
    expect(ch.trySend(44)).toBe(false);
    await expect(r3).rejects.toBe("first");
  });

  it("a signal shared by many completed operations keeps no listener behind", async () => {
    const ac = new AbortController();
    const ch = new Chan<number>();
    for (let i = 0; i < 200; i++) {
      const r = ch.recv(ac.signal);
      const s = ch.send(i, ac.signal);
      expect(await r).toBe(i);
      await s;
    }
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });
});

describe("one abort listener per signal (issue 12 item 5)", () => {
  it("20 operations parked on one signal add one listener, and abort withdraws them all in order", async () => {
    const ac = new AbortController();
    const a = new Chan<number>();
    const b = new Chan<number>();
    const c = new Chan<number>();
    const parked: Promise<unknown>[] = [];
    const order: number[] = [];
    for (let i = 0; i < 20; i++) {
      const p =
        i % 4 === 0 ? select([recv(a), recv(c)], { signal: ac.signal }) : i % 2 ? a.recv(ac.signal) : b.send(i, ac.signal);
      parked.push(p.catch((e: unknown) => order.push(i) && e));
    }
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(1);
    ac.abort("stop");
    expect(await Promise.all(parked)).toEqual(Array.from({ length: 20 }, () => "stop"));
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
    expect(a.trySend(1)).toBe(false); // every receiver withdrew
    expect(b.tryRecv()).toBeUndefined(); // every sender withdrew
  });

  it("the listener goes with the last operation, whichever order they complete in", async () => {
    const ac = new AbortController();
    const ch = new Chan<number>();
    const rs = Array.from({ length: 12 }, () => ch.recv(ac.signal));
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(1);
    for (let i = 0; i < 12; i++) expect(ch.trySend(i)).toBe(true);
    expect(await Promise.all(rs)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });

  it("a user listener that runs first and re-enters completes one receive; abort withdraws the rest; nothing is lost", async () => {
    const ac = new AbortController();
    const ch = new Chan<string>();
    ac.signal.addEventListener("abort", () => {
      expect(ch.trySend("sent by the listener")).toBe(true);
    });
    const rs = [ch.recv(ac.signal), ch.recv(ac.signal), ch.recv(ac.signal)];
    ac.abort("stop");
    const settled = await Promise.allSettled(rs);
    expect(settled.map((r) => (r.status === "fulfilled" ? r.value : r.reason))).toEqual([
      "sent by the listener",
      "stop",
      "stop",
    ]);
    expect(ch.tryRecv()).toBeUndefined();
  });
});

describe("values with a then property (issue 12 item 2)", () => {
  it("recv() refuses a thenable and consumes nothing; recvOk() then delivers it unchanged", async () => {
    const ch = new Chan<{ then(): void }>(1);
    const thenable = { then(): void {} }; // adopting it would never settle
    await ch.send(thenable);
    await expect(ch.recv()).rejects.toBeInstanceOf(ThenableValueError);
    expect(ch.len).toBe(1);
    expect(await ch.recvOk()).toEqual({ value: thenable, ok: true });
    expect((await stateOf(ch.recvOk())) === "pending").toBe(true);
  });

  it("a Chan<Promise<number>> gives the promise itself to recvOk, tryRecv, select, trySelect and for await", async () => {
    const ch = new Chan<Promise<number>>(5);
    const ps = Array.from({ length: 5 }, (_, i) => (i === 2 ? Promise.reject(new Error("kept")) : Promise.resolve(i)));
    ps[2]!.catch(() => {});
    for (const p of ps) await ch.send(p);
    await expect(ch.recv()).rejects.toBeInstanceOf(ThenableValueError);
    const got: unknown[] = [];
    got.push(((await ch.recvOk()) as { value: unknown }).value);
    got.push(ch.tryRecv()?.value);
    got.push((await select([recv(ch)])).value);
    got.push(trySelect([recv(ch)])?.value);
    await ch.send(ps[0]!);
    ch.close();
    for await (const p of ch) got.push(p);
    expect(got).toHaveLength(6);
    got.forEach((p, i) => expect(p).toBe(ps[i % 5]));
  });

  it("a parked recv() refuses a thenable without reading then; the value goes to the next receiver", async () => {
    let reads = 0;
    const value = {
      get then(): undefined {
        reads++;
        return undefined;
      },
    };
    const ch = new Chan<typeof value>();
    const plain = ch.recv();
    const ok = ch.recvOk();
    expect(ch.trySend(value)).toBe(true);
    expect(reads).toBe(0); // no user code ran inside the send
    await expect(plain).rejects.toBeInstanceOf(ThenableValueError);
    expect((await ok).value).toBe(value);
    expect(reads).toBe(0);
  });

  it("a thenable zero value: recv() refuses it, recvOk() gives it with ok = false", async () => {
    const zero = Promise.resolve("zero");
    const ch = new Chan<Promise<string>, Promise<string>>(0, { zero });
    const parked = ch.recv();
    ch.close();
    await expect(parked).rejects.toBeInstanceOf(ThenableValueError);
    await expect(ch.recv()).rejects.toBeInstanceOf(ThenableValueError);
    const r = await ch.recvOk();
    expect(r.ok).toBe(false);
    expect(r.value).toBe(zero);
  });

  it("objects without then are received by recv() as they are", async () => {
    const ch = new Chan<object>(1);
    const v = { thenable: false };
    await ch.send(v);
    expect(await ch.recv()).toBe(v);
  });
});

describe("the for await iterator", () => {
  it("return() while a next() waits withdraws that receive: it resolves done and takes no value (issue 12 item 6)", async () => {
    const ch = new Chan<number>();
    const it = ch[Symbol.asyncIterator]();
    const next = it.next();
    expect(await stateOf(next)).toBe("pending");
    expect(await it.return!()).toEqual({ value: undefined, done: true });
    expect(await next).toEqual({ value: undefined, done: true });
    expect(ch.trySend(1)).toBe(false); // nobody is receiving any more
    const later = ch.recv();
    await ch.send(2);
    expect(await later).toBe(2);
  });

  it("return() on a range({ signal }) iterator also releases the signal's listener", async () => {
    const ch = new Chan<number>();
    const ac = new AbortController();
    const it = ch.range({ signal: ac.signal })[Symbol.asyncIterator]();
    const next = it.next();
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(1);
    await it.return!();
    expect(await next).toEqual({ value: undefined, done: true });
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });
});

describe("channel identity across installed copies of @gochan/core (issue 10)", () => {
  it("isChan accepts a channel branded by another copy, and rejects other brands", () => {
    const foreign = { [Symbol.for("@gochan/core.chan")]: 1 };
    expect(isChan(foreign)).toBe(true);
    expect(isChan({ [Symbol.for("@gochan/core.chan")]: 2 })).toBe(false); // another internal protocol
    expect(isChan({ [Symbol.for("gochan.chan")]: 1 })).toBe(false);
    expect(isChan(new Chan<number>())).toBe(true);
  });

  it("a channel made by a second copy of core works with this copy's select and isChan", async () => {
    vi.resetModules(); // the next import evaluates core afresh: a second copy
    const other = await import("@gochan/core");
    expect(other.Chan).not.toBe(Chan); // really a second copy
    const ch = new other.Chan<number>(1);
    expect(ch instanceof Chan).toBe(false);
    expect(isChan(ch)).toBe(true);
    await ch.send(7);
    expect(await select([recv(ch)])).toEqual({ index: 0, value: 7, ok: true });
    expect(trySelect([send(ch, 8)])?.index).toBe(0);
    expect(trySelect([recv(ch)])).toEqual({ index: 0, value: 8, ok: true });
    const parked = select([recv(ch)]);
    await ch.send(9);
    expect(await parked).toEqual({ index: 0, value: 9, ok: true });

    // Errors raised by the other copy are instances of this copy's classes, and
    // only of the right ones.
    await ch.send(0); // the buffer is full
    const blocked = select([send(ch, 1), send(ch, 2)]);
    ch.close(); // fails the parked select with the other copy's error
    const error = await blocked.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(other.SendOnClosedError);
    expect(error).toBeInstanceOf(SendOnClosedError);
    expect(error).toBeInstanceOf(ChanError);
    expect(error instanceof CloseOfClosedError).toBe(false);
    expect(new SendOnClosedError()).toBeInstanceOf(other.SendOnClosedError);
    expect(new Error("x") instanceof ChanError).toBe(false);
    expect(Object.create(null) instanceof ChanError).toBe(false);
  });
});

describe("memory model", () => {
  it("item 32: a send is synchronized before the matching receive completes", async () => {
    for (const capacity of [0, 3]) {
      const ch = new Chan<number>(capacity);
      const written = new Set<number>();
      const producer = (async () => {
        for (let i = 0; i < 50; i++) {
          written.add(i); // the write before the send
          await ch.send(i);
        }
        ch.close();
      })();
      let count = 0;
      for await (const v of ch) {
        expect(written.has(v)).toBe(true);
        count++;
      }
      await producer;
      expect(count).toBe(50);
    }
  });

  it("item 33: a close is synchronized before a receive that returns zero because of it", async () => {
    const ch = new Chan<number>();
    let finished = false;
    const waiting = ch.recvOk().then((r) => ({ ...r, finished }));
    const producer = (async () => {
      await macrotask();
      finished = true;
      ch.close();
    })();
    expect(await waiting).toEqual({ value: undefined, ok: false, finished: true });
    await producer;
  });

  it("item 34: unbuffered, the receive is synchronized before the send completes (Go's example)", async () => {
    let a = "";
    const ch = new Chan<number>();
    const sent = ch.send(0).then(() => a);
    await macrotask(); // the sender has waited a full turn
    a = "hello";
    await ch.recv();
    expect(await sent).toBe("hello");

    // With a buffer the send does not wait, so it does not see the write.
    let b = "";
    const buffered = new Chan<number>(1);
    const bsent = buffered.send(0).then(() => b);
    await macrotask();
    b = "hello";
    await buffered.recv();
    expect(await bsent).toBe("");
  });

  it("item 35: with capacity C the k-th receive is synchronized before the (k+C)-th send completes", async () => {
    const C = 2;
    const N = 12;
    const ch = new Chan<number>(C);
    const log: string[] = [];
    const producer = (async () => {
      for (let k = 0; k < N; k++) {
        await ch.send(k);
        log.push(`sent ${k}`);
      }
    })();
    let received = 0;
    while (received < N) {
      await macrotask();
      const r = ch.tryRecv(); // a synchronous receive: logged at the moment it happened
      if (r !== undefined) log.push(`recv ${received++}`);
    }
    await producer;
    for (let k = 0; k + C < N; k++) {
      expect(log.indexOf(`recv ${k}`)).toBeLessThan(log.indexOf(`sent ${k + C}`));
    }
    expect(log.indexOf(`sent ${C - 1}`)).toBeLessThan(log.indexOf("recv 0")); // the first C did not wait
  });

  it("item 35: a buffered channel of capacity C is a counting semaphore: never more than C holders", async () => {
    const C = 3;
    const sem = new Chan<undefined>(C);
    let holders = 0;
    let most = 0;
    let entries = 0;
    const worker = async (id: number): Promise<void> => {
      for (let j = 0; j < 5; j++) {
        await sem.send(undefined); // acquire
        holders++;
        entries++;
        most = Math.max(most, holders);
        const spins = (id * 7 + j * 3) % 5;
        for (let s = 0; s < spins; s++) await Promise.resolve();
        if ((id + j) % 3 === 0) await macrotask();
        expect(holders).toBeLessThanOrEqual(C);
        holders--;
        await sem.recv(); // release
      }
    };
    await Promise.all(Array.from({ length: 40 }, (_, id) => worker(id)));
    expect(entries).toBe(200);
    expect(most).toBe(C); // the limit was reached, and never exceeded
    expect(sem.len).toBe(0);
  });
});
