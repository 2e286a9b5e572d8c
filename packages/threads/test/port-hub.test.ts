/**
 * Moving through a SharedChan on this thread: ArrayBuffers (everywhere), and
 * the refusal of MessagePorts where Node has no postMessageToThread (a child
 * process with it removed). The cross-thread moves of ports are in
 * chan-ports.test.ts.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { recv, select, send, SharedChan, TransferError, UncloneableValueError, ValueTooLargeError } from "@gochan/threads";
import { describe, expect, it } from "vitest";
import { ensureBuilt } from "./helpers.ts";

function echo(port: MessagePort, peer: MessagePort): Promise<unknown> {
  const got = new Promise((resolve) => peer.once("message", resolve));
  port.postMessage("still usable");
  return got;
}

describe("SharedChan send with a transfer list", () => {
  it("moves ArrayBuffers: detached for the sender when the send is made, the bytes delivered", async () => {
    const ch = new SharedChan<Uint8Array>(2);
    const a = new Uint8Array([1, 2, 3]);
    await ch.send(a, { transfer: [a.buffer] });
    expect(a.byteLength).toBe(0);
    const b = new Uint8Array([4, 5]);
    expect(ch.trySend(b, { transfer: [b.buffer] })).toBe(true);
    expect(b.byteLength).toBe(0);
    expect([...((await ch.recv()) as Uint8Array)]).toEqual([1, 2, 3]);
    expect([...(ch.tryRecv()?.value as Uint8Array)]).toEqual([4, 5]);
  });

  it("a select's send case moves its buffer when the select runs, not when the case is made", async () => {
    const ch = new SharedChan<Uint8Array>(1);
    const a = new Uint8Array([7]);
    const c = send(ch, a, { transfer: [a.buffer] });
    expect(a.byteLength).toBe(1);
    const r = await select([c]);
    expect(r.index).toBe(0);
    expect(a.byteLength).toBe(0);
    const got = await select([recv(ch)]);
    expect([...(got.value as Uint8Array)]).toEqual([7]);
  });

  it("refuses, moving nothing: a buffer listed twice, a typed array, a SharedArrayBuffer, a value too large", () => {
    const ch = new SharedChan<unknown>(1, { bytes: 64 });
    const a = new Uint8Array(8);
    expect(() => ch.trySend(a, { transfer: [a.buffer, a.buffer] })).toThrow(TransferError);
    expect(() => ch.trySend(a, { transfer: [a as unknown as ArrayBuffer] })).toThrow(TransferError);
    const sab = new SharedArrayBuffer(8);
    expect(() => ch.trySend(1, { transfer: [sab] })).toThrow(TransferError);
    const big = new Uint8Array(1000);
    expect(() => ch.trySend(big, { transfer: [big.buffer] })).toThrow(ValueTooLargeError);
    expect([a.byteLength, big.byteLength, ch.len]).toEqual([8, 1000, 0]);
  });

  it("a port in the value but not in the list is refused synchronously, still the caller's", async () => {
    const ch = new SharedChan<unknown>(1);
    const { port1, port2 } = new MessageChannel();
    const other = new MessageChannel();
    expect(() => ch.send({ port: port1 })).toThrow(UncloneableValueError);
    expect(() => ch.trySend({ a: port1, b: other.port1 }, { transfer: [port1] })).toThrow(/value\.b/);
    expect(ch.len).toBe(0);
    expect(await echo(port1, port2)).toBe("still usable");
    for (const p of [port1, port2, other.port1, other.port2]) p.close();
  });

  it("without postMessageToThread (Node 21, 22.0-22.4) a MessagePort is refused with a TransferError saying why; nothing moved", () => {
    ensureBuilt();
    const fixture = fileURLToPath(new URL("./fixtures/no-thread-messaging.mjs", import.meta.url));
    const r = JSON.parse(execFileSync(process.execPath, [fixture], { encoding: "utf8", timeout: 60_000 })) as {
      refused: { transferError: boolean; message: string } | null;
      len: number;
      echoed: string;
    };
    expect(r.refused?.transferError).toBe(true);
    expect(r.refused?.message).toContain("transfer[0]");
    expect(r.refused?.message).toContain("postMessageToThread");
    expect(r.len).toBe(0);
    expect(r.echoed).toBe("still usable");
  });
});
