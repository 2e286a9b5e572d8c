/**
 * Differential tests against ts-chan (npm `ts-chan`, another Go-channel port):
 * the same random sequence of operations runs on a gochan channel set and on a
 * ts-chan channel set, in lock step, with the event loop settled after every
 * operation; every operation's outcome (value and ok, send-on-closed, abort), the
 * order of deliveries, close errors, len and cap must be the same on both.
 *
 * Behaviour where ts-chan deliberately differs from Go (and so from gochan) is
 * left out, each with its reason:
 * - the choice among several ready select cases is random in both (each with its
 *   own generator), so a select is only ever given at most one ready case;
 * - ts-chan evaluates a send case's value lazily (a thunk, only if chosen), Go and
 *   gochan eagerly: only constant values are sent, so the difference cannot show;
 * - ts-chan has no nil channel, no `zero` option (a factory instead) and rejects a
 *   bad capacity with a plain Error: none of these is exercised here;
 * - ts-chan resolves a fast-path operation only after a macrotask turn (its
 *   "footgun" mitigation), gochan sooner: outcomes are compared only once the
 *   event loop has settled, never by timing;
 * - error classes differ (ts-chan's SendOnClosedChannelError / CloseOfClosedChannelError):
 *   both are mapped to the same outcome.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as ts from "ts-chan";
import { Chan, CloseOfClosedError, recv, select, send, SendOnClosedError, trySelect } from "@gochan/core";

/** One case of a select: receive from, or send a fresh value to, channel `ch`. */
interface CaseSpec {
  kind: "recv" | "send";
  ch: number;
}

type Op =
  | { op: "send"; ch: number; preAborted: boolean }
  | { op: "recv"; ch: number; preAborted: boolean }
  | { op: "trySend"; ch: number }
  | { op: "tryRecv"; ch: number }
  | { op: "close"; ch: number }
  | { op: "abort"; k: number }
  | { op: "select"; cases: CaseSpec[] }
  | { op: "trySelect"; cases: CaseSpec[] };

/** What an operation did, in terms both libraries can produce. */
type Outcome =
  | "pending"
  | "sent"
  | "send-on-closed"
  | "closed"
  | "close-of-closed"
  | "aborted"
  | "would-block"
  | { value: number | undefined; ok: boolean; index?: number }
  | { unexpected: string };

/** The operations under comparison, implemented once per library. */
interface Side {
  len(ch: number): number;
  cap(ch: number): number;
  send(ch: number, v: number, signal: AbortSignal): Promise<void>;
  recv(ch: number, signal: AbortSignal): Promise<{ value: number | undefined; ok: boolean }>;
  trySend(ch: number, v: number): boolean;
  tryRecv(ch: number): { value: number | undefined; ok: boolean } | undefined;
  close(ch: number): void;
  select(cases: CaseSpec[], values: number[], signal: AbortSignal): Promise<{ index: number; value: number | undefined; ok: boolean }>;
  trySelect(cases: CaseSpec[], values: number[]): { index: number; value: number | undefined; ok: boolean } | undefined;
}

function gochanSide(caps: number[]): Side & { chans: Chan<number>[] } {
  const chans = caps.map((c) => new Chan<number>(c));
  const at = (i: number): Chan<number> => chans[i] as Chan<number>;
  const cases = (specs: CaseSpec[], values: number[]) =>
    specs.map((c, i) => (c.kind === "recv" ? recv(at(c.ch)) : send(at(c.ch), values[i] as number)));
  const shape = (r: { index: number; value: unknown; ok: boolean }) => ({
    index: r.index,
    value: r.value as number | undefined,
    ok: r.ok,
  });
  return {
    chans,
    len: (i) => at(i).len,
    cap: (i) => at(i).cap,
    send: (i, v, signal) => at(i).send(v, signal),
    recv: (i, signal) => at(i).recvOk(signal),
    trySend: (i, v) => at(i).trySend(v),
    tryRecv: (i) => at(i).tryRecv(),
    close: (i) => at(i).close(),
    select: async (specs, values, signal) => shape(await select(cases(specs, values), { signal })),
    trySelect: (specs, values) => {
      const r = trySelect(cases(specs, values));
      return r === undefined ? undefined : shape(r);
    },
  };
}

