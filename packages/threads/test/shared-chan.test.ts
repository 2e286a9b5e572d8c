import { CloseOfClosedError, SendOnClosedError } from "@gochan/core";
import { SharedChan, UncloneableValueError, ValueTooLargeError, WaiterLimitError } from "@gochan/threads";
import { describe, expect, it } from "vitest";

/** Lets every pending promise callback (and waitAsync wake-up) run. */
const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe("SharedChan on one thread", () => {
  it("unbuffered: a send completes only once a receiver took the value", async () => {
    const ch = new SharedChan<number>();
    let sent = false;
    const s = ch.send(1).then(() => (sent = true));
    await macrotask();
    expect(sent).toBe(false);
    expect(ch.len).toBe(0);
    expect(await ch.recv()).toBe(1);
    await s;
    expect(sent).toBe(true);
  });

  it("unbuffered: a parked receiver gets the value of a later send", async () => {
    const ch = new SharedChan<string>();
    const r = ch.recv();
    await macrotask();
    await ch.send("hi");
    expect(await r).toBe("hi");
  });

  it("buffered: FIFO, len and cap, a full buffer parks senders in order", async () => {
    const ch = new SharedChan<number>(2);
    expect(ch.cap).toBe(2);
    await ch.send(1);
    await ch.send(2);
    expect(ch.len).toBe(2);
    const order: number[] = [];
    const s3 = ch.send(3).then(() => order.push(3));
    const s4 = ch.send(4).then(() => order.push(4));
    await macrotask();
    expect(ch.len).toBe(2); // parked senders do not count
    expect(ch.trySend(5)).toBe(false);
    const got: number[] = [];
    for (let i = 0; i < 4; i++) got.push((await ch.recv()) as number);
    await Promise.all([s3, s4]);
    expect(got).toEqual([1, 2, 3, 4]);
    expect(order).toEqual([3, 4]);
    expect(ch.len).toBe(0);
  });

  it("close: buffered values drain, then every receive gets (undefined, false); parked receivers wake", async () => {
    const ch = new SharedChan<number>(1);
    await ch.send(7);
    ch.close();
    expect(await ch.recvOk()).toEqual({ value: 7, ok: true });
    expect(await ch.recvOk()).toEqual({ value: undefined, ok: false });
    const empty = new SharedChan<number>();
    const waiting = [empty.recvOk(), empty.recvOk(), empty.recv()];
    await macrotask();
    empty.close();
    expect(await Promise.all(waiting)).toEqual([{ value: undefined, ok: false }, { value: undefined, ok: false }, undefined]);
  });

  it("close: fails parked and later senders; their values are never delivered", async () => {
    const ch = new SharedChan<number>();
    const parked = ch.send(1);
    await macrotask();
    ch.close();
    await expect(parked).rejects.toBeInstanceOf(SendOnClosedError);
    await expect(ch.send(2)).rejects.toBeInstanceOf(SendOnClosedError);
    expect(() => ch.trySend(3)).toThrow(SendOnClosedError);
    expect(ch.tryRecv()).toEqual({ value: undefined, ok: false });
    expect(() => ch.close()).toThrow(CloseOfClosedError);
  });

  it("try operations never wait", () => {
    const ch = new SharedChan<number>(1);
    expect(ch.tryRecv()).toBeUndefined();
    expect(ch.trySend(1)).toBe(true);
    expect(ch.trySend(2)).toBe(false);
    expect(ch.tryRecv()).toEqual({ value: 1, ok: true });
    const unbuffered = new SharedChan<number>();
    expect(unbuffered.trySend(1)).toBe(false);
  });

  it("for await ends at close and drains; leaving early consumes nothing more", async () => {
    const ch = new SharedChan<number>(4);
    for (const v of [1, 2, 3]) await ch.send(v);
    for await (const v of ch) {
      if (v === 1) break;
    }
    expect(ch.len).toBe(2);
    ch.close();
    const rest: number[] = [];
    for await (const v of ch) rest.push(v);
    expect(rest).toEqual([2, 3]);
  });

  it("AbortSignal withdraws a parked receive or send without consuming or sending", async () => {
    const ch = new SharedChan<number>();
    const ac = new AbortController();
    const r = ch.recv(ac.signal);
    await macrotask();
    ac.abort(new Error("stop"));
    await expect(r).rejects.toThrow("stop");
    const ac2 = new AbortController();
    const s = ch.send(9, ac2.signal);
    await macrotask();
    ac2.abort("gone");
    await expect(s).rejects.toBe("gone");
    expect(ch.tryRecv()).toBeUndefined(); // the withdrawn offer was not left behind
    await expect(ch.recv(AbortSignal.abort("already"))).rejects.toBe("already");
  });

  it("an abort listener that re-enters the channel sees the withdrawn state", async () => {
    const ch = new SharedChan<number>(1);
    const ac = new AbortController();
    const full = new SharedChan<number>();
    const s = full.send(1, ac.signal);
    let seen: unknown = "unset";
    ac.signal.addEventListener("abort", () => {
      seen = full.tryRecv(); // the offer may still be there until the withdrawal runs: it must then be delivered once
      ch.trySend(2);
    });
    await macrotask();
    ac.abort("x");
    const outcome = await s.then(
      () => "sent",
      () => "aborted",
    );
    // Exactly one of: the re-entrant receive took the value (send resolved) or the send was withdrawn.
    if (outcome === "sent") expect(seen).toEqual({ value: 1, ok: true });
    else expect(seen).toBeUndefined();
    expect(full.tryRecv()).toBeUndefined();
    expect(ch.tryRecv()).toEqual({ value: 2, ok: true });
  });

  it("refuses an uncloneable value synchronously, naming it, and stays usable", async () => {
    const ch = new SharedChan<unknown>(1);
    class Secret {
      #key = 1;
      get key(): number {
        return this.#key;
      }
    }
    expect(() => ch.trySend({ ok: 1, cb: () => 0 })).toThrow(UncloneableValueError);
    try {
      void ch.send([1, { deep: new Secret() }]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UncloneableValueError);
      expect((e as UncloneableValueError).path).toBe("value[1].deep");
      expect((e as Error).message).toContain("Secret");
    }
    expect(() => ch.trySend(Symbol("s"))).toThrow(UncloneableValueError);
    expect(ch.len).toBe(0);
    await ch.send({ map: new Map([[1, new Date(0)]]), big: 10n, bytes: new Uint8Array([1, 2]) });
    const got = (await ch.recv()) as { map: Map<number, Date>; big: bigint; bytes: Uint8Array };
    expect(got.map.get(1)).toEqual(new Date(0));
    expect(got.big).toBe(10n);
    expect([...got.bytes]).toEqual([1, 2]);
  });

  it("refuses a value larger than the channel's value area", () => {
    const ch = new SharedChan<string>(1, { bytes: 256 });
    expect(() => ch.trySend("x".repeat(1000))).toThrow(ValueTooLargeError);
    expect(ch.trySend("small")).toBe(true);
  });

  it("a sender short of ring space waits until a receive frees it", async () => {
    const ch = new SharedChan<string>(8, { bytes: 256 });
    const big = "y".repeat(150);
    expect(ch.trySend(big)).toBe(true);
    expect(ch.trySend(big)).toBe(false); // room in the buffer, not in the ring
    const s = ch.send(big);
    await macrotask();
    expect(ch.len).toBe(1);
    expect(await ch.recv()).toBe(big);
    await s;
    expect(await ch.recv()).toBe(big);
  });

  it("reports too many parked operations with a typed error and no side effect", async () => {
    const ch = new SharedChan<number>(0, { waiters: 1 });
    const first = ch.recv();
    await expect(ch.recv()).rejects.toBeInstanceOf(WaiterLimitError);
    await ch.send(5);
    expect(await first).toBe(5);
  });

  it("rejects bad capacities and options with RangeError naming the value", () => {
    expect(() => new SharedChan(-1)).toThrow(/-1/);
    expect(() => new SharedChan(1.5)).toThrow(RangeError);
    expect(() => new SharedChan(1, { bytes: 0 })).toThrow(/bytes/);
  });

  it("from() rebuilds the same channel (by identity on one thread) from a structured clone", async () => {
    const ch = new SharedChan<number>(1);
    const cloned = structuredClone(ch.handle);
    const again = SharedChan.from<number>(cloned);
    expect(SharedChan.from(structuredClone({ handle: ch.handle }))).toBe(again);
    await again.send(3);
    expect(await ch.recv()).toBe(3);
    expect(() => SharedChan.from({ nope: 1 })).toThrow(/nope/);
  });

  it("wraps the ring many times with mixed value sizes, keeping FIFO", async () => {
    const ch = new SharedChan<string>(3, { bytes: 512 });
    const got: string[] = [];
    const want: string[] = [];
    const recv = (async () => {
      for await (const v of ch) got.push(v);
    })();
    for (let i = 0; i < 300; i++) {
      const v = `${i}:` + "z".repeat((i * 37) % 90);
      want.push(v);
      await ch.send(v);
    }
    ch.close();
    await recv;
    expect(got).toEqual(want);
  });
});
