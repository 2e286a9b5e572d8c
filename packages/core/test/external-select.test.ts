import { Chan, recv, select, send, SendOnClosedError, ThenableValueError, trySelect } from "@gochan/core";
import { commitCase, parkCase, pollCase, withdrawCase, type ExternalSelector, type ParkedCase } from "@gochan/core/internal";
import { describe, expect, it } from "vitest";

/** An external select whose token may already be taken "elsewhere" (another thread). */
class Token implements ExternalSelector {
  done = false;
  fired: { index: number; value: unknown; ok: boolean } | null = null;
  failed: unknown = null;
  offers = 0;
  parked: (ParkedCase | null)[] = [];
  fire(p: ParkedCase, value: unknown, ok: boolean): boolean {
    this.offers++;
    if (this.done) return false;
    this.done = true;
    this.fired = { index: p.index, value, ok };
    for (const q of this.parked) if (q !== null && q !== p) withdrawCase(q);
    return true;
  }
  fail(p: ParkedCase, error: unknown): boolean {
    this.offers++;
    if (this.done) return false;
    this.done = true;
    this.failed = error;
    for (const q of this.parked) if (q !== null && q !== p) withdrawCase(q);
    return true;
  }
}

describe("external select hook (@gochan/core/internal)", () => {
  it("a declining parked receive is skipped: the value goes to the next receiver, once", async () => {
    const ch = new Chan<number>();
    const t = new Token();
    t.parked.push(parkCase(recv(ch), t, 0));
    t.done = true; // committed elsewhere
    const next = ch.recv();
    await ch.send(7);
    expect(await next).toBe(7);
    expect(t.offers).toBe(1);
    expect(t.fired).toBeNull();
  });

  it("a declining receive alone: the send finds no receiver (trySend false, send parks)", () => {
    const ch = new Chan<number>();
    const t = new Token();
    parkCase(recv(ch), t, 0);
    t.done = true;
    expect(ch.trySend(1)).toBe(false);
    expect(trySelect([send(ch, 2)])).toBeUndefined();
    expect(t.offers).toBe(1); // unlinked by the first attempt
  });

  it("a declining parked send is skipped: the receiver takes the next sender's value", async () => {
    const ch = new Chan<string>();
    const t = new Token();
    parkCase(send(ch, "lost?"), t, 0);
    t.done = true;
    const s = ch.send("real");
    expect(await ch.recv()).toBe("real");
    await s;
    expect(ch.tryRecv()).toBeUndefined();
  });

  it("a full buffer with a declining sender first keeps FIFO with the live sender behind it", async () => {
    const ch = new Chan<number>(1);
    ch.trySend(1);
    const t = new Token();
    parkCase(send(ch, 99), t, 0);
    t.done = true;
    const s = ch.send(2);
    expect(ch.tryRecv()).toEqual({ value: 1, ok: true });
    await s;
    expect(ch.tryRecv()).toEqual({ value: 2, ok: true });
    expect(ch.tryRecv()).toBeUndefined();
  });

  it("recv() judges the value it would take: a declining plain sender first does not hide a thenable behind it", async () => {
    const ch = new Chan<PromiseLike<number> | number>();
    const t = new Token();
    parkCase(send(ch, 1), t, 0);
    t.done = true; // declines: the receive goes on to the next sender
    const thenable: PromiseLike<number> = { then: (f) => Promise.resolve(2).then(f) };
    const s = ch.send(thenable);
    // The sender that would be taken offers a thenable: recv() refuses it and consumes nothing.
    await expect(ch.recv()).rejects.toBeInstanceOf(ThenableValueError);
    expect(t.offers).toBe(1); // the decliner was asked once and unlinked
    expect(ch.tryRecv()).toEqual({ value: thenable, ok: true });
    await s;
  });

  it("recv() refuses conservatively when a parked thenable sender may decline: it is never asked", async () => {
    const ch = new Chan<PromiseLike<number> | number>();
    const t = new Token();
    const thenable: PromiseLike<number> = { then: (f) => Promise.resolve(2).then(f) };
    t.parked.push(parkCase(send(ch, thenable), t, 0));
    t.done = true; // committed elsewhere, still linked until its select withdraws it
    const s = ch.send(3);
    // Asking the parked case would commit it (were it live) and take a value recv() cannot deliver.
    await expect(ch.recv()).rejects.toBeInstanceOf(ThenableValueError);
    expect(t.offers).toBe(0);
    withdrawCase(t.parked[0] as ParkedCase);
    expect(await ch.recv()).toBe(3);
    await s;
  });

  it("core's select polls again when the case that looked ready had only decliners", () => {
    const a = new Chan<number>(), b = new Chan<number>(1);
    const t = new Token();
    parkCase(send(a, 5), t, 0);
    t.done = true;
    b.trySend(6);
    // a looks ready (a parked sender) but declines: the select must take b, never report a.
    expect(trySelect([recv(a), recv(b)])).toEqual({ index: 1, value: 6, ok: true });
    expect(trySelect([recv(a)])).toBeUndefined();
  });

  it("a live parked case commits once and the selector withdraws its other cases", async () => {
    const a = new Chan<number>(), b = new Chan<number>();
    const t = new Token();
    t.parked.push(parkCase(recv(a), t, 0), parkCase(send(b, 3), t, 1));
    await a.send(4);
    expect(t.fired).toEqual({ index: 0, value: 4, ok: true });
    expect(b.tryRecv()).toBeUndefined(); // the send case was withdrawn
  });

  it("close: a parked receive gets (zero, false); a parked send fails; decliners are dropped", () => {
    const a = new Chan<number, number>(0, { zero: -1 }), b = new Chan<number>();
    const r = new Token(), s = new Token(), gone = new Token();
    parkCase(recv(a), r, 0);
    parkCase(send(b, 1), s, 0);
    parkCase(recv(b), gone, 0);
    gone.done = true;
    a.close();
    b.close();
    expect(r.fired).toEqual({ index: 0, value: -1, ok: false });
    expect(s.failed).toBeInstanceOf(SendOnClosedError);
    expect(gone.offers).toBe(1);
  });

  it("poll, commit, nil cases and a send on a closed channel", () => {
    const ch = new Chan<number>(1);
    expect(pollCase(recv(null))).toBe(false);
    expect(commitCase(recv(null))).toBeNull();
    expect(parkCase(recv(null), new Token(), 0)).toBeNull();
    expect(pollCase(send(ch, 1))).toBe(true);
    expect(commitCase(send(ch, 1))).toEqual({ value: undefined, ok: true });
    expect(pollCase(send(ch, 2))).toBe(false);
    expect(commitCase(send(ch, 2))).toBeNull();
    ch.close();
    expect(commitCase(recv(ch))).toEqual({ value: 1, ok: true });
    expect(commitCase(recv(ch))).toEqual({ value: undefined, ok: false });
    expect(() => commitCase(send(ch, 3))).toThrow(SendOnClosedError);
    expect(() => pollCase({} as never)).toThrow(TypeError);
    expect(() => withdrawCase({ index: 0 })).toThrow(TypeError);
  });

  it("a core select and an external one on the same channel: exactly one takes each value", async () => {
    const ch = new Chan<number>();
    const t = new Token();
    t.parked.push(parkCase(recv(ch), t, 0));
    const core = select([recv(ch)]);
    await ch.send(1); // the external case was first
    await ch.send(2);
    expect(t.fired).toEqual({ index: 0, value: 1, ok: true });
    expect(await core).toEqual({ index: 0, value: 2, ok: true });
  });
});