function tsChanSide(caps: number[]): Side & { chans: ts.Chan<number>[] } {
  const chans = caps.map((c) => new ts.Chan<number>(c));
  const at = (i: number): ts.Chan<number> => chans[i] as ts.Chan<number>;
  const fromIter = (r: IteratorResult<number, number | undefined>) =>
    r.done === true ? { value: r.value, ok: false } : { value: r.value, ok: true };
  const build = (specs: CaseSpec[], values: number[]) =>
    new ts.Select(
      // A thunk of a constant: ts-chan's lazy evaluation is indistinguishable from Go's eager one.
      specs.map((c, i) => (c.kind === "recv" ? ts.recv(at(c.ch)) : ts.send(at(c.ch), () => values[i] as number))),
    );
  const result = (sel: ts.Select<ts.SelectCase<number>[]>, specs: CaseSpec[], index: number) => {
    if ((specs[index] as CaseSpec).kind === "send") return { index, value: undefined, ok: true };
    return { index, ...fromIter(sel.recv(sel.cases[index] as ts.SelectCase<number>)) };
  };
  return {
    chans,
    len: (i) => at(i).length,
    cap: (i) => at(i).capacity,
    send: (i, v, signal) => at(i).send(v, signal),
    recv: async (i, signal) => fromIter(await at(i).recv(signal)),
    trySend: (i, v) => at(i).trySend(v),
    tryRecv: (i) => {
      const r = at(i).tryRecv();
      return r === undefined ? undefined : fromIter(r);
    },
    close: (i) => at(i).close(),
    select: async (specs, values, signal) => {
      const sel = build(specs, values);
      return result(sel, specs, await sel.wait(signal));
    },
    trySelect: (specs, values) => {
      const sel = build(specs, values);
      const index = sel.poll();
      return index === undefined ? undefined : result(sel, specs, index);
    },
  };
}

function classify(e: unknown, signal: AbortSignal | null): Outcome {
  if (e instanceof SendOnClosedError || e instanceof ts.SendOnClosedChannelError) return "send-on-closed";
  if (e instanceof CloseOfClosedError || e instanceof ts.CloseOfClosedChannelError) return "close-of-closed";
  if (signal !== null && signal.aborted && e === signal.reason) return "aborted";
  return { unexpected: String(e) };
}

/** Lets every microtask and the pending macrotask turns run (ts-chan resolves after one). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One side's record: the outcome of every operation, by operation number. */
class Runner {
  readonly outcomes: Outcome[] = [];
  readonly controllers: AbortController[] = [];
  constructor(readonly side: Side) {}

  track(p: Promise<unknown>, controller: AbortController, map: (v: unknown) => Outcome): void {
    const id = this.outcomes.length;
    this.outcomes.push("pending");
    this.controllers[id] = controller;
    p.then(
      (v) => {
        this.outcomes[id] = map(v);
      },
      (e: unknown) => {
        this.outcomes[id] = classify(e, controller.signal);
      },
    );
  }

  sync(f: () => Outcome): void {
    let out: Outcome;
    try {
      out = f();
    } catch (e) {
      out = classify(e, null);
    }
    this.outcomes.push(out);
  }
}

/** The channels a select may use: keeps every case that would block, and at most one ready case. */
function deterministicCases(cases: CaseSpec[], tsChans: ts.Chan<number>[], closed: boolean[]): CaseSpec[] {
  let haveReady = false;
  return cases.filter((c) => {
    const ch = tsChans[c.ch] as ts.Chan<number>;
    // ts-chan's public counters: length (buffered), concurrency (> 0 blocked senders, < 0 blocked receivers).
    const ready =
      c.kind === "recv"
        ? ch.length > 0 || ch.concurrency > 0 || (closed[c.ch] as boolean)
        : (closed[c.ch] as boolean) || ch.concurrency < 0 || ch.length < ch.capacity;
    if (!ready) return true;
    if (haveReady) return false;
    haveReady = true;
    return true;
  });
}

