/**
 * Model-based tests of a single channel: fast-check generates random sequences of
 * blocking sends and receives (started, not awaited), try operations, close and
 * aborts, and runs each sequence both on a real `Chan` and on a deliberately naive
 * array model of Go's channel (buffer, FIFO of blocked senders, FIFO of blocked
 * receivers, closed flag). After every command the event loop settles and the two
 * must agree on len, cap, closed, the outcome of every operation started so far
 * (still pending, value and ok, SendOnClosedError, or the abort reason), and on
 * how many waiters are parked. A value must never be delivered twice or lost.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Chan, CloseOfClosedError, configureScheduling, getScheduling, SendOnClosedError } from "@gochan/core";

/** How an operation ended, or that it has not yet. Both sides produce these. */
type Outcome =
  | { s: "pending" }
  | { s: "sent" }
  | { s: "received"; value: number | undefined; ok?: boolean }
  | { s: "send-on-closed" }
  | { s: "aborted"; reason: unknown }
  | { s: "unexpected"; error: unknown };

type RecvMode = "recv" | "recvOk";

/** Lets every microtask and one macrotask turn run (a fast-path completion may wait for one). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------
// The reference model: plain arrays, written from Go's spec, no cleverness.
// ---------------------------------------------------------------------------

class Model {
  buf: number[] = [];
  senders: { id: number; value: number }[] = [];
  receivers: { id: number; mode: RecvMode }[] = [];
  closed = false;
  readonly outcomes = new Map<number, Outcome>();
  nextId = 0;
  nextValue = 1;

  constructor(readonly cap: number) {}

  private received(id: number, mode: RecvMode, value: number | undefined, ok: boolean): void {
    this.outcomes.set(id, mode === "recvOk" ? { s: "received", value, ok } : { s: "received", value });
  }

  /** Gives `value` to a waiting receiver or the buffer; false if a send would block. */
  offer(value: number): boolean {
    const r = this.receivers.shift();
    if (r !== undefined) {
      this.received(r.id, r.mode, value, true);
      return true;
    }
    if (this.buf.length < this.cap) {
      this.buf.push(value);
      return true;
    }
    return false;
  }

  /** A receive that does not wait: the value and ok, or undefined if it would block. */
  take(): { value: number | undefined; ok: boolean } | undefined {
    const head = this.buf.shift();
    if (head !== undefined) {
      // The buffer had room again: the oldest blocked sender's value moves to the tail.
      const s = this.senders.shift();
      if (s !== undefined) {
        this.buf.push(s.value);
        this.outcomes.set(s.id, { s: "sent" });
      }
      return { value: head, ok: true };
    }
    const s = this.senders.shift();
    if (s !== undefined) {
      this.outcomes.set(s.id, { s: "sent" });
      return { value: s.value, ok: true };
    }
    if (this.closed) return { value: undefined, ok: false };
    return undefined;
  }

  send(id: number, value: number): void {
    if (this.closed) this.outcomes.set(id, { s: "send-on-closed" });
    else if (this.offer(value)) this.outcomes.set(id, { s: "sent" });
    else {
      this.senders.push({ id, value });
      this.outcomes.set(id, { s: "pending" });
    }
  }

  recv(id: number, mode: RecvMode): void {
    const t = this.take();
    if (t !== undefined) this.received(id, mode, t.value, t.ok);
    else {
      this.receivers.push({ id, mode });
      this.outcomes.set(id, { s: "pending" });
    }
  }

  close(): "ok" | "close-of-closed" {
    if (this.closed) return "close-of-closed";
    this.closed = true;
    for (const r of this.receivers) this.received(r.id, r.mode, undefined, false);
    for (const s of this.senders) this.outcomes.set(s.id, { s: "send-on-closed" });
    this.receivers = [];
    this.senders = [];
    return "ok";
  }

  /** An aborted operation leaves the channel as if it had never been started. */
  abort(id: number, reason: unknown): void {
    if (this.outcomes.get(id)?.s !== "pending") return;
    this.senders = this.senders.filter((s) => s.id !== id);
    this.receivers = this.receivers.filter((r) => r.id !== id);
    this.outcomes.set(id, { s: "aborted", reason });
  }

  pendingIds(): number[] {
    return [...this.outcomes].filter(([, o]) => o.s === "pending").map(([id]) => id);
  }

  settledIds(): number[] {
    return [...this.outcomes].filter(([, o]) => o.s !== "pending").map(([id]) => id);
  }
}

