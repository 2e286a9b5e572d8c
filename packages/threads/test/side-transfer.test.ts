// MessagePorts moved into ThreadPool jobs and out of them (side-transfer.ts):
// moved, not copied, usable on the other thread, and never lost or doubled
// when a thread dies or a job is cancelled while a port is in flight.
import { ThreadCrashedError, ThreadPool, TransferError, UncloneableValueError } from "@gochan/threads";
import fc from "fast-check";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "./helpers.ts";
import { portJobs, type PortJobs } from "./port-jobs.ts";

let pool: ThreadPool<PortJobs> | null = null;
function make(maxThreads = 1, depth = 4): ThreadPool<PortJobs> {
  pool = new ThreadPool<PortJobs>({ module: portJobs, maxThreads, depth });
  return pool;
}
beforeAll(() => ensureBuilt());
afterEach(async () => {
  await pool?.stop();
  pool = null;
});

/** The peer end of a port moved away: what it received, and whether it saw its port close. */
class Peer {
  readonly messages: unknown[] = [];
  closed = false;
  readonly #closing: Promise<void>;
  constructor(readonly port: MessagePort) {
    port.on("message", (m: unknown) => this.messages.push(m));
    this.#closing = new Promise((resolve) =>
      port.once("close", () => {
        this.closed = true;
        resolve();
      }),
    );
  }
  /** Resolves once the other end is closed (the test's timeout bounds it). */
  close(): Promise<void> {
    return this.#closing;
  }
  /** Lets messages already posted arrive. */
  static async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  }
}

function channel(): { port: MessagePort; peer: Peer } {
  const { port1, port2 } = new MessageChannel();
  return { port: port1, peer: new Peer(port2) };
}

/**
 * Null if `port` was moved away (a moved port cannot be moved again); else
 * the same port under a new handle (checking moves it), to use from then on.
 */
function owned(port: MessagePort): MessagePort | null {
  try {
    return structuredClone(port, { transfer: [port] });
  } catch {
    return null;
  }
}

/** A port to move into a job that keeps its thread until `open()`. */
function gate(): { port: MessagePort; open(): void } {
  const { port1, port2 } = new MessageChannel();
  return {
    port: port2,
    open: (): void => {
      port1.postMessage("go");
      port1.close();
    },
  };
}

