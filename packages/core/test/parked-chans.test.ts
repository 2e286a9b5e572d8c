import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { Chan, nilChan, recv, select, send, WaitGroup } from "@gochan/core";
import { BURST, CallSites } from "../src/call-sites.js";
import { parkCase, withdrawCase, type ExternalSelector } from "../src/external-select.js";
import { ParkedChans } from "../src/parked-chans.js";
import { deadlockReport } from "../src/run.js";
import { trace, type BlockedOp } from "../src/trace.js";
import { macrotask } from "./helpers.js";

const FATAL = "fatal error: all goroutines are asleep - deadlock!";

/** Installs `hook` as run() does; afterEach removes it. */
function install(sites: CallSites = new CallSites("off"), minChans?: number): ParkedChans {
  const hook = new ParkedChans(sites, minChans);
  trace.hook = hook;
  return hook;
}

afterEach(() => {
  trace.hook = null;
});

/** Counts of "kind target" over `ops`, naming targets through `ids`. */
function tally(ops: Iterable<BlockedOp>, ids: Map<unknown, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const op of ops) {
    let id = ids.get(op.target);
    if (id === undefined) {
      id = ids.size;
      ids.set(op.target, id);
    }
    const key = `${op.kind} ${id}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/** `n` fresh channels, one after another, each parked on by a receive that a send then releases. */
async function replyChannels(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const ch = new Chan<number>();
    const q = ch.recv();
    ch.trySend(i);
    await q;
  }
}

describe("ParkedChans: run()'s record of blocked operations", () => {
  it("a compaction reads the channels' queues without making one for a direction nothing parked in", async () => {
    install(new CallSites("off"), 4);
    const chans = Array.from({ length: 12 }, () => new Chan<number>());
    for (const ch of chans) {
      void ch.recv(); // recorded; the send direction never had a waiter
      ch.trySend(1); // and found idle by the next compaction
    }
    await macrotask();
    const unused = new Chan<number>()._sq; // the shared empty queue of a direction nothing parked in
    for (const ch of chans) expect(ch._sq).toBe(unused);
  });

  it("lists every blocked operation once, with its channel or its select's cases", async () => {
    const hook = install();
    const a = new Chan<number>(0, { name: "a" });
    const full = new Chan<number>(1, { name: "full" });
    full.trySend(0);
    const wg = new WaitGroup();
    wg.add(1);
    const cases = [recv(a), send(full, 2)] as const;
    const never = new Promise(() => {});
    const loose = [never] as const;
    void a.recv();
    void full.send(1);
    void select(cases);
    void nilChan<number>().recv();
    void select([]);
    void select(loose);
    void wg.wait();
    await macrotask();
    const ops = [...hook.ops()];
    expect(ops.map((op) => op.kind).sort()).toEqual(["recv", "recv", "recv", "select", "select", "select", "send"]);
    // The select waits on both channels: listed once, with all its cases.
    expect(ops.filter((op) => op.target === cases)).toHaveLength(1);
    expect(ops.filter((op) => op.target === loose)).toHaveLength(1);
    expect(deadlockReport(ops, true, hook)).toContain("select on: receive from chan(a) 0/0, send to chan(full) 1/1");
  });

  it("forgets completed, aborted and withdrawn operations, on channels and off them", async () => {
    const hook = install();
    const a = new Chan<number>(0, { name: "a" });
    const ac = new AbortController();
    const r = a.recv();
    const s = select([recv(a), recv(nilChan())]);
    const n = nilChan<number>().recv(ac.signal);
    const e = select([], { signal: ac.signal });
    expect([...hook.ops()]).toHaveLength(4);
    a.trySend(1);
    a.trySend(2);
    ac.abort(new Error("stop"));
    await expect(r).resolves.toBe(1);
    await expect(s).resolves.toMatchObject({ index: 0, value: 2 });
    await expect(n).rejects.toThrow("stop");
    await expect(e).rejects.toThrow("stop");
    expect([...hook.ops()]).toEqual([]);
  });

  it("keeps an operation whose target is not one of its channels aside until it unparks", () => {
    const hook = install();
    const op = { traced: null };
    const foreign = { name: "another package's channel" };
    hook.park(op, "recv", foreign);
    expect([...hook.ops()]).toEqual([{ kind: "recv", target: foreign, site: null }]);
    hook.unpark(op);
    expect([...hook.ops()]).toEqual([]);
  });

  it("lists a case that a select from outside core (threads) parked on a core channel, as that channel's operation", () => {
    const hook = install();
    const a = new Chan<number>(0, { name: "a" });
    const b = new Chan<number>(0, { name: "b" });
    const outside: ExternalSelector = { fire: () => true, fail: () => true };
    const ra = parkCase(recv(a), outside, 0);
    const sb = parkCase(send(b, 1), outside, 1);
    expect([...hook.ops()].map((op) => [op.kind, op.target])).toEqual([
      ["recv", a],
      ["send", b],
    ]);
    expect(deadlockReport(hook.ops(), true)).not.toMatch(/select \{\}|no cases/);
    withdrawCase(ra!);
    withdrawCase(sb!);
    expect([...hook.ops()]).toEqual([]);
  });

  it("keeps no channel alive whose operations completed: recording one forgets the idle ones first", async () => {
    const hook = install();
    // Reply channels, each parked on once and released before the next parks:
    // only the last is still recorded (kept alive), not the ring's worth.
    await replyChannels(10);
    expect(hook.recorded).toBe(1);
    // A channel something still waits on stays recorded through later records.
    const blocked = new Chan<number>(0, { name: "blocked" });
    void blocked.recv();
    await replyChannels(40);
    expect([...hook.ops()].map((op) => op.target)).toEqual([blocked]);
    expect(hook.recorded).toBe(2);
  });

  it("reads a channel still waited on once, not again at every later record", async () => {
    install();
    // A server's request channel: clients keep waiting on it while each
    // request makes a fresh reply channel (the stateful goroutine's shape).
    const requests = new Chan<number>(0, { name: "requests" });
    void requests.send(1);
    let reads = 0;
    for (const field of ["_sq", "_rq"] as const) {
      let queue = requests[field];
      Object.defineProperty(requests, field, {
        get: () => {
          reads++;
          return queue;
        },
        set: (q: typeof queue) => {
          queue = q;
        },
      });
    }
    await replyChannels(100);
    // Once, when the first reply channel was recorded and found it still
    // waited on; from then on it is known to be, until a compaction.
    expect(reads).toBeLessThanOrEqual(2);
  });

  it("keeps the record bounded and finds a channel again after it was dropped while idle", async () => {
    const hook = install();
    const early = new Chan<number>(0, { name: "early" });
    const p = early.recv();
    early.trySend(1);
    await p;
    // Thousands of channels, each blocked once and released: the idle ones are dropped.
    await replyChannels(5000);
    expect(hook.recorded).toBeLessThanOrEqual(128);
    // `early` was dropped long ago: blocking on it again records it again.
    void early.recv();
    expect([...hook.ops()].map((op) => op.target)).toEqual([early]);
  });

  it("keeps its stamp for life: a compaction clears the stamps of the channels it drops instead", async () => {
    const hook = install(new CallSites("off"), 4);
    const stamp = hook.stamp;
    const held = new Chan<number>(0, { name: "held" });
    void held.recv(); // waited on through every compaction below
    const idle: Chan<number>[] = [];
    for (let i = 0; i < 40; i++) {
      const ch = new Chan<number>();
      const q = ch.recv();
      void new Chan<number>().recv(); // a channel still waited on: `chans` grows, and compacts
      ch.trySend(i);
      await q;
      idle.push(ch);
    }
    // A stamp that moved on would make every function V8 compiled with it
    // inlined (select, the channel operations) deoptimize at the first compaction.
    expect(hook.stamp).toBe(stamp);
    expect(held._seen).toBe(stamp);
    // The first idle channels were dropped by an early compaction, their stamp
    // cleared, so that a park records them again.
    const again = idle[0] as Chan<number>;
    expect([again._seen, (idle[1] as Chan<number>)._seen]).toEqual([0, 0]);
    void again.recv();
    expect(again._seen).toBe(stamp);
    expect([...hook.ops()].filter((op) => op.target === again)).toHaveLength(1);
  });

  it("agrees with which operations are still pending, under random programs (model: the promises)", async () => {
    type Action =
      | { t: "chan" }
      | { t: "recv" | "send" | "trySend" | "tryRecv"; c: number }
      | { t: "select"; c: number; d: number }
      | { t: "nil" }
      | { t: "abort" };
    const action: fc.Arbitrary<Action> = fc.oneof(
      { arbitrary: fc.constant({ t: "chan" as const }), weight: 6 },
      {
        arbitrary: fc.record({
          t: fc.constantFrom("recv" as const, "send" as const, "trySend" as const, "tryRecv" as const),
          c: fc.nat(6),
        }),
        weight: 8,
      },
      { arbitrary: fc.record({ t: fc.constant("select" as const), c: fc.nat(6), d: fc.nat(90) }), weight: 3 },
      { arbitrary: fc.constant({ t: "nil" as const }), weight: 1 },
      { arbitrary: fc.constant({ t: "abort" as const }), weight: 1 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 50, maxLength: 300 }), fc.integer({ min: 1, max: 8 }), async (actions, min) => {
        // A small minimum: compactions all along the program.
        const hook = install(new CallSites("off"), min);
        const chans: Chan<number>[] = [new Chan<number>()];
        // Mostly the newest channels, sometimes an old one (dropped and recorded again).
        const pick = (c: number): Chan<number> => chans[Math.max(0, chans.length - 1 - c)] as Chan<number>;
        const pending = new Map<Promise<unknown>, { kind: string; target: unknown }>();
        let ac = new AbortController();
        const track = (p: Promise<unknown>, kind: string, target: unknown): void => {
          pending.set(p, { kind, target });
          p.then(
            () => pending.delete(p),
            () => pending.delete(p),
          );
        };
        for (const a of actions) {
          switch (a.t) {
            case "chan":
              chans.push(new Chan<number>());
              break;
            case "recv":
              track(pick(a.c).recv(ac.signal), "recv", pick(a.c));
              break;
            case "send":
              track(pick(a.c).send(1, ac.signal), "send", pick(a.c));
              break;
            case "trySend":
              pick(a.c).trySend(1);
              break;
            case "tryRecv":
              pick(a.c).tryRecv();
              break;
            case "select": {
              const cases = [recv(pick(a.c)), send(pick(a.d), 1)];
              track(select(cases, { signal: ac.signal }), "select", cases);
              break;
            }
            case "nil":
              track(nilChan<number>().recv(ac.signal), "recv", null);
              break;
            case "abort":
              ac.abort();
              ac = new AbortController();
              break;
          }
        }
        await macrotask();
        const ids = new Map<unknown, number>();
        const listed = [...hook.ops()].map((op) => (op.target instanceof Chan && op.target._nil ? { ...op, target: null } : op));
        expect(tally(listed, ids)).toEqual(tally([...pending.values()] as BlockedOp[], ids));
        expect(hook.recorded).toBeLessThanOrEqual(Math.max(min, 2 * chans.length));
        ac.abort();
        await macrotask();
        expect([...hook.ops()]).toEqual([]);
      }),
      { numRuns: 150, seed: 1513 },
    );
  });

  it("an operation whose site was not sampled is reported with where its kind was seen waiting on its channel", async () => {
    const hook = install(new CallSites("sampled", () => () => {})); // a refill timer that never ticks: no refill after the burst
    const ch = new Chan<number>(0, { name: "c" });
    const other = new Chan<number>(0, { name: "d" });
    function sampledHere(): void {
      for (let i = 0; i < BURST; i++) {
        void ch.recv();
        ch.trySend(i);
      }
    }
    sampledHere();
    void ch.recv(); // out of credit
    void other.send(1); // no send on d was ever sampled
    const report = deadlockReport(hook.ops(), true, hook);
    expect(report).toMatch(
      new RegExp(
        `^${FATAL}\\n\\ngoroutine 1 \\[chan receive\\]:\\nreceive from chan\\(c\\) 0/0\\n\\t\\(call site not sampled; receives from chan\\(c\\) 0/0 were seen waiting at:\\)\\n\\tat sampledHere \\([^\\n]*parked-chans\\.test\\.ts:\\d+:\\d+\\)\\n\\n`,
      ),
    );
    expect(report).toContain(
      'goroutine 2 [chan send]:\nsend to chan(d) 0/0\n\t(call site not sampled: run(main, { callSites: "all" }) records every one)\n',
    );
  });

  it("is not called when a plain operation or a select on a channel completes, only for the loose operations it keeps", async () => {
    const hook = install();
    let unparked = 0;
    const unpark = hook.unpark.bind(hook);
    hook.unpark = (op): void => {
      unparked++;
      unpark(op);
    };
    const ch = new Chan<number>();
    const buffered = new Chan<number>(1);
    // Plain operations that park and complete: hand-offs both ways, through a buffer, on close.
    for (let i = 0; i < 10; i++) {
      const got = ch.recv();
      await ch.send(i);
      await got;
      const sent = ch.send(i);
      await ch.recv();
      await sent;
      buffered.trySend(i);
      const queued = buffered.send(i);
      await buffered.recv();
      await queued;
      await buffered.recv();
    }
    const closed = ch.recv();
    ch.close();
    await closed;
    expect(unparked).toBe(0);
    // A select with a channel case is found through its waiters, which leave
    // the queues when it fires: nothing to undo.
    const a = new Chan<number>();
    const fired = select([recv(a), recv(buffered)]);
    expect([...hook.ops()]).toEqual([{ kind: "select", target: [recv(a), recv(buffered)], site: null }]);
    await a.send(1);
    await fired;
    expect(unparked).toBe(0);
    expect([...hook.ops()]).toEqual([]);
    // A select on no channel is kept aside, and unparked once when it fires.
    let wake!: () => void;
    const loose = select([new Promise<void>((resolve) => (wake = resolve)), recv(nilChan<number>())]);
    expect([...hook.ops()].map((op) => op.kind)).toEqual(["select"]);
    wake();
    await loose;
    expect(unparked).toBe(1);
    expect([...hook.ops()]).toEqual([]);
  });

  it("is not called when a plain operation parks on a channel it has recorded and no call site is due", async () => {
    const hook = install();
    let parks = 0;
    const park = hook.park.bind(hook);
    hook.park = (op, kind, target): void => {
      parks++;
      park(op, kind, target);
    };
    const ch = new Chan<number>(0, { name: "c" });
    for (let i = 0; i < 100; i++) {
      const got = ch.recv();
      await ch.send(i);
      await got;
    }
    // The first park records the channel; the other 99 find it stamped.
    expect(parks).toBe(1);
    // A park that is due a call site still reaches the hook.
    const sampling = install(new CallSites("sampled", () => () => {}));
    let sampled = 0;
    const parkSampled = sampling.park.bind(sampling);
    sampling.park = (op, kind, target): void => {
      sampled++;
      parkSampled(op, kind, target);
    };
    for (let i = 0; i < 3; i++) {
      const got = ch.recv();
      await ch.send(i);
      await got;
    }
    expect(sampled).toBe(3);
  });

  it("records a select through the first channel select() noted while parking, never reading its cases again", async () => {
    const hook = install();
    const a = new Chan<number>(0, { name: "a" });
    const b = new Chan<number>(0, { name: "b" });
    void a.recv(); // a is recorded now
    // A cases array that counts how often something iterates it (select itself indexes it).
    let iterated = 0;
    const cases = [recv(b), recv(a)];
    const values = cases[Symbol.iterator].bind(cases);
    Object.defineProperty(cases, Symbol.iterator, {
      value: () => {
        iterated++;
        return values();
      },
    });
    // Its first channel, b, is not recorded yet: the hook records it, as select() noted it.
    const first = select(cases);
    expect(iterated).toBe(0);
    expect([...hook.ops()].map((op) => op.kind)).toEqual(["recv", "select"]);
    // Once b is recorded, parking the select again is a compare.
    await b.send(1);
    await first;
    const again = select(cases);
    expect(iterated).toBe(0);
    expect([...hook.ops()].map((op) => op.kind).sort()).toEqual(["recv", "select"]);
    await a.send(2); // the plain receive parked first takes it
    await b.send(3);
    await again;
    expect([...hook.ops()]).toEqual([]);
  });

  it("records a select through a channel it can stamp, past a first case on a copy of core with no stamp", () => {
    const hook = install();
    // A channel of an older copy of core: branded, but without the `_seen` stamp.
    const old = new Chan<number>(0, { name: "old" });
    Object.defineProperty(old, "_seen", { value: undefined, writable: true, configurable: true });
    const b = new Chan<number>(0, { name: "b" });
    void select([recv(old), recv(b)]);
    expect((old as unknown as { _seen: unknown })._seen).toBeUndefined();
    expect(b._seen).not.toBe(0);
    expect([...hook.ops()].map((op) => op.kind)).toEqual(["select"]);
  });

  it('callSites "all": every operation gets its own site', () => {
    const hook = install(new CallSites("all"));
    const ch = new Chan<number>(0, { name: "c" });
    function blockedHere(): void {
      void ch.recv();
    }
    blockedHere();
    expect(deadlockReport(hook.ops(), true, hook)).toMatch(/receive from chan\(c\) 0\/0\n\tat blockedHere \(/);
  });
});
