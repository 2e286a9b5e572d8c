import { SendOnClosedError } from "@gochan/core";
import { SharedChan, recv, select, send, trySelect, UncloneableValueError } from "@gochan/threads";
import { describe, expect, it } from "vitest";

const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe("select over shared channels on one thread", () => {
  it("commits exactly one of several ready cases, chosen among all of them", async () => {
    const counts = [0, 0, 0];
    const small = { bytes: 128 };
    for (let i = 0; i < 300; i++) {
      const a = new SharedChan<number>(1, small), b = new SharedChan<number>(1, small), c = new SharedChan<number>(1, small);
      a.trySend(0);
      b.trySend(1);
      const r = await select([recv(a), recv(b), send(c, 2)]);
      counts[r.index]!++;
      // exactly one committed: the other two are untouched
      expect([a.len, b.len, c.len]).toEqual(r.index === 0 ? [0, 1, 0] : r.index === 1 ? [1, 0, 0] : [1, 1, 1]);
    }
    for (const n of counts) expect(n).toBeGreaterThan(50);
  });

  it("a parked select fires on the first case a peer makes ready and withdraws the others", async () => {
    const a = new SharedChan<string>(), b = new SharedChan<string>();
    const p = select([recv(a), recv(b)]);
    await macrotask();
    await b.send("b");
    expect(await p).toEqual({ index: 1, value: "b", ok: true });
    expect(a.trySend("a")).toBe(false); // no receiver left on a
  });

  it("a parked send case is taken by a receiver; its other send case is then withdrawn", async () => {
    const a = new SharedChan<number>(), b = new SharedChan<number>();
    const p = select([send(a, 1), send(b, 2)]);
    await macrotask();
    expect(await a.recv()).toBe(1);
    expect(await p).toMatchObject({ index: 0 });
    expect(b.tryRecv()).toBeUndefined();
  });

  it("never pairs its own send with its own receive on one channel", async () => {
    const ch = new SharedChan<number>();
    const p = select([send(ch, 1), recv(ch), new Promise((r) => setTimeout(r, 20, "timeout"))]);
    expect((await p).index).toBe(2);
    expect(ch.tryRecv()).toBeUndefined();
  });

  it("trySelect: default when nothing is ready, else commits", () => {
    const ch = new SharedChan<number>(1);
    expect(trySelect([recv(ch)])).toBeUndefined();
    expect(trySelect([send(ch, 4)])).toMatchObject({ index: 0 });
    expect(trySelect([recv(ch), recv(null)])).toEqual({ index: 0, value: 4, ok: true });
  });

  it("close fires a parked receive case with ok=false and rejects a parked send case", async () => {
    const a = new SharedChan<number>(), b = new SharedChan<number>();
    const r = select([recv(a), recv(b)]);
    const s = select([send(b, 1)]);
    await macrotask();
    // b has a parked receiver (r) and sender (s) from different operations:
    // they paired as soon as s was made.
    expect(await r).toEqual({ index: 1, value: 1, ok: true });
    await s;
    const r2 = select([recv(a)]);
    const s2 = select([send(b, 1)]);
    await macrotask();
    a.close();
    b.close();
    expect(await r2).toEqual({ index: 0, value: undefined, ok: false });
    await expect(s2).rejects.toBeInstanceOf(SendOnClosedError);
  });

  it("promise and AbortSignal cases; the select's own signal withdraws everything", async () => {
    const ch = new SharedChan<number>();
    const ac = new AbortController();
    const p = select([recv(ch), ac.signal]);
    await macrotask();
    ac.abort("why");
    expect(await p).toEqual({ index: 1, value: "why", ok: true });
    const own = new AbortController();
    const q = select([recv(ch), send(ch, 5)], { signal: own.signal });
    await macrotask();
    own.abort("stop");
    await expect(q).rejects.toBe("stop");
    expect(ch.trySend(1)).toBe(false);
    expect(ch.tryRecv()).toBeUndefined();
    await expect(select([recv(ch), Promise.reject(new Error("boom"))])).rejects.toThrow("boom");
  });

  it("nil cases are never ready; a value that is not a channel is refused with a TypeError", () => {
    expect(trySelect([recv(null), send(undefined, 1)])).toBeUndefined();
    expect(() => recv({} as never)).toThrow(/expected a SharedChan or a @gochan\/core Chan, got Object/);
    expect(() => send(new SharedChan<unknown>(), () => 1)).toThrow(UncloneableValueError);
  });
});
