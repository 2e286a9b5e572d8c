/**
 * A thread that exits while parked on shared channels must not wedge them:
 * its waiters are withdrawn, and a value handed to it is delivered to another
 * receiver, never lost.
 */
import { SharedChan, threadExited } from "@gochan/threads";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, exited, nextMessage, spawn } from "./helpers.ts";

beforeAll(() => ensureBuilt());

async function parked(mode: string, chans: SharedChan<number>[], value?: number): Promise<import("node:worker_threads").Worker> {
  const w = spawn("park-and-spin", { mode, chans: chans.map((c) => c.handle), value });
  expect(await nextMessage(w)).toBe("parked");
  return w;
}

describe("a thread dying while parked", () => {
  it("a value handed to its receive (not yet picked up) goes to the next receiver", async () => {
    const ch = new SharedChan<number>();
    const w = await parked("recv", [ch]);
    await ch.send(42); // rendezvous with the parked receiver, which never resumes
    expect(ch.tryRecv()).toBeUndefined(); // reserved for the (still live) receiver
    await w.terminate();
    expect(await ch.recv()).toBe(42);
  });

  it("its parked receivers no longer count: a send does not hand them anything", async () => {
    const ch = new SharedChan<number>();
    const w = await parked("recv", [ch]);
    await w.terminate();
    expect(ch.trySend(1)).toBe(false);
    const r = ch.recv();
    expect(ch.trySend(2)).toBe(true);
    expect(await r).toBe(2);
  });

  it("the offer of its parked send is still delivered", async () => {
    const ch = new SharedChan<number>();
    const w = await parked("send", [ch], 7);
    await w.terminate();
    expect(await ch.recv()).toBe(7);
    expect(ch.tryRecv()).toBeUndefined();
  });

  it("a select fired on one channel: the value survives, the other channel is clean", async () => {
    const a = new SharedChan<number>(), b = new SharedChan<number>();
    const w = await parked("select", [a, b]);
    await a.send(5);
    const done = exited(w);
    await w.terminate();
    await done;
    expect(b.trySend(1)).toBe(false);
    expect(await a.recv()).toBe(5);
  });

  it("a parked receiver on this thread is woken to take the orphaned value", async () => {
    const ch = new SharedChan<number>(0);
    const w = await parked("recv", [ch]);
    await ch.send(9); // reserved for the worker
    const mine = ch.recv(); // parks behind it
    await w.terminate();
    expect(await mine).toBe(9);
  });

  it("threadExited reports whether the thread used shared channels", () => {
    expect(threadExited(987654)).toBe(false);
  });
});