// ---------------------------------------------------------------------------
// The real system: a channel plus the observed outcome of every operation.
// ---------------------------------------------------------------------------

interface RealOp {
  outcome: Outcome;
  readonly controller: AbortController;
  /** The value a send offered (for the conservation check). */
  readonly sent?: number;
}

class Real {
  readonly ch: Chan<number>;
  /** Same-tick mode: commands follow each other without letting the event loop settle. */
  readonly sameTick: boolean;
  readonly ops = new Map<number, RealOp>();
  /** Values that try operations moved synchronously. */
  readonly tryAccepted: number[] = [];
  readonly tryDelivered: number[] = [];

  constructor(cap: number, sameTick: boolean) {
    this.ch = new Chan<number>(cap);
    this.sameTick = sameTick;
  }

  /** Tracks an operation's promise; an abort must reject with exactly its reason. */
  track(id: number, p: Promise<unknown>, controller: AbortController, kind: "send" | RecvMode, sent?: number): void {
    const op: RealOp = { outcome: { s: "pending" }, controller, ...(sent === undefined ? {} : { sent }) };
    this.ops.set(id, op);
    p.then(
      (v) => {
        if (kind === "send") op.outcome = v === undefined ? { s: "sent" } : { s: "unexpected", error: v };
        else if (kind === "recv") op.outcome = { s: "received", value: v as number | undefined };
        else {
          const r = v as { value: number | undefined; ok: boolean };
          op.outcome = { s: "received", value: r.value, ok: r.ok };
        }
      },
      (e: unknown) => {
        if (kind === "send" && e instanceof SendOnClosedError) op.outcome = { s: "send-on-closed" };
        else if (controller.signal.aborted && e === controller.signal.reason) op.outcome = { s: "aborted", reason: e };
        else op.outcome = { s: "unexpected", error: e };
      },
    );
  }

  /** Every value accepted by the channel: fulfilled sends and successful trySends. */
  accepted(): number[] {
    const out = [...this.tryAccepted];
    for (const op of this.ops.values()) if (op.outcome.s === "sent" && op.sent !== undefined) out.push(op.sent);
    return out;
  }

  /** Every value a receive got from a send (ok = true, or a plain recv of a number). */
  delivered(): number[] {
    const out = [...this.tryDelivered];
    for (const op of this.ops.values()) {
      const o = op.outcome;
      if (o.s === "received" && o.ok !== false && o.value !== undefined) out.push(o.value);
    }
    return out;
  }
}

// Sent values are 1, 2, 3, ...: a received `undefined` can only be the zero value.

/** Compares the state a channel exposes synchronously. */
function compareSync(m: Model, r: Real): void {
  expect(r.ch.cap).toBe(m.cap);
  expect(r.ch.len).toBe(m.buf.length);
  expect(r.ch.closed).toBe(m.closed);
  // Parked waiters (internal queues): an aborted or completed operation leaves no
  // waiter behind, so the queues hold exactly the model's blocked operations.
  expect(r.ch._sendq.size).toBe(m.senders.length);
  expect(r.ch._recvq.size).toBe(m.receivers.length);
}

/** Compares everything observable, once the event loop has settled. */
function compare(m: Model, r: Real): void {
  compareSync(m, r);
  const real = [...r.ops].map(([id, op]) => [id, op.outcome]);
  const model = [...m.outcomes].map(([id, o]) => [id, o]);
  expect(real).toEqual(model);
  // Conservation: nothing delivered twice, nothing delivered that was not
  // accepted, and whatever was accepted but not delivered is still buffered.
  const accepted = r.accepted();
  const delivered = r.delivered();
  expect(new Set(delivered).size).toBe(delivered.length);
  expect(new Set(accepted).size).toBe(accepted.length);
  const acceptedSet = new Set(accepted);
  for (const v of delivered) expect(acceptedSet.has(v)).toBe(true);
  expect(accepted.length - delivered.length).toBe(r.ch.len);
}

/**
 * After a command. Settled mode lets the event loop run and compares everything.
 * Same-tick mode compares only the synchronous state, so the next commands (an
 * abort, a close) run while earlier operations are resolved but not yet resumed:
 * such an operation has committed, and nothing may reinterpret it.
 */
