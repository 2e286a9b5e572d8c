import { SharedChan, ThreadPool, TransferError, UncloneableValueError, transfer } from "@gochan/threads";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiJobs, type ApiJobs } from "./api-jobs.ts";
import { ensureBuilt } from "./helpers.ts";

let pool: ThreadPool<ApiJobs> | null = null;
function make(): ThreadPool<ApiJobs> {
  pool = new ThreadPool<ApiJobs>({ module: apiJobs, maxThreads: 1 });
  return pool;
}
beforeAll(() => ensureBuilt());
afterEach(async () => {
  await pool?.stop();
  pool = null;
});

describe("transfer", () => {
  it("an argument in `transfer` is moved: detached for the caller at once, intact for the job", async () => {
    const p = make();
    const data = new Uint8Array([1, 2, 3, 4]);
    const done = p.submit("sum", [data], { transfer: [data.buffer] });
    expect(data.byteLength).toBe(0); // moved at submit, before the job even ran
    expect(await done).toBe(10);
    // Without transfer it is copied: the caller keeps it.
    const kept = new Uint8Array([5, 5]);
    expect(await p.submit("sum", [kept])).toBe(10);
    expect(kept.byteLength).toBe(2);
  });

  it("a result marked with transfer() arrives as its value; the job's own reference is detached", async () => {
    const p = make();
    const r = await p.submit("bytes", [1024, 7]);
    expect(r).toBeInstanceOf(Uint8Array);
    expect(r.length).toBe(1024);
    expect(r.every((b) => b === 7)).toBe(true);
    expect(await p.submit("keptDetached", [])).toBe(true);
  });

  it("refuses what cannot move, naming it, before anything is detached or sent", async () => {
    const p = make();
    const view = new Uint8Array(1);
    {
      // A typed array instead of its buffer (MessagePorts move: side-transfer.test.ts).
      const e = await p.submit("sum", [view], { transfer: [view as unknown as ArrayBuffer] }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(TransferError);
      expect((e as TransferError).path).toBe("transfer[0]");
      expect((e as Error).message).toContain("Uint8Array");
      expect(view.byteLength).toBe(1);
      const sab = new SharedArrayBuffer(8);
      expect(() => p.go("sum", [new Uint8Array(1)], { transfer: [sab as unknown as ArrayBuffer] })).toThrow(TransferError);
      const gone = new ArrayBuffer(8);
      structuredClone(gone, { transfer: [gone] });
      await expect(p.submit("sum", [gone], { transfer: [gone] })).rejects.toThrow(/already detached/);
      // An uncloneable argument is refused before the listed buffer is detached.
      const buf = new ArrayBuffer(4);
      await expect(p.submit("sum", [buf, () => 1] as unknown as [ArrayBuffer], { transfer: [buf] })).rejects.toBeInstanceOf(UncloneableValueError);
      expect(buf.byteLength).toBe(4);
      expect(() => transfer(1, [view as unknown as ArrayBuffer])).toThrow(TransferError);
      expect(p.metrics().submitted).toBe(0); // refused input is not a job
    }
  });

  it("SharedChan copies ArrayBuffers (the sender keeps its own) and refuses a MessagePort, naming it", async () => {
    const ch = new SharedChan<unknown>(2);
    const buf = new Uint8Array([9, 8]);
    await ch.send(buf);
    expect(buf.byteLength).toBe(2);
    expect(await ch.recv()).toEqual(new Uint8Array([9, 8]));
    const { port1, port2 } = new MessageChannel();
    try {
      expect(() => ch.trySend({ reply: port1 })).toThrow(UncloneableValueError);
      expect(() => ch.trySend({ reply: port1 })).toThrow(/value\.reply.*MessagePort/);
      expect(ch.len).toBe(0);
    } finally {
      port1.close();
      port2.close();
    }
  });
});
