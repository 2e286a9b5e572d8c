/**
 * select over shared and local channels together, on one thread: the local
 * cases go through core's external-select hook (@gochan/core/internal).
 */
import { Chan, nilChan, recv as coreRecv, send as coreSend, SendOnClosedError } from "@gochan/core";
import { recv, select, send, SharedChan, trySelect } from "@gochan/threads";
import { describe, expect, it } from "vitest";

const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe("select mixing shared and local channels", () => {
  it("polls both kinds and commits exactly one ready case, chosen among all", async () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 300; i++) {
      const shared = new SharedChan<number>(1, { bytes: 128 }), local = new Chan<number>(1), out = new Chan<number>(1);
      shared.trySend(0);
      local.trySend(1);
      const r = await select([recv(shared), recv(local), send(out, 2)]);
      counts[r.index]!++;
      expect([shared.len, local.len, out.len]).toEqual(r.index === 0 ? [0, 1, 0] : r.index === 1 ? [1, 0, 0] : [1, 1, 1]);
    }
    for (const n of counts) expect(n).toBeGreaterThan(50);
  });

  it("a parked select fires on a local send and withdraws its shared case", async () => {
    const shared = new SharedChan<string>(), local = new Chan<string>();
    const p = select([recv(shared), recv(local)]);
    await local.send("local");
    expect(await p).toEqual({ index: 1, value: "local", ok: true });
    expect(shared.trySend("s")).toBe(false); // no receiver left on the shared channel
  });

  it("a parked select fired by a shared peer declines its local case: the local value goes to the next receiver", async () => {
    const shared = new SharedChan<number>(), local = new Chan<number>();
    const p = select([recv(shared), recv(local)]);
    const behind = local.recv(); // queued after the select's local case
    expect(shared.trySend(1)).toBe(true); // fires the select's slot; its local waiter is still queued
    expect(local.trySend(2)).toBe(true); // the select declines: the value goes to `behind`
    expect(await p).toEqual({ index: 0, value: 1, ok: true });
    expect(await behind).toBe(2);
    expect(local.trySend(3)).toBe(false); // and the select's local case is gone
  });

  it("a declining local send case is skipped: the receiver gets the next sender's value", async () => {
    const shared = new SharedChan<number>(), local = new Chan<number>();
    const p = select([recv(shared), send(local, 100)]);
    const next = local.send(200);
    expect(shared.trySend(1)).toBe(true);
    expect(await local.recv()).toBe(200);
    await next;
    expect(await p).toEqual({ index: 0, value: 1, ok: true });
    expect(local.tryRecv()).toBeUndefined(); // 100 was never sent
  });

  it("local send cases: taken by a local receiver; core's recv/send make the same cases", async () => {
    const shared = new SharedChan<number>(), local = new Chan<number>();
    const p = select([send(shared, 1), coreSend(local, 2)]);
    expect(await local.recv()).toBe(2);
    expect(await p).toEqual({ index: 1, value: undefined, ok: true });
    expect(shared.tryRecv()).toBeUndefined();
    const q = select([recv(shared), coreRecv(local)]);
    await local.send(3);
    expect(await q).toEqual({ index: 1, value: 3, ok: true });
  });

  it("closed local channels: a receive is ready with the zero value; a send rejects, at once or while parked", async () => {
    const shared = new SharedChan<number>();
    const closed = new Chan<number, number>(0, { zero: -1 });
    closed.close();
    expect(await select([recv(shared), recv(closed)])).toEqual({ index: 1, value: -1, ok: false });
    await expect(select([recv(shared), send(closed, 1)])).rejects.toBeInstanceOf(SendOnClosedError);
    const later = new Chan<number>();
    const p = select([recv(shared), send(later, 1)]);
    later.close();
    await expect(p).rejects.toBeInstanceOf(SendOnClosedError);
    expect(shared.trySend(5)).toBe(false); // the shared case was withdrawn
    const r = new Chan<number>();
    const q = select([recv(shared), recv(r)]);
    r.close();
    expect(await q).toEqual({ index: 1, value: undefined, ok: false });
  });

  it("nil cases of both kinds are never ready", async () => {
    const local = new Chan<number>(1);
    expect(trySelect([recv(nilChan<number>()), coreRecv(null), recv(null), send(nilChan<number>(), 1)])).toBeUndefined();
    const p = select([recv(nilChan<number>()), recv(null), recv(local)]);
    await local.send(4);
    expect(await p).toEqual({ index: 2, value: 4, ok: true });
  });

  it("trySelect: default, a local commit, a local body", () => {
    const shared = new SharedChan<number>(1), local = new Chan<number>(1);
    expect(trySelect([recv(shared), recv(local)])).toBeUndefined();
    expect(trySelect([recv(shared), send(local, 9)])).toEqual({ index: 1, value: undefined, ok: true });
    expect(trySelect([recv(shared), coreRecv(local, (v) => `got ${v}`)])).toBe("got 9");
    local.tryRecv();
    const r = trySelect([send(shared, 1), coreSend(local, 1, () => "sent")]);
    // Both were ready: exactly one committed.
    if (r === "sent") expect([shared.len, local.len]).toEqual([0, 1]);
    else expect([r, shared.len, local.len]).toEqual([{ index: 0, value: undefined, ok: true }, 1, 0]);
  });

  it("a local case's body runs after a parked select fires", async () => {
    const shared = new SharedChan<number>(), local = new Chan<number>();
    const p = select([recv(shared), coreRecv(local, (v, ok) => (ok ? v * 2 : -1))]);
    await local.send(21);
    expect(await p).toBe(42);
  });

  it("a local-only select through threads (no shared channel) parks and commits one case", async () => {
    const a = new Chan<number>(), b = new Chan<number>();
    const p = select([recv(a), recv(b)]);
    await b.send(1);
    expect(await p).toEqual({ index: 1, value: 1, ok: true });
    expect(a.trySend(2)).toBe(false);
  });

  it("re-entry: an abort listener that sends on the local channel commits it; the abort then finds the select done", async () => {
    const shared = new SharedChan<number>(), local = new Chan<number>();
    const ac = new AbortController();
    let sent: boolean | null = null;
    ac.signal.addEventListener("abort", () => {
      sent = local.trySend(7); // runs before the select's own listener
    });
    const p = select([recv(shared), recv(local)], { signal: ac.signal });
    ac.abort("stop");
    expect(sent).toBe(true);
    expect(await p).toEqual({ index: 1, value: 7, ok: true }); // not rejected: the value is not lost
    expect(shared.trySend(1)).toBe(false);
  });

  it("re-entry: an abort listener that sends after the select's own listener: the abort wins and the value stays", async () => {
    const shared = new SharedChan<number>(), local = new Chan<number>(1);
    const ac = new AbortController();
    const p = select([recv(shared), send(local, 1)], { signal: ac.signal });
    // The local buffer has room, so the select committed at once; a second one parks.
    expect(await p).toEqual({ index: 1, value: undefined, ok: true });
    const q = select([recv(shared), send(local, 2)], { signal: ac.signal });
    let took: unknown = null;
    ac.signal.addEventListener("abort", () => {
      took = local.tryRecv(); // takes 1 and, by FIFO, moves the parked 2 into the buffer
    });
    ac.abort("stop");
    expect(took).toEqual({ value: 1, ok: true });
    // The select committed its send of 2 inside the listener: it resolves, and 2 is buffered once.
    expect(await q).toEqual({ index: 1, value: undefined, ok: true });
    expect(local.tryRecv()).toEqual({ value: 2, ok: true });
    expect(local.tryRecv()).toBeUndefined();
  });

  it("re-entry: a promise case whose `then` getter sends on the select's local channel and runs another select", async () => {
    const shared = new SharedChan<number>(1), local = new Chan<number>(1);
    let inner: Promise<unknown> | null = null;
    const tricky = {
      get then() {
        local.trySend(5);
        inner = select([recv(shared), recv(local)]); // commits 5 at once: the outer select never sees it
        return (resolve: (v: string) => void) => resolve("settled");
      },
    } as unknown as PromiseLike<string>;
    const r = await select([recv(shared), recv(local), tricky]);
    expect(inner).not.toBeNull();
    expect(await inner).toEqual({ index: 1, value: 5, ok: true });
    expect(r).toEqual({ index: 2, value: "settled", ok: true });
    expect(local.len).toBe(0);
  });

  it("two mixed selects on one local channel and a shared one: each value is taken once", async () => {
    const shared = new SharedChan<number>(), local = new Chan<number>();
    const p1 = select([recv(shared), recv(local)]);
    const p2 = select([recv(shared), recv(local)]);
    await macrotask();
    expect(shared.trySend(1)).toBe(true); // p1 (first on the shared queue)
    await local.send(2); // p1's local case declines; p2 takes it
    const r = await Promise.all([p1, p2]);
    expect(r).toEqual([
      { index: 0, value: 1, ok: true },
      { index: 1, value: 2, ok: true },
    ]);
  });
});