describe("MessagePorts in ThreadPool jobs", () => {
  it("a port in `transfer` is moved at submit and is usable by the job on its thread", async () => {
    const p = make();
    const { port, peer } = channel();
    const done = p.submit("greet", [port, "hi"], { transfer: [port] });
    expect(owned(port)).toBe(null); // the caller lost it at once, before the job ran
    expect(await done).toBe(1);
    await peer.close();
    expect(peer.messages).toEqual(["hi!"]);
  });

  it("a port returned with transfer() arrives moved and usable on the caller's thread", async () => {
    const p = make();
    const { port, peer } = channel();
    const back = await p.submit("giveBack", [{ port, tag: 7 }], { transfer: [port] });
    expect(back.tag).toBe(7);
    back.port.postMessage("through the returned port");
    back.port.close();
    await peer.close();
    expect(peer.messages).toEqual(["through the returned port"]);
  });

  it("a group job and a stream job take moved ports like submit", async () => {
    const p = make(2);
    const a = channel();
    const b = channel();
    const group = p.group();
    await group.submit("greet", [a.port, "grouped"], { transfer: [a.port] });
    expect(await group.wait()).toEqual([1]);
    const seen: number[] = [];
    for await (const i of p.stream("countTold", [b.port, 3], { transfer: [b.port] })) seen.push(i);
    expect(seen).toEqual([0, 1, 2]);
    await Promise.all([a.peer.close(), b.peer.close()]);
    expect(a.peer.messages).toEqual(["grouped!"]);
    expect(b.peer.messages).toEqual([0, 1, 2]);
  });

  it("a stream job moves the ports of values it yields with transfer() to the consumer", async () => {
    const p = make();
    const got: string[] = [];
    for await (const v of p.stream("yieldPorts", [3])) {
      const text = await new Promise<unknown>((resolve) => v.port.once("message", resolve));
      got.push(`${v.i}: ${String(text)}`);
      v.port.close();
    }
    expect(got).toEqual(["0: hello 0", "1: hello 1", "2: hello 2"]);
    // A port left out of its value's list fails the job, naming it, after the values before it.
    const seen: number[] = [];
    const err = await (async () => {
      for await (const v of p.stream("yieldPorts", [2, true])) {
        seen.push(v.i);
        v.port.close();
      }
    })().catch((e: unknown) => e);
    expect(seen).toEqual([0]);
    // The job's error, rebuilt on this thread with its name and message.
    expect((err as Error).name).toBe(UncloneableValueError.name);
    expect((err as Error).message).toMatch(/MessagePort/);
  });

  it("refuses what cannot move synchronously, naming it, with nothing moved or sent", async () => {
    const p = make();
    const first = channel();
    const peer = first.peer;
    let port = first.port;
    // A port in the value but not in the list: named where it is, port kept
    // (an uncloneable argument without a transfer list fails its job at hand-off).
    await expect(p.submit("greet", [port, "x"])).rejects.toThrow(UncloneableValueError);
    await expect(p.submit("greet", [port, "x"])).rejects.toThrow(/value\[0\].*MessagePort/);
    expect(p.metrics()).toMatchObject({ submitted: 2, failed: 2 });
    // An uncloneable argument beside a listed port: the port is not moved.
    await expect(p.submit("greet", [port, (() => 1) as unknown as string], { transfer: [port] })).rejects.toThrow(UncloneableValueError);
    port = owned(port)!;
    expect(port).not.toBe(null);
    // A port that was moved already, listed with a buffer: neither moves.
    const gone = new MessageChannel();
    structuredClone(gone.port1, { transfer: [gone.port1] }).close();
    const buf = new ArrayBuffer(4);
    const e = await p.submit("greet", [gone.port1, "x"], { transfer: [gone.port1, buf] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TransferError);
    expect((e as Error).message).toMatch(/detached/);
    expect(buf.byteLength).toBe(4);
    // Not a transferable at all.
    expect(() => p.go("greet", [port, "x"], { transfer: [42 as unknown as MessagePort] })).toThrow(TransferError);
    expect(p.metrics().submitted).toBe(2); // input refused at submit is not a job
    // The port still works: it was never half-sent.
    expect(await p.submit("greet", [port, "kept"], { transfer: [port] })).toBe(1);
    await peer.close();
    expect(peer.messages).toEqual(["kept!"]);
    gone.port2.close();
  });

  it("a job result that cannot move fails the job, typed, and the thread goes on", async () => {
    const p = make();
    const { port, peer } = channel();
    // The errors cross back by structured clone: their names and messages, not their classes.
    await expect(p.submit("giveUnlisted", [port], { transfer: [port] })).rejects.toMatchObject({ name: "UncloneableValueError", message: expect.stringMatching(/value\.port.*MessagePort/) });
    await expect(p.submit("giveBad", [])).rejects.toMatchObject({ name: "TransferError" });
    const again = channel();
    expect(await p.submit("greet", [again.port, "after"], { transfer: [again.port] })).toBe(1);
    await again.peer.close();
    expect(again.peer.messages).toEqual(["after!"]);
    expect(p.metrics().crashed).toBe(0);
    peer.port.close(); // the job kept the port it could not return: its thread owns it
  });
});

describe("MessagePorts in flight when a thread dies or a job is cancelled", () => {
  it("the thread exits while its job holds the port: ThreadCrashedError, and the peer sees the port close", async () => {
    const p = make();
    const { port, peer } = channel();
    const e = await p.submit("exitHolding", [port, 3], { transfer: [port] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ThreadCrashedError);
    await peer.close();
    expect(peer.messages).toEqual([]);
  });

  it("the thread exits while the port is in flight to it (posted, not yet in the job's hands): ThreadCrashedError, the peer sees close", async () => {
    const p = make(1, 1);
    expect(await p.submit("exitOnMovedArgs", [])).toBe(true);
    const { port, peer } = channel();
    const e = await p.submit("greet", [port, "lost"], { transfer: [port] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ThreadCrashedError);
    expect((e as ThreadCrashedError).message).toContain("7");
    await peer.close();
    expect(peer.messages).toEqual([]);
    // The replacement thread takes ports again.
    const again = channel();
    expect(await p.submit("greet", [again.port, "next"], { transfer: [again.port] })).toBe(1);
    await again.peer.close();
    expect(again.peer.messages).toEqual(["next!"]);
  });

  it("the thread exits with a job in its ring that holds a port: the job runs once on the replacement, with its port", async () => {
    const p = make(1, 4);
    const g = gate();
    const { port, peer } = channel();
    const exit = p.submit("gatedExit", [g.port, 5], { transfer: [g.port] }).catch((x: unknown) => x);
    const greet = p.submit("greet", [port, "survived"], { transfer: [port] }); // in the same thread's ring, behind it
    g.open();
    expect(await exit).toBeInstanceOf(ThreadCrashedError);
    expect(await greet).toBe(1);
    await peer.close();
    expect(peer.messages).toEqual(["survived!"]);
    expect(p.metrics().crashed).toBe(1);
  });

  it("a job cancelled after it was handed to a thread but before it started: rejected, its port closed, never delivered", async () => {
    const p = make(1, 4);
    const g = gate();
    const first = channel();
    const { port, peer } = channel();
    const blocker = p.submit("gated", [g.port, first.port], { transfer: [g.port, first.port] });
    const ac = new AbortController();
    const greet = p.submit("greet", [port, "never"], { transfer: [port], signal: ac.signal }); // in the thread's ring, behind it
    ac.abort(new Error("withdrawn"));
    await expect(greet).rejects.toThrow("withdrawn");
    await peer.close(); // closed here, not left with a dead job
    g.open();
    expect(await blocker).toBe(2);
    await first.peer.close();
    expect(first.peer.messages).toEqual(["started", "late"]);
    await Peer.settle();
    expect(peer.messages).toEqual([]);
  });

  it("a job cancelled while it waits in the pool's queue: rejected, its port closed", async () => {
    const p = make(1, 1);
    const g = gate();
    const first = channel();
    const blocker = p.submit("gated", [g.port, first.port], { transfer: [g.port, first.port] });
    const { port, peer } = channel();
    const ac = new AbortController();
    const greet = p.submit("greet", [port, "never"], { transfer: [port], signal: ac.signal });
    expect(p.metrics().queued).toBe(1);
    ac.abort(new Error("withdrawn"));
    await expect(greet).rejects.toThrow("withdrawn");
    await peer.close();
    g.open();
    expect(await blocker).toBe(2);
    await first.peer.close();
    expect(peer.messages).toEqual([]);
  });

  it("a job cancelled while it runs with the port: its thread is terminated and the peer sees the port close", async () => {
    const p = make(1, 1);
    const g = gate();
    const { port, peer } = channel();
    const ac = new AbortController();
    const running = p.submit("gated", [g.port, port], { transfer: [g.port, port], signal: ac.signal });
    while (peer.messages.length === 0) await new Promise((r) => setImmediate(r)); // it runs, holding the port
    ac.abort(new Error("stop"));
    await expect(running).rejects.toThrow("stop");
    await peer.close();
    expect(peer.messages).toEqual(["started"]);
  });
});

type Kind = "greet" | "giveBack";
type Cancel = "never" | "now" | "later";

describe("MessagePorts across threads: property", () => {
  it("random jobs with ports on 2 threads, some cancelled: each port is delivered at most once, a job that succeeded delivered it, and every peer ends closed", async () => {
    const seen = { succeeded: 0, cancelled: 0, cancelledDelivered: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ kind: fc.constantFrom<Kind>("greet", "giveBack"), cancel: fc.constantFrom<Cancel>("never", "never", "now", "later") }), { minLength: 1, maxLength: 24 }), async (plan) => {
        const p = make(2, 4);
        const runs = plan.map(({ kind, cancel }, i) => {
          const { port, peer } = channel();
          const ac = new AbortController();
          const opts = { transfer: [port], signal: ac.signal };
          const job: Promise<unknown> = kind === "greet" ? p.submit("greet", [port, `m${i}`], opts) : p.submit("giveBack", [{ port, tag: i }], opts);
          if (cancel === "now") ac.abort(new Error("cancelled"));
          if (cancel === "later") setImmediate(() => ac.abort(new Error("cancelled")));
          return { kind, i, peer, job: job.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e })) };
        });
        for (const r of runs) {
          const out = await r.job;
          if (out.ok && r.kind === "giveBack") {
            const back = out.v as { port: MessagePort; tag: number };
            expect(back.tag).toBe(r.i); // the caller got its own port back, not another job's
            back.port.postMessage(`back${r.i}`);
            back.port.close();
          }
          if (out.ok) seen.succeeded++;
          else {
            expect(String(out.e)).toMatch(/cancelled/);
            seen.cancelled++;
          }
          await r.peer.close(); // every peer ends closed: no port left in limbo
          await Peer.settle();
          const expected = r.kind === "greet" ? `m${r.i}!` : `back${r.i}`;
          expect(r.peer.messages.length).toBeLessThanOrEqual(1);
          if (out.ok) expect(r.peer.messages).toEqual([expected]);
          else {
            expect(r.peer.messages.every((m) => m === expected)).toBe(true);
            if (r.peer.messages.length > 0) seen.cancelledDelivered++;
          }
        }
        await p.stop();
        pool = null;
      }),
      { seed: 1349, numRuns: 12 },
    );
    // The runs met both fates (counted, so the property cannot pass vacuously).
    expect(seen.succeeded).toBeGreaterThan(0);
    expect(seen.cancelled).toBeGreaterThan(0);
  });
});
