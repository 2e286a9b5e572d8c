import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";

/**
 * Runs inside the next `waitAsync` call, once: a parked operation calls it
 * right after it unlocked its channels, so whatever runs here is what another
 * thread could do in that window. A test can so put a peer's step exactly
 * there, which threads only hit by chance (a sender once hung there in CI).
 */
let inWindow: (() => void) | null = null;

vi.mock("../src/wait-async.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../src/wait-async.js")>();
  const waitAsync: typeof real.waitAsync = (i32, index, value) => {
    const peer = inWindow;
    inWindow = null;
    if (peer !== null) peer();
    return real.waitAsync(i32, index, value);
  };
  return { ...real, waitAsync };
});

const { SharedChan } = await import("@gochan/threads");
const { SendOnClosedError } = await import("@gochan/core");
const { SPACE } = await import("../src/chan-state.js");

describe("a sender short of ring space", () => {
  it("sees space freed between its registration and its sleep (a lost wake-up before)", async () => {
    const ch = new SharedChan<string>(8, { bytes: 256 });
    const big = "y".repeat(150);
    expect(ch.trySend(big)).toBe(true); // the ring has no room for a second one
    let took: Promise<string | undefined> | null = null;
    // Another thread's receive lands after the sender found no room and
    // unlocked, before it sleeps: it frees the room, and nothing else will.
    inWindow = () => {
      took = ch.recv();
    };
    const sent = ch.send(big);
    expect(inWindow).toBeNull();
    expect(await (took as unknown as Promise<string | undefined>)).toBe(big);
    await sent; // hung forever before: the sender waited for a change of the space count that had already happened
    expect(await ch.recv()).toBe(big);
  });

  it("settles whatever a peer does in the window, and loses no value (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 130, max: 200 }), // the buffered value: the ring cannot hold a second one
        fc.integer({ min: 130, max: 200 }), // the value sent
        fc.constantFrom("recv", "tryRecv", "close", "nothing"),
        async (first, second, peer) => {
          const ch = new SharedChan<string>(8, { bytes: 256 });
          const a = "a".repeat(first);
          const b = "b".repeat(second);
          expect(ch.trySend(a)).toBe(true);
          const received: (string | undefined)[] = [];
          inWindow = () => {
            if (peer === "recv") void ch.recv().then((v) => received.push(v));
            else if (peer === "tryRecv") received.push(ch.tryRecv()?.value);
            else if (peer === "close") ch.close();
          };
          const sending = ch.send(b);
          expect(inWindow).toBeNull(); // the sender did wait, so the peer ran in the window
          const sent = sending.then(
            () => "sent",
            (e: unknown) => (e instanceof SendOnClosedError ? "closed" : e),
          );
          // A peer that did nothing: a receive later frees the room.
          if (peer === "nothing") received.push(await ch.recv());
          expect(await sent).toBe(peer === "close" ? "closed" : "sent");
          if (peer !== "close") received.push(await ch.recv());
          else received.push(await ch.recv(), (await ch.recv()) ?? "(closed)");
          expect(received).toEqual(peer === "close" ? [a, "(closed)"] : [a, b]);
        },
      ),
      { numRuns: 40, seed: 20261201 },
    );
  });

  it("sees the channel closed in the same window, and rejects", async () => {
    const ch = new SharedChan<string>(8, { bytes: 256 });
    const big = "z".repeat(150);
    expect(ch.trySend(big)).toBe(true);
    inWindow = () => ch.close();
    await expect(ch.send(big)).rejects.toThrow(/closed/);
    expect(await ch.recv()).toBe(big); // what was buffered before the close is still received
  });

  it("leaves no wait for space behind when it stops waiting for another reason", async () => {
    const ch = new SharedChan<string>(8, { bytes: 256 });
    const big = "w".repeat(150);
    expect(ch.trySend(big)).toBe(true);
    const i32 = ch._state.i32;
    // A select woken by its timeout again and again while the ring stays full:
    // here, sends aborted one after another.
    for (let i = 0; i < 5; i++) {
      const ac = new AbortController();
      const sent = ch.send(big, ac.signal);
      await new Promise((r) => setTimeout(r, 0)); // asleep, waiting for space or its signal
      ac.abort(new Error(`stop ${i}`));
      await expect(sent).rejects.toThrow(`stop ${i}`);
    }
    // Waits still parked on SPACE would be woken, and counted, here: they lingered before.
    expect(Atomics.notify(i32, SPACE)).toBe(0);
    expect(await ch.recv()).toBe(big);
  });
});
