/**
 * Moving through a SharedChan on this thread: ArrayBuffers (everywhere), and
 * the refusal of MessagePorts where Node has no postMessageToThread (a child
 * process with it removed). The cross-thread moves of ports are in
 * chan-ports.test.ts.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { MovedValueError, recv, select, send, SharedChan, TransferError, UncloneableValueError, ValueTooLargeError } from "@gochan/threads";
import fc from "fast-check";
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

/** Everything a moved port's peer sees until it closes: messages, then "close". */
function watch(peer: MessagePort): Promise<unknown[]> {
  const seen: unknown[] = [];
  peer.on("message", (m: unknown) => seen.push(m));
  return new Promise((resolve) =>
    peer.once("close", () => {
      seen.push("close");
      resolve(seen);
    }),
  );
}

type Item = { tag: number; port: MessagePort };

describe("MessagePorts through a SharedChan on the main thread (the hub is local)", () => {
  it("random interleavings of sends, selects, try operations, aborts and close: each port answered once if its send succeeded, else closed unanswered; try operations never take one", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.record({ how: fc.constantFrom("send", "select", "trySend"), abort: fc.boolean() }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.constantFrom("recv", "select", "tryRecv"), { maxLength: 6 }),
        async (s, cap, senders, receivers) => {
          const ch = new SharedChan<Item>(cap);
          const never = new SharedChan<Item>(0); // a second select case that never commits
          const outcome = new Map<number, string>();
          const peers: Promise<unknown[]>[] = [];
          const tasks: Promise<void>[] = [];
          const answer = (v: Item): void => {
            v.port.postMessage("got");
            v.port.close();
          };
          let tryTook = 0;
          senders.forEach(({ how, abort }, tag) => {
            const { port1, port2 } = new MessageChannel();
            peers.push(watch(port2));
            const ac = new AbortController();
            const v = { tag, port: port1 };
            tasks.push(
              s.schedule(Promise.resolve(), `send ${tag} by ${how}`).then(async () => {
                const abortedBefore = ac.signal.aborted;
                try {
                  if (how === "trySend") outcome.set(tag, ch.trySend(v, { transfer: [port1] }) ? "sent" : "failed");
                  else {
                    if (how === "send") await ch.send(v, { transfer: [port1], signal: ac.signal });
                    else await select([send(ch, v, { transfer: [port1] }), recv(never)], { signal: ac.signal });
                    outcome.set(tag, "sent");
                  }
                } catch {
                  if (!abortedBefore) outcome.set(tag, "failed");
                  else {
                    // Refused before anything moved: the port is still ours.
                    outcome.set(tag, "untouched");
                    port1.postMessage("mine");
                    port1.close();
                  }
                }
              }),
            );
            if (abort) {
              // User code that re-enters while the abort is dispatched: a try receive in the listener.
              ac.signal.addEventListener("abort", () => {
                try {
                  if (ch.tryRecv()?.ok === true) tryTook++;
                } catch (e) {
                  if (!(e instanceof MovedValueError)) throw e;
                }
              });
              tasks.push(s.schedule(Promise.resolve(), `abort ${tag}`).then(() => ac.abort()));
            }
          });
          receivers.forEach((how, i) => {
            tasks.push(
              s.schedule(Promise.resolve(), `receive ${i} by ${how}`).then(async () => {
                if (how === "tryRecv") {
                  try {
                    if (ch.tryRecv()?.ok === true) tryTook++;
                  } catch (e) {
                    if (!(e instanceof MovedValueError)) throw e;
                  }
                  return;
                }
                const r = how === "recv" ? await ch.recvOk() : await select([recv(ch), recv(never)]);
                if (r.ok && r.value !== undefined) answer(r.value as Item);
              }),
            );
          });
          await s.waitAll();
          ch.close(); // fails every parked sender, wakes every parked receiver
          for await (const v of ch) answer(v); // what is still buffered
          await Promise.all(tasks);
          // A port nobody closes would leave its peer waiting forever: bound the wait, report it as pending.
          const seen = await Promise.all(peers.map((p) => Promise.race([p, new Promise((r) => setTimeout(r, 2000, ["pending"]))])));
          expect(tryTook).toBe(0);
          const expected = { sent: ["got", "close"], failed: ["close"], untouched: ["mine", "close"] } as Record<string, string[]>;
          expect(seen).toEqual(senders.map((_, tag) => expected[outcome.get(tag) as string]));
        },
      ),
      { seed: 2207, numRuns: 60 },
    );
  }, 60_000);
});
