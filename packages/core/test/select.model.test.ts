/**
 * Interleaving tests of channels and select with `fc.scheduler()`: producers and
 * consumers (plain send/recv, blocking select over several channels, trySelect
 * with a fallback to select, some consumers' selects aborted at random points)
 * run over buffered and unbuffered channels, optionally with some channels closed
 * at a random point. Every actor yields to the scheduler before each operation, so
 * fast-check decides the order in which the tasks resume.
 *
 * Asserted once everything has drained and every channel is closed:
 * - every value whose send (or select) succeeded is received exactly once, on the
 *   channel the sender committed to; values whose send failed are never received;
 * - per sender and per channel, values are received in the order they were sent;
 * - every select and trySelect settled exactly once (commits counted vs. started),
 *   and an aborted select consumed nothing;
 * - no actor is left pending and no waiter is left parked on any channel.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Chan,
  configureScheduling,
  recv,
  select,
  send,
  SendOnClosedError,
  setSelectSeed,
  trySelect,
  type RecvCase,
  type SendCase,
} from "@gochan/core";

// The fairness budget defers a fast-path completion to a macrotask turn every
// `yieldEvery` operations; fast-check's scheduler only drives promises, and the
// receive order below is read from the order in which continuations run, so this
// file turns the budget off (the budget has its own tests) and restores it after.
let previous: ReturnType<typeof configureScheduling> | undefined;
beforeAll(() => {
  previous = configureScheduling({ yieldEvery: Infinity });
});
afterAll(() => {
  if (previous !== undefined) configureScheduling(previous);
});

type ProducerMode = "send" | "select" | "trySelect";
type ConsumerMode = "recv" | "select" | "trySelect";

interface Scenario {
  caps: number[];
  producers: { mode: ProducerMode; chans: number[]; count: number }[];
  consumers: { mode: ConsumerMode; chans: number[]; abortable: boolean }[];
  /** Close these channels after the closer has taken `afterSteps` turns. */
  earlyClose: { chans: number[]; afterSteps: number } | null;
  /** How many turns the aborter takes, aborting one abortable consumer's select each. */
  aborts: number;
  /** Seeds select's choice among ready cases, so a counterexample replays. */
  seed: number;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.integer({ min: 1, max: 3 }).chain((n) => {
  const chans = fc.uniqueArray(fc.nat(n - 1), { minLength: 1, maxLength: n });
  return fc.record({
    caps: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }),
    producers: fc.array(
      fc.record({
        mode: fc.constantFrom<ProducerMode>("send", "select", "trySelect"),
        chans,
        count: fc.integer({ min: 1, max: 4 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    consumers: fc.array(
      fc.record({ mode: fc.constantFrom<ConsumerMode>("recv", "select", "trySelect"), chans, abortable: fc.boolean() }),
      { minLength: 1, maxLength: 3 },
    ),
    earlyClose: fc.option(fc.record({ chans, afterSteps: fc.nat(12) }), { freq: 3, nil: null }),
    aborts: fc.nat(4),
    seed: fc.integer(),
  });
});

/** A plain-recv consumer for every channel no consumer reads, so no producer can block forever. */
function covered(sc: Scenario): Scenario["consumers"] {
  const consumers = [...sc.consumers];
  const read = new Set(consumers.flatMap((c) => (c.mode === "recv" ? c.chans.slice(0, 1) : c.chans)));
  for (let i = 0; i < sc.caps.length; i++) {
    if (!read.has(i)) consumers.push({ mode: "recv", chans: [i], abortable: false });
  }
  return consumers;
}

/** Lets the scheduler release tasks until no actor can make progress. */
async function drain(s: fc.Scheduler): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    // Let woken actors reach their next scheduling point before asking whether any is left.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (s.count() === 0) return;
    await s.waitIdle();
  }
}

/** How many times a trySelect actor polls before it falls back to a blocking select. */
const TRIES = 2;

interface Receipt {
  chan: number;
  value: number;
}

async function runScenario(sc: Scenario, s: fc.Scheduler): Promise<void> {
  setSelectSeed(sc.seed);
  const chans = sc.caps.map((c, i) => new Chan<number>(c, { name: `c${i}` }));
  const consumers = covered(sc);
  const confirmed = new Map<number, number>(); // value -> channel it was committed to
  const failed = new Set<number>(); // values whose send failed: never delivered
  const received: Receipt[] = []; // in commit order
  const errors: unknown[] = [];
  let selectsStarted = 0;
  let selectsSettled = 0;
  let abortedSelects = 0;
  let running = 0;
  const step = (label: string): Promise<void> => s.schedule(Promise.resolve(), label);
  const spawn = (body: () => Promise<void>): Promise<void> => {
    running++;
    return body().then(
      () => {
        running--;
      },
      (e: unknown) => {
        running--;
        errors.push(e);
      },
    );
  };

  /** Blocking select over send cases of `value` on the still-open channels of `open`. */
  async function selectSend(p: number, value: number, open: number[], tries: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      open = open.filter((c) => !(chans[c] as Chan<number>).closed);
      if (open.length === 0) {
        failed.add(value);
        return;
      }
      await step(`p${p} ${attempt < tries ? "trySelect" : "select"} send ${value} on [${open}]`);
      const cases: SendCase<number>[] = open.map((c) => send(chans[c], value));
      selectsStarted++;
      try {
        const r = attempt < tries ? trySelect(cases) : await select(cases);
        selectsSettled++;
        if (r === undefined) continue; // trySelect's default: poll again, then block
        expect(r.index).toBeGreaterThanOrEqual(0);
        expect(r.index).toBeLessThan(open.length);
        confirmed.set(value, open[r.index] as number);
        return;
      } catch (e) {
        selectsSettled++;
        // A chosen send case on a closed channel: the value went nowhere. Retry on the rest.
        if (!(e instanceof SendOnClosedError)) throw e;
      }
    }
  }

  const producers = sc.producers.map((pr, p) =>
    spawn(async () => {
      for (let k = 0; k < pr.count; k++) {
        const value = p * 100 + k;
        if (pr.mode === "send") {
          const c = pr.chans[0] as number;
          await step(`p${p} send ${value} on c${c}`);
          try {
            await (chans[c] as Chan<number>).send(value);
            confirmed.set(value, c);
          } catch (e) {
            if (!(e instanceof SendOnClosedError)) throw e;
            failed.add(value);
          }
        } else {
          await selectSend(p, value, pr.chans, pr.mode === "trySelect" ? TRIES : 0);
        }
      }
    }),
  );

  const controllers: (AbortController | null)[] = consumers.map(() => null);
  consumers.forEach((co, ci) =>
    spawn(async () => {
      if (co.mode === "recv") {
        const c = co.chans[0] as number;
        for (;;) {
          await step(`q${ci} recv on c${c}`);
          const r = await (chans[c] as Chan<number>).recvOk();
          if (!r.ok) return;
          received.push({ chan: c, value: r.value });
        }
      }
      // Closed channels become nil cases (Go's idiom to disable a case): never ready.
      const open: (number | null)[] = [...co.chans];
      for (let attempt = 0; open.some((c) => c !== null); attempt++) {
        const tryNow = co.mode === "trySelect" && attempt % (TRIES + 1) < TRIES;
        await step(`q${ci} ${tryNow ? "trySelect" : "select"} recv on [${open}]`);
        const cases: RecvCase<number>[] = open.map((c) => recv(c === null ? null : chans[c]));
        selectsStarted++;
        let r: { index: number; value: unknown; ok: boolean } | undefined;
        if (tryNow) {
          r = trySelect(cases);
        } else {
          const controller = co.abortable ? new AbortController() : null;
          controllers[ci] = controller;
          try {
            r = await select(cases, controller === null ? {} : { signal: controller.signal });
          } catch (e) {
            selectsSettled++;
            if (controller === null || e !== controller.signal.reason) throw e;
            abortedSelects++;
            continue;
          } finally {
            controllers[ci] = null;
          }
        }
        selectsSettled++;
        if (r === undefined) continue;
        const c = open[r.index];
        if (c === null || c === undefined) throw new Error(`select fired nil or missing case ${r.index}`);
        if (!r.ok) {
          expect((chans[c] as Chan<number>).closed).toBe(true);
          open[r.index] = null;
          continue;
        }
        if (typeof r.value !== "number") throw new Error(`select received a non-value ${String(r.value)}`);
        received.push({ chan: c, value: r.value });
      }
    }),
  );

  if (sc.aborts > 0) {
    void spawn(async () => {
      for (let i = 0; i < sc.aborts; i++) {
        await step(`aborter turn ${i}`);
        const target = controllers.find((ctl) => ctl !== null);
        if (target) target.abort(new Error(`abort ${i}`));
      }
    });
  }

  void spawn(async () => {
    const early = sc.earlyClose;
    if (early !== null) {
      for (let i = 0; i < early.afterSteps; i++) await step(`closer turn ${i}`);
      for (const c of early.chans) {
        const ch = chans[c] as Chan<number>;
        if (!ch.closed) ch.close();
      }
    }
    await Promise.all(producers);
    await step("closer closes the rest");
    for (const ch of chans) if (!ch.closed) ch.close();
  });

  await drain(s);

  expect(errors).toEqual([]);
  expect(running).toBe(0);
  expect(selectsSettled).toBe(selectsStarted);
  if (sc.aborts === 0) expect(abortedSelects).toBe(0);
  for (const ch of chans) {
    expect(ch.closed).toBe(true);
    expect(ch.len).toBe(0);
    // Nothing parked: aborted and withdrawn select cases left no waiter behind.
    expect(ch._recvq.size).toBe(0);
    expect(ch._sendq.size).toBe(0);
  }

  // Exactly once, on the committed channel; failed sends never arrive.
  const seen = new Set<number>();
  for (const { chan, value } of received) {
    expect(seen.has(value)).toBe(false);
    seen.add(value);
    expect(failed.has(value)).toBe(false);
    expect(confirmed.get(value)).toBe(chan);
  }
  expect(seen.size).toBe(confirmed.size);

  // FIFO per sender per channel (values are sender * 100 + sequence number).
  const last = new Map<string, number>();
  for (const { chan, value } of received) {
    const key = `${Math.floor(value / 100)}@${chan}`;
    const prev = last.get(key);
    if (prev !== undefined) expect(value).toBeGreaterThan(prev);
    last.set(key, value);
  }

  // Every value was either confirmed or failed, never both.
  const total = sc.producers.reduce((n, p) => n + p.count, 0);
  expect(confirmed.size + failed.size).toBe(total);
  for (const v of failed) expect(confirmed.has(v)).toBe(false);
}

