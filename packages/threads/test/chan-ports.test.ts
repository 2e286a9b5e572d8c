/**
 * MessagePorts moved through SharedChans (port-hub.ts), across real threads:
 * test/fixtures/chan-ports.mjs runs every scenario as a program and prints
 * what it saw; the expectations are here. It runs under this Node (it needs
 * worker_threads.postMessageToThread: Node 20.19+ or 22.5+) and under Node 22
 * fetched from the npm registry (test/node-22.ts), so both release lines'
 * worker messaging are covered.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as threads from "node:worker_threads";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "./helpers.ts";
import { NODE_22, node22 } from "./node-22.ts";

const here = typeof (threads as { postMessageToThread?: unknown }).postMessageToThread === "function" ? (): string => process.execPath : (): null => null;
const runtimes = [
  { name: `this Node (${process.version})`, bin: here, runnable: here() !== null },
  { name: `Node ${NODE_22} from the npm registry`, bin: node22, runnable: process.platform === "linux" && process.arch === "x64" },
];

/** What the fixture saw under each runtime (both run at once: most of their time is thread start-up). */
const results: (Record<string, unknown> | null)[] = runtimes.map(() => null);

beforeAll(async () => {
  ensureBuilt();
  const fixture = fileURLToPath(new URL("./fixtures/chan-ports.mjs", import.meta.url));
  await Promise.all(
    runtimes.map(async (r, i) => {
      if (!r.runnable) return;
      const { stdout } = await promisify(execFile)(r.bin() as string, [fixture], { encoding: "utf8", timeout: 180_000 });
      results[i] = JSON.parse(stdout) as Record<string, unknown>;
    }),
  );
}, 300_000);

describe.each(runtimes.map((r, i) => ({ ...r, i })))("MessagePorts through SharedChans, $name", ({ runnable, i }) => {
  let seen: Record<string, unknown> = {};
  beforeAll(() => {
    seen = results[i] ?? {};
  });

  it.runIf(runnable)("buffered, main to a worker: each port reaches the receiver, which answers and closes it", () => {
    expect(seen["buffered main -> worker"]).toEqual([
      [{ tag: "a", byWorker: true }, "close"],
      [{ tag: "b", byWorker: true }, "close"],
    ]);
  });

  it.runIf(runnable)("unbuffered, worker to worker (no port between them) and worker to main", () => {
    expect(seen["unbuffered worker -> worker"]).toEqual({ tag: "w2w", byReceiver: true });
    expect(seen["unbuffered worker -> main"]).toEqual({ tag: "w2m", by: 0 });
  });

  it.runIf(runnable)("select commits exactly one send case; the other case's port is closed unanswered", () => {
    const r = seen["select commits one case; the other send's port is closed"] as { sameCase: boolean; seen: string[]; other: string[] };
    expect(r.sameCase).toBe(true);
    expect(r.seen).toHaveLength(2);
    expect(r.seen[1]).toBe("close");
    expect(r.other).toEqual(["close"]);
  });

  it.runIf(runnable)("a sender that exits right after a buffered send loses nothing: the port is delivered", () => {
    expect(seen["the sender exits right after sending: the port is still delivered"]).toEqual([{ tag: "orphaned-sender", byReceiver: true }, "close"]);
  });

  it.runIf(runnable)("a receiver that dies before picking its value up: the next receiver gets the port", () => {
    expect(seen["the receiver dies before picking the value up: the next receiver gets the port"]).toEqual({ tag: "orphan", seen: ["reached", "close"] });
  });

  it.runIf(runnable)("a sender that dies while parked: its offer is delivered, or closed if the channel closes first", () => {
    expect(seen["a sender dies while parked: its offer is still delivered"]).toEqual({ tag: "parked", seen: ["reached", "close"] });
    expect(seen["a sender dies while parked, then the channel closes: the port is closed"]).toEqual({ seen: ["close"], drained: { ok: false } });
  });

  it.runIf(runnable)("sends that do not happen close their ports: closed under a live parked sender, aborted, trySend, closed channel", () => {
    expect(seen["a live sender's parked send fails when another thread closes the channel: the port is closed"]).toEqual({ seen: ["close"], drained: { ok: false } });
    expect(seen["an aborted send closes its port"]).toEqual({ err: "stop", seen: ["close"], len: 0 });
    expect(seen["trySend that cannot send, and a send on a closed channel, close their ports"]).toEqual({
      sent: false,
      err: "SendOnClosedError",
      seen: [["close"], ["close"]],
    });
  });

  it.runIf(runnable)("a port in the value but not in the transfer list is refused synchronously; nothing is moved", () => {
    expect(seen["a port in the value but not in the list is refused synchronously, nothing moved"]).toEqual({
      errs: ["UncloneableValueError value.port", "UncloneableValueError value.b"],
      len: 0,
      seen: [
        ["x still mine", "close"],
        ["y still mine", "close"],
      ],
    });
  });

  it.runIf(runnable)("a channel made on a worker, in a domain the main thread never saw, refuses ports: nothing could hold them", () => {
    expect(seen["a channel whose domain the main thread never saw cannot move ports"]).toBe("TransferError transfer[0]");
  });

  it.runIf(runnable)("tryRecv and trySelect refuse a value with moved ports and leave it for recv", () => {
    expect(seen["try operations refuse a value with moved ports and leave it"]).toEqual({
      errs: ["MovedValueError", "MovedValueError"],
      len: 1,
      tag: "kept",
      seen: ["after", "close"],
    });
  });

  it.runIf(runnable).each([1, 2, 3])("random interleavings (seed %i): every sent port answered once, every other closed unanswered", (seed) => {
    expect(seen[`random interleaving, seed ${seed}`]).toEqual({ ports: 36, decided: 36, sentSome: true, failedSome: true, wrong: [] });
  });
});