async function observe(m: Model, r: Real): Promise<void> {
  if (r.sameTick) {
    compareSync(m, r);
    return;
  }
  await settle();
  compare(m, r);
}

// ---------------------------------------------------------------------------
// Commands.
// ---------------------------------------------------------------------------

type Cmd = fc.AsyncCommand<Model, Real>;

class SendCmd implements Cmd {
  constructor(readonly preAborted: boolean) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const id = m.nextId++;
    const value = m.nextValue++;
    const controller = new AbortController();
    const reason = { abortOf: id };
    if (this.preAborted) controller.abort(reason);
    r.track(id, r.ch.send(value, controller.signal), controller, "send", value);
    if (this.preAborted) m.outcomes.set(id, { s: "aborted", reason });
    else m.send(id, value);
    await observe(m, r);
  }
  toString(): string {
    return this.preAborted ? "send(aborted signal)" : "send";
  }
}

class RecvCmd implements Cmd {
  constructor(
    readonly mode: RecvMode,
    readonly preAborted: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const id = m.nextId++;
    const controller = new AbortController();
    const reason = { abortOf: id };
    if (this.preAborted) controller.abort(reason);
    const p = this.mode === "recv" ? r.ch.recv(controller.signal) : r.ch.recvOk(controller.signal);
    r.track(id, p, controller, this.mode);
    if (this.preAborted) m.outcomes.set(id, { s: "aborted", reason });
    else m.recv(id, this.mode);
    await observe(m, r);
  }
  toString(): string {
    return `${this.mode}${this.preAborted ? "(aborted signal)" : ""}`;
  }
}

class TrySendCmd implements Cmd {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const value = m.nextValue++;
    let real: boolean | "send-on-closed";
    try {
      real = r.ch.trySend(value);
    } catch (e) {
      expect(e).toBeInstanceOf(SendOnClosedError);
      real = "send-on-closed";
    }
    const expected = m.closed ? "send-on-closed" : m.offer(value);
    expect(real).toBe(expected);
    if (real === true) r.tryAccepted.push(value);
    await observe(m, r);
  }
  toString(): string {
    return "trySend";
  }
}

class TryRecvCmd implements Cmd {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const real = r.ch.tryRecv();
    expect(real).toEqual(m.take());
    if (real?.ok === true) r.tryDelivered.push(real.value);
    await observe(m, r);
  }
  toString(): string {
    return "tryRecv";
  }
}

class CloseCmd implements Cmd {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    let real: "ok" | "close-of-closed" = "ok";
    try {
      r.ch.close();
    } catch (e) {
      expect(e).toBeInstanceOf(CloseOfClosedError);
      real = "close-of-closed";
    }
    expect(real).toBe(m.close());
    await observe(m, r);
  }
  toString(): string {
    return "close";
  }
}

/** Aborts the k-th (mod count) still pending operation: it must withdraw without trace. */
class AbortPendingCmd implements Cmd {
  constructor(readonly k: number) {}
  check(m: Readonly<Model>): boolean {
    return m.pendingIds().length > 0;
  }
  async run(m: Model, r: Real): Promise<void> {
    const ids = m.pendingIds();
    const id = ids[this.k % ids.length] as number;
    const op = r.ops.get(id) as RealOp;
    const reason = { abortOf: id };
    op.controller.abort(reason);
    m.abort(id, reason);
    await observe(m, r);
  }
  toString(): string {
    return `abortPending(${this.k})`;
  }
}

/** Aborts the k-th (mod count) operation that already settled: nothing may change. */
class AbortSettledCmd implements Cmd {
  constructor(readonly k: number) {}
  check(m: Readonly<Model>): boolean {
    return m.settledIds().length > 0;
  }
  async run(m: Model, r: Real): Promise<void> {
    const ids = m.settledIds();
    const id = ids[this.k % ids.length] as number;
    (r.ops.get(id) as RealOp).controller.abort({ lateAbortOf: id });
    await observe(m, r);
  }
  toString(): string {
    return `abortSettled(${this.k})`;
  }
}

/** Same-tick mode only: lets the event loop settle and compares every outcome. */
class SettleCmd implements Cmd {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    await settle();
    compare(m, r);
  }
  toString(): string {
    return "settle";
  }
}

const commandArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Cmd>(new SendCmd(false)) },
  { weight: 3, arbitrary: fc.constant<Cmd>(new RecvCmd("recvOk", false)) },
  { weight: 3, arbitrary: fc.constant<Cmd>(new RecvCmd("recv", false)) },
  { weight: 3, arbitrary: fc.constant<Cmd>(new TrySendCmd()) },
  { weight: 3, arbitrary: fc.constant<Cmd>(new TryRecvCmd()) },
  { weight: 3, arbitrary: fc.nat(7).map((k): Cmd => new AbortPendingCmd(k)) },
  { weight: 1, arbitrary: fc.nat(7).map((k): Cmd => new AbortSettledCmd(k)) },
  { weight: 1, arbitrary: fc.constant<Cmd>(new SendCmd(true)) },
  { weight: 1, arbitrary: fc.constant<Cmd>(new RecvCmd("recvOk", true)) },
  { weight: 1, arbitrary: fc.constant<Cmd>(new CloseCmd()) },
  { weight: 2, arbitrary: fc.constant<Cmd>(new SettleCmd()) },
);

describe("Chan against a reference model (fc.commands)", () => {
  // Each capacity in three modes: settled after every command; several commands
  // in one tick; and settled, but with a fairness budget of 2 so that most
  // fast-path completions are deferred to a macrotask turn.
  const modes = [0, 1, 2, 3].flatMap((cap) => [
    { cap, sameTick: false, yieldEvery: undefined, mode: "settled after each command" },
    { cap, sameTick: true, yieldEvery: undefined, mode: "commands in the same tick" },
    { cap, sameTick: false, yieldEvery: 2, mode: "fast paths deferred (yieldEvery 2)" },
  ]);
  it.each(modes)(
    "capacity $cap, $mode: every outcome, len and the parked waiters match the model",
    async ({ cap, sameTick, yieldEvery }) => {
      const previous = yieldEvery === undefined ? undefined : configureScheduling({ yieldEvery, timeSlice: 0 });
      const yieldsBefore = getScheduling().yields;
      try {
        await fc.assert(
          fc.asyncProperty(fc.commands([commandArb], { maxCommands: 50 }), async (cmds) => {
            const model = new Model(cap);
            const real = new Real(cap, sameTick);
            await fc.asyncModelRun(() => ({ model, real }), cmds);
            // Teardown: closing releases every blocked operation, and draining yields
            // exactly the model's buffer, in order. Then nothing may be left pending
            // and every accepted value has been delivered exactly once.
            if (!model.closed) {
              real.ch.close();
              model.close();
            }
            for (;;) {
              const got = real.ch.tryRecv();
              expect(got).toEqual(model.take());
              if (got === undefined || !got.ok) break;
              real.tryDelivered.push(got.value);
            }
            await settle();
            compare(model, real);
            expect(model.pendingIds()).toEqual([]);
            const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
            expect(sorted(real.delivered())).toEqual(sorted(real.accepted()));
          }),
          { numRuns: 200 },
        );
        // The deferred mode did defer: the budget took macrotask turns.
        if (yieldEvery !== undefined) expect(getScheduling().yields).toBeGreaterThan(yieldsBefore);
      } finally {
        if (previous !== undefined) configureScheduling(previous);
      }
    },
    60_000,
  );
});

describe("a large buffer against an array (ring growth and wrap-around)", () => {
  it("trySend/tryRecv in random bursts keep FIFO order, len and the would-block points", () => {
    // The ring starts at 16 slots and doubles up to the capacity: bursts of sends
    // and receives make it grow while its head has wrapped around.
    const burst = fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 40 }));
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 100 }), fc.array(burst, { maxLength: 30 }), (cap, bursts) => {
        const ch = new Chan<number>(cap);
        const model: number[] = [];
        let next = 0;
        for (const [isSend, n] of bursts) {
          for (let i = 0; i < n; i++) {
            if (isSend) {
              const accepted = ch.trySend(next);
              expect(accepted).toBe(model.length < cap);
              if (accepted) model.push(next);
              next++;
            } else {
              const got = ch.tryRecv();
              const want = model.shift();
              expect(got).toEqual(want === undefined ? undefined : { value: want, ok: true });
            }
            expect(ch.len).toBe(model.length);
          }
        }
        ch.close();
        const rest: number[] = [];
        for (let r = ch.tryRecv(); r !== undefined && r.ok; r = ch.tryRecv()) rest.push(r.value);
        expect(rest).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });
});