async function runBoth(caps: number[], ops: Op[]): Promise<void> {
  const g = gochanSide(caps);
  const t = tsChanSide(caps);
  const runners = [new Runner(g), new Runner(t)] as const;
  const closed = caps.map(() => false);
  let nextValue = 1;

  const compare = (step: string): void => {
    for (let i = 0; i < caps.length; i++) {
      expect(g.len(i), `len c${i} after ${step}`).toBe(t.len(i));
      expect(g.cap(i), `cap c${i} after ${step}`).toBe(t.cap(i));
    }
    expect(runners[0].outcomes, `outcomes after ${step}`).toEqual(runners[1].outcomes);
  };

  for (const [n, op] of ops.entries()) {
    switch (op.op) {
      case "send":
      case "recv": {
        const v = nextValue++;
        const reason = new Error(`abort of op ${runners[0].outcomes.length}`);
        for (const r of runners) {
          const controller = new AbortController();
          if (op.preAborted) controller.abort(reason);
          if (op.op === "send") r.track(r.side.send(op.ch, v, controller.signal), controller, () => "sent");
          else r.track(r.side.recv(op.ch, controller.signal), controller, (x) => x as Outcome);
        }
        break;
      }
      case "trySend": {
        const v = nextValue++;
        for (const r of runners) r.sync(() => (r.side.trySend(op.ch, v) ? "sent" : "would-block"));
        break;
      }
      case "tryRecv":
        for (const r of runners) r.sync(() => r.side.tryRecv(op.ch) ?? "would-block");
        break;
      case "close":
        for (const r of runners) {
          r.sync(() => {
            r.side.close(op.ch);
            return "closed";
          });
        }
        closed[op.ch] = true;
        break;
      case "abort": {
        const pending = runners[0].outcomes.flatMap((o, id) => (o === "pending" ? [id] : []));
        if (pending.length === 0) continue;
        const id = pending[op.k % pending.length] as number;
        const reason = new Error(`abort of op ${id}`);
        for (const r of runners) (r.controllers[id] as AbortController).abort(reason);
        break;
      }
      case "select":
      case "trySelect": {
        const specs = deterministicCases(op.cases, t.chans, closed);
        if (specs.length === 0) continue;
        const values = specs.map(() => nextValue++);
        for (const r of runners) {
          if (op.op === "trySelect") r.sync(() => r.side.trySelect(specs, values) ?? "would-block");
          else {
            const controller = new AbortController();
            r.track(r.side.select(specs, values, controller.signal), controller, (x) => x as Outcome);
          }
        }
        break;
      }
    }
    await settle();
    compare(`op ${n} ${JSON.stringify(op)}`);
  }

  // Close everything: every blocked operation settles the same way; then both
  // channels drain the same buffered values, in the same order.
  for (let i = 0; i < caps.length; i++) {
    if (closed[i]) continue;
    for (const r of runners) r.side.close(i);
  }
  await settle();
  compare("closing all");
  for (let i = 0; i < caps.length; i++) {
    const drained = runners.map((r) => {
      const out: unknown[] = [];
      for (;;) {
        const x = r.side.tryRecv(i);
        out.push(x);
        if (x === undefined || !x.ok) return out;
      }
    });
    expect(drained[0]).toEqual(drained[1]);
  }
  expect(runners[0].outcomes.filter((o) => o === "pending")).toEqual([]);
}

const singleOps = (maxCh: number): fc.Arbitrary<Op>[] => {
  const ch = fc.nat(maxCh);
  return [
    ch.map((c) => ({ op: "send" as const, ch: c, preAborted: false })),
    ch.map((c) => ({ op: "recv" as const, ch: c, preAborted: false })),
    ch.map((c) => ({ op: "trySend" as const, ch: c })),
    ch.map((c) => ({ op: "tryRecv" as const, ch: c })),
    fc.nat(7).map((k) => ({ op: "abort" as const, k })),
  ];
};

function opsArb(nChans: number, withSelect: boolean): fc.Arbitrary<Op[]> {
  const ch = fc.nat(nChans - 1);
  const [sendA, recvA, trySendA, tryRecvA, abortA] = singleOps(nChans - 1) as [
    fc.Arbitrary<Op>,
    fc.Arbitrary<Op>,
    fc.Arbitrary<Op>,
    fc.Arbitrary<Op>,
    fc.Arbitrary<Op>,
  ];
  // Each channel at most once per select: a select that both sends and receives
  // on one channel is not something this comparison needs.
  const casesA = fc
    .uniqueArray(ch, { minLength: 1, maxLength: nChans })
    .chain((chs) =>
      fc.tuple(...chs.map((c) => fc.constantFrom("recv" as const, "send" as const).map((kind) => ({ kind, ch: c })))),
    );
  const weighted: fc.WeightedArbitrary<Op>[] = [
    { weight: 5, arbitrary: sendA },
    { weight: 5, arbitrary: recvA },
    { weight: 3, arbitrary: trySendA },
    { weight: 3, arbitrary: tryRecvA },
    { weight: 3, arbitrary: abortA },
    { weight: 1, arbitrary: ch.map((c) => ({ op: "send" as const, ch: c, preAborted: true })) },
    { weight: 1, arbitrary: ch.map((c) => ({ op: "recv" as const, ch: c, preAborted: true })) },
    { weight: 1, arbitrary: ch.map((c) => ({ op: "close" as const, ch: c })) },
  ];
  if (withSelect) {
    weighted.push(
      { weight: 4, arbitrary: casesA.map((cases) => ({ op: "select" as const, cases })) },
      { weight: 2, arbitrary: casesA.map((cases) => ({ op: "trySelect" as const, cases })) },
    );
  }
  return fc.array(fc.oneof(...weighted), { maxLength: 40 });
}

describe("differential: gochan and ts-chan agree", () => {
  it("on random operation sequences on one channel of random capacity", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), opsArb(1, false), async (cap, ops) => {
        await runBoth([cap], ops);
      }),
      { numRuns: 400 },
    );
  }, 60_000);

  it("on random operations and selects over two or three channels", async () => {
    const arb = fc
      .integer({ min: 2, max: 3 })
      .chain((n) => fc.tuple(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }), opsArb(n, true)));
    await fc.assert(
      fc.asyncProperty(arb, async ([caps, ops]) => {
        await runBoth(caps, ops);
      }),
      { numRuns: 400 },
    );
  }, 60_000);
});