describe("channels and select under random interleavings (fc.scheduler)", () => {
  it("deliver every value exactly once, FIFO per sender and channel, one commit per select, nothing left pending", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.scheduler(), async (sc, s) => {
        await runScenario(sc, s);
      }),
      { numRuns: 600 },
    );
  }, 60_000);

  it("the same with every channel unbuffered and several selects contending for each", async () => {
    const unbuffered = scenarioArb.map((sc) => ({
      ...sc,
      caps: sc.caps.map(() => 0),
      consumers: sc.consumers.map((c) => ({ ...c, mode: c.mode === "recv" ? ("select" as const) : c.mode })),
    }));
    await fc.assert(
      fc.asyncProperty(unbuffered, fc.scheduler(), async (sc, s) => {
        await runScenario(sc, s);
      }),
      { numRuns: 300 },
    );
  }, 60_000);
});

/**
 * Swappers: every actor repeatedly selects over both a receive from and a send
 * to the same channel, so selects pair with each other's opposite case (and a
 * select parks on both queues of one channel). Finally the channel is closed,
 * which must release whoever is left. A select never pairs its own send with
 * its own receive; on an unbuffered channel nobody can ever get its own value.
 */
async function runSwappers(
  cap: number,
  actors: number,
  rounds: number,
  closeAfter: number,
  seed: number,
  s: fc.Scheduler,
): Promise<void> {
  setSelectSeed(seed);
  const ch = new Chan<number>(cap);
  const sent = new Set<number>();
  const got = new Map<number, number>(); // value -> receiving actor
  const errors: unknown[] = [];
  let started = 0;
  let settled = 0;
  let running = 0;
  const step = (label: string): Promise<void> => s.schedule(Promise.resolve(), label);
  for (let a = 0; a < actors; a++) {
    running++;
    void (async () => {
      for (let round = 0; round < rounds; round++) {
        const mine = a * 100 + round;
        await step(`a${a} round ${round}`);
        started++;
        let r: { index: number; value: unknown; ok: boolean };
        try {
          r = await select([recv(ch), send(ch, mine)]);
          settled++;
        } catch (e) {
          settled++;
          // Closed: the send case was chosen among ready ones, or was the one woken.
          if (!(e instanceof SendOnClosedError)) throw e;
          return;
        }
        if (r.index === 1) sent.add(mine);
        else if (!r.ok) return;
        else {
          const v = r.value as number;
          expect(got.has(v)).toBe(false);
          got.set(v, a);
        }
      }
    })().then(
      () => running--,
      (e: unknown) => {
        running--;
        errors.push(e);
      },
    );
  }
  // The closer closes after a random number of turns, possibly while actors
  // are still starting selects (which may then choose the send case and fail).
  running++;
  void (async () => {
    for (let i = 0; i < closeAfter; i++) await step(`closer turn ${i}`);
    ch.close();
  })().then(() => running--);
  await drain(s);
  expect(errors).toEqual([]);
  expect(running).toBe(0);
  expect(settled).toBe(started);
  expect(ch.closed).toBe(true);
  // Whatever is still buffered was sent but not received: drain it.
  for (let r = ch.tryRecv(); r !== undefined && r.ok; r = ch.tryRecv()) got.set(r.value, -1);
  expect([...got.keys()].sort((x, y) => x - y)).toEqual([...sent].sort((x, y) => x - y));
  if (cap === 0) for (const [v, a] of got) expect(Math.floor(v / 100)).not.toBe(a);
  expect(ch._recvq.size).toBe(0);
  expect(ch._sendq.size).toBe(0);
}

describe("selects that both send and receive on one channel (fc.scheduler)", () => {
  it("pair with each other, never with themselves, and are all released by close", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(15),
        fc.integer(),
        fc.scheduler(),
        async (cap, actors, rounds, closeAfter, seed, s) => {
          await runSwappers(cap, actors, rounds, closeAfter, seed, s);
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);
});
