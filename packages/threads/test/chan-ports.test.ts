/**
 * MessagePorts moved through SharedChans (port-hub.ts), across real threads
 * under Node >= 22.5: test/fixtures/chan-ports.mjs runs every scenario under
 * that Node (this one if it is new enough, else Node 22 fetched from the npm
 * registry, test/node-22.ts) and prints what it saw; the expectations are here.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "./helpers.js";
import { hasThreadMessaging, nodeWithThreadMessaging } from "./node-22.js";

/** This Node has postMessageToThread, or the npm registry has one for this platform. */
const runnable = hasThreadMessaging(process.versions.node) || (process.platform === "linux" && process.arch === "x64");
let seen: Record<string, unknown> = {};

describe.skipIf(!runnable)("MessagePorts through SharedChans, Node >= 22.5", () => {
  beforeAll(() => {
    ensureBuilt();
    const bin = nodeWithThreadMessaging() as string;
    const fixture = fileURLToPath(new URL("./fixtures/chan-ports.mjs", import.meta.url));
    const out = execFileSync(bin, [fixture], { encoding: "utf8", timeout: 120_000, stdio: ["ignore", "pipe", "inherit"] });
    seen = JSON.parse(out) as Record<string, unknown>;
  }, 240_000);

  it("buffered, main to a worker: each port reaches the receiver, which answers and closes it", () => {
    expect(seen["buffered main -> worker"]).toEqual([
      [{ tag: "a", byWorker: true }, "close"],
      [{ tag: "b", byWorker: true }, "close"],
    ]);
  });

  it("unbuffered, worker to worker (no port between them) and worker to main", () => {
    expect(seen["unbuffered worker -> worker"]).toEqual({ tag: "w2w", byReceiver: true });
    expect(seen["unbuffered worker -> main"]).toEqual({ tag: "w2m", by: 0 });
  });

  it("select commits exactly one send case; the other case's port is closed unanswered", () => {
    const r = seen["select commits one case; the other send's port is closed"] as { sameCase: boolean; seen: string[]; other: string[] };
    expect(r.sameCase).toBe(true);
    expect(r.seen).toHaveLength(2);
    expect(r.seen[1]).toBe("close");
    expect(r.other).toEqual(["close"]);
  });

  it("a sender that exits right after a buffered send loses nothing: the port is delivered", () => {
    expect(seen["the sender exits right after sending: the port is still delivered"]).toEqual([{ tag: "orphaned-sender", byReceiver: true }, "close"]);
  });

  it("a receiver that dies before picking its value up: the next receiver gets the port", () => {
    expect(seen["the receiver dies before picking the value up: the next receiver gets the port"]).toEqual({ tag: "orphan", seen: ["reached", "close"] });
  });

  it("a sender that dies while parked: its offer is delivered, or closed if the channel closes first", () => {
    expect(seen["a sender dies while parked: its offer is still delivered"]).toEqual({ tag: "parked", seen: ["reached", "close"] });
    expect(seen["a sender dies while parked, then the channel closes: the port is closed"]).toEqual({ seen: ["close"], drained: { ok: false } });
  });

  it("sends that do not happen close their ports: closed under a live parked sender, aborted, trySend, closed channel", () => {
    expect(seen["a live sender's parked send fails when another thread closes the channel: the port is closed"]).toEqual({ seen: ["close"], drained: { ok: false } });
    expect(seen["an aborted send closes its port"]).toEqual({ err: "stop", seen: ["close"], len: 0 });
    expect(seen["trySend that cannot send, and a send on a closed channel, close their ports"]).toEqual({
      sent: false,
      err: "SendOnClosedError",
      seen: [["close"], ["close"]],
    });
  });

  it("a port in the value but not in the transfer list is refused synchronously; nothing is moved", () => {
    expect(seen["a port in the value but not in the list is refused synchronously, nothing moved"]).toEqual({
      errs: ["UncloneableValueError value.port", "UncloneableValueError value.b"],
      len: 0,
      seen: [
        ["x still mine", "close"],
        ["y still mine", "close"],
      ],
    });
  });

  it("tryRecv and trySelect refuse a value with moved ports and leave it for recv", () => {
    expect(seen["try operations refuse a value with moved ports and leave it"]).toEqual({
      errs: ["MovedValueError", "MovedValueError"],
      len: 1,
      tag: "kept",
      seen: ["after", "close"],
    });
  });

  it.each([1, 2, 3])("random interleavings (seed %i): every sent port answered once, every other closed unanswered", (seed) => {
    expect(seen[`random interleaving, seed ${seed}`]).toEqual({ ports: 36, decided: 36, sentSome: true, failedSome: true, wrong: [] });
  });
});
