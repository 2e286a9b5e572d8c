/**
 * select: wait on several channel operations, promises and abort signals, and
 * commit exactly one.
 *
 * The passes follow Go's runtime/select.go, without the locks:
 * 1. Poll every case once, in source order, choosing uniformly at random among
 *    the ready ones (reservoir sampling: no shuffle array). Commit it and return.
 * 2. Nothing ready: `trySelect` returns undefined (Go's `default`); `select`
 *    parks one waiter per non-nil case, all sharing one SelectOp.
 * 3. The first waiter to fire marks the SelectOp done and unlinks the others in
 *    O(1) each. Waiters are unlinked before they complete, so no channel ever
 *    pairs a second case of a select that has already committed.
 *
 * A select never pairs its own send with its own receive: polling happens before
 * any of its waiters is parked, and parking never matches anything.
 *
 * Polling runs no user code, so the state it saw is the state commit acts on.
 * The only user code a select can meet is a promise case's `then` (a getter, or
 * a foreign thenable's method), read once when the promise is first watched; a
 * poll that had to start watching one polls again.
 *
 * @module
 */
import { currentBubble } from "./bubble-hook.js";
import { crossBubble, isChan, type Chan, type RecvChan, type SendChan } from "./chan.js";
import { describe, SendOnClosedError } from "./errors.js";
import { random } from "./random.js";
import { listen, unlisten, type Abortable } from "./abort-list.js";
import { completeNow, countOp, failNow, wake } from "./scheduling.js";
import { trace } from "./trace.js";
import { MODE_SELECT, promiseFor, Waiter, type Selector } from "./waiter.js";
import { FULFILLED, PENDING, watchCreated, watchPromise, watchSignal, watchThenable, type Watch } from "./watch.js";

/**
 * The body type of a case made without a body: {@link select} then resolves with
 * the case's {@link Fired} record instead of a body's return value. A marker
 * type; no value has it.
 */
export interface NoBody {
  /** Never present: only distinguishes "no body" from a body's return type. */
  readonly "@gochan/no-body": never;
}

/**
 * A receive case's body, given to {@link recv}: Go's statements after
 * `case v, ok := <-ch:`. It gets the value and `ok`; checking `ok` narrows the
 * value to `T` (a send delivered it) or `Z` (the channel is closed and drained).
 */
export type RecvBody<T, Z, R> = (...received: [value: T, ok: true] | [value: Z, ok: false]) => R;

/**
 * A case body as a case stores it. Its parameters are typed `never` because only
 * select calls it, with the values its case produced; this keeps a case
 * covariant in its element type.
 */
export type CaseBody<R> = (value: never, ok: never) => R;

/**
 * A receive case, made by {@link recv}: Go's `case v, ok := <-ch:`, with an
 * optional body (`R` is its return type; {@link NoBody} when it has none).
 *
 * @example
 * ```ts
 * import { Chan, recv, type RecvCase } from "@gochan/core";
 * const c: RecvCase<number, undefined> = recv(new Chan<number>());
 * const withBody: RecvCase<number, undefined, string> = recv(new Chan<number>(), (n) => `got ${n}`);
 * ```
 */
export class RecvCase<out T, out Z = undefined, out R = NoBody> {
  /** Discriminates the case kinds. */
  readonly kind = "recv" as const;
  /** The channel received from; null for a nil case (never ready). */
  readonly ch: RecvChan<T, Z> | null;
  /** The case body, or null: select calls it with the value and ok of this case. */
  readonly body: CaseBody<R> | null;
  /** @internal */
  constructor(ch: RecvChan<T, Z> | null, body: CaseBody<R> | null) {
    this.ch = ch;
    this.body = body;
  }
}

/**
 * A send case, made by {@link send}: Go's `case ch <- v:`, with an optional
 * body (`R` is its return type; {@link NoBody} when it has none). The value was
 * taken when the case was made (Go evaluates send values on entry to select).
 *
 * @example
 * ```ts
 * import { Chan, send, type SendCase } from "@gochan/core";
 * const c: SendCase<number> = send(new Chan<number>(), 42);
 * const withBody: SendCase<number, string> = send(new Chan<number>(), 42, () => "sent");
 * ```
 */
export class SendCase<in T, out R = NoBody> {
  /** Discriminates the case kinds. */
  readonly kind = "send" as const;
  /** The channel sent on; null for a nil case (never ready). */
  readonly ch: SendChan<T> | null;
  /** @internal The value to send (typed unknown to keep the class contravariant). */
  readonly _value: unknown;
  /** The case body, or null: select calls it once the value is sent. */
  readonly body: CaseBody<R> | null;
  /** @internal */
  constructor(ch: SendChan<T> | null, value: T, body: CaseBody<R> | null) {
    this.ch = ch;
    this._value = value;
    this.body = body;
  }
}

/**
 * Anything select can wait on: a {@link RecvCase}, a {@link SendCase}, any
 * promise or thenable (ready once settled), or an AbortSignal (ready once
 * aborted, with its reason as the value). `R` is what the cases' bodies return:
 * by default the cases have none ({@link NoBody}); a dynamic array of cases with
 * bodies returning `string` is a `SelectCase<string>[]`.
 */
export type SelectCase<R = NoBody> = RecvCase<unknown, unknown, R> | SendCase<never, R> | PromiseLike<unknown> | AbortSignal;

/**
 * One fired case: the shape every {@link select} result has.
 *
 * @example
 * ```ts
 * import { Chan, select, recv, type Fired } from "@gochan/core";
 * const ch = new Chan<number>(1);
 * await ch.send(1);
 * const r: Fired<number, unknown, boolean> = await select([recv(ch)]);
 * ```
 */
export interface Fired<I extends number, V, OK extends boolean> {
  /** The position of the case that fired in the cases array. */
  index: I;
  /** A receive's value (the zero value when closed), a promise's value, a signal's reason; `undefined` for a send. */
  value: V;
  /** False only for a receive from a closed, drained channel. */
  ok: OK;
}

/**
 * What case `C` at position `I` makes a select result: its {@link Fired} record,
 * or, for a case with a body, the body's return value. A nil send case made by
 * `send(null)` never fires, so it adds nothing.
 */
export type CaseResult<C, I extends number> =
  C extends RecvCase<infer T, infer Z, infer R>
    ? [R] extends [never]
      ? never
      : [R] extends [NoBody]
        ? Fired<I, T, true> | Fired<I, Z, false>
        : R
    : C extends SendCase<never, infer R>
      ? [R] extends [never]
        ? never
        : [R] extends [NoBody]
          ? Fired<I, undefined, true>
          : R
      : C extends AbortSignal
        ? Fired<I, unknown, true>
        : C extends PromiseLike<infer V>
          ? Fired<I, Awaited<V>, true>
          : never;

/**
 * What {@link select} resolves with: which case fired (`index`, its position in
 * the cases array), the value (a receive's value, a promise's value, a signal's
 * reason, `undefined` for a send) and `ok` (false only for a receive from a
 * closed channel). For a tuple of cases it is a union discriminated by `index`.
 * A case with a body contributes its body's return value instead.
 *
 * @example
 * ```ts
 * import { Chan, select, recv, send } from "@gochan/core";
 * const nums = new Chan<number>(1), words = new Chan<string>(1);
 * await nums.send(7);
 * const r = await select([recv(nums), send(words, "hi")]);
 * if (r.index === 0 && r.ok) console.log(r.value + 1); // r.value: number
 * ```
 */
export type SelectResult<C extends readonly SelectCase<unknown>[]> = number extends C["length"]
  ? C[number] extends SelectCase
    ? Fired<number, unknown, boolean>
    : CaseResult<C[number], number>
  : { [K in keyof C]: K extends `${infer I extends number}` ? CaseResult<C[K], I> : never }[number];

/** Options of {@link select}. */
export interface SelectOptions {
  /** Aborting it withdraws every case (nothing is consumed or sent) and rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * A receive case for {@link select}: `case v, ok := <-ch`. A `null`, `undefined`
 * or nil channel makes a nil case, which is never ready.
 *
 * With a `body` (Go's statements after `case v, ok := <-ch:`), select calls it
 * with the value and `ok` once this case has fired and resolves with its return
 * value (awaited if it is a promise). Checking `ok` in the body narrows the
 * value.
 *
 * @throws TypeError if `ch` is not a gochan channel or `body` is not a function.
 *
 * @example
 * ```ts
 * import { Chan, select, recv } from "@gochan/core";
 * const ch = new Chan<number>(1);
 * await ch.send(1);
 * const { value, ok } = await select([recv(ch)]);
 * console.log(value, ok); // 1 true
 *
 * await ch.send(2);
 * const doubled = await select([recv(ch, (n, ok) => (ok ? n * 2 : 0))]);
 * console.log(doubled); // 4
 * ```
 */
export function recv<T, Z>(ch: RecvChan<T, Z> | null | undefined): RecvCase<T, Z>;
/** A receive case with a body that takes the value and `ok`: checking `ok` narrows the value. */
export function recv<T, Z, R>(ch: RecvChan<T, Z> | null | undefined, body: RecvBody<T, Z, R>): RecvCase<T, Z, R>;
/** A receive case with a body that takes the value only (`case v := <-ch:`). */
export function recv<T, Z, R>(ch: RecvChan<T, Z> | null | undefined, body: (value: T | Z) => R): RecvCase<T, Z, R>;
export function recv<T, Z, R>(
  ch: RecvChan<T, Z> | null | undefined,
  body?: RecvBody<T, Z, R> | ((value: T | Z) => R),
): RecvCase<T, Z, R> {
  return new RecvCase<T, Z, R>(caseChan(ch, "recv") as RecvChan<T, Z> | null, caseBody(body, "recv"));
}

/**
 * A send case for {@link select}: `case ch <- value`. The value is taken now.
 * A `null`, `undefined` or nil channel makes a nil case, which is never ready;
 * `send(null)` is one that needs no value (Go's `var out chan T` trick for
 * disabling a case). If the channel is closed when the case is chosen, the
 * select rejects with {@link SendOnClosedError}.
 *
 * With a `body` (Go's statements after `case ch <- v:`), select calls it once
 * the value is sent and resolves with its return value (awaited if it is a
 * promise).
 *
 * @throws TypeError if `ch` is not a gochan channel or `body` is not a function.
 *
 * @example
 * ```ts
 * import { Chan, select, send, recv } from "@gochan/core";
 * const ch = new Chan<string>(1);
 * const r = await select([send(ch, "hello")]);
 * console.log(r.index, await ch.recv()); // 0 "hello"
 *
 * // A queue that sends its head only while it has one:
 * const input = new Chan<string>(1), out = new Chan<string>(1);
 * const queue = ["a"];
 * await input.send("b");
 * const head = queue[0];
 * const what = await select([
 *   recv(input, (v, ok) => (ok ? `queued ${queue.push(v)}` : "input closed")),
 *   head !== undefined ? send(out, head, () => `sent ${queue.shift()}`) : send(null),
 * ]);
 * console.log(what); // "queued 2" or "sent a"
 * ```
 */
export function send(ch: null | undefined): SendCase<unknown, never>;
/** A send case without a body. */
export function send<T>(ch: SendChan<T> | null | undefined, value: T): SendCase<T>;
/** A send case with a body: the select resolves with what `body` returns. */
export function send<T, R>(ch: SendChan<T> | null | undefined, value: T, body: () => R): SendCase<T, R>;
export function send<T, R>(ch: SendChan<T> | null | undefined, value?: T, body?: () => R): SendCase<T, R> {
  return new SendCase<T, R>(caseChan(ch, "send") as SendChan<T> | null, value as T, caseBody(body, "send"));
}

function caseBody<R>(
  body: RecvBody<never, never, R> | ((value: never) => R) | undefined,
  kind: string,
): CaseBody<R> | null {
  if (body === undefined) return null;
  if (typeof body !== "function") throw new TypeError(`${kind}: a case body must be a function, got ${describe(body)}`);
  return body as CaseBody<R>;
}

type AnyChan = Chan<unknown, unknown>;
type AnyCase = SelectCase<unknown>;

/** The channel behind a case, or null for a nil case. */
function chanOf(c: RecvCase<unknown, unknown, unknown> | SendCase<never, unknown>): AnyChan | null {
  return c.ch as AnyChan | null;
}

function caseChan(ch: unknown, kind: string): AnyChan | null {
  if (ch == null) return null;
  if (!isChan(ch)) throw new TypeError(`${kind}: expected a channel, got ${describe(ch)}`);
  return ch._nil ? null : ch;
}

function isSignal(c: unknown): c is AbortSignal {
  return typeof AbortSignal !== "undefined" && c instanceof AbortSignal;
}

function badCase(c: unknown, i: number): TypeError {
  return new TypeError(
    `select: case ${i} must be recv(ch), send(ch, v), a promise or an AbortSignal, got ${describe(c)}`,
  );
}

/** Whether case `c` can proceed now. */
function ready(c: AnyCase, i: number): boolean {
  if (c instanceof RecvCase || c instanceof SendCase) {
    const ch = chanOf(c);
    if (ch === null) return false;
    if (ch._bubble !== currentBubble) throw crossBubble("select", ch);
    return c.kind === "recv" ? ch._canRecv() : ch._canSend();
  }
  if (isSignal(c)) return c.aborted;
  const w = watchThenable(c);
  if (w === null) throw badCase(c, i);
  return w.state !== PENDING;
}

/**
 * Polls; the index of a uniformly chosen ready case, or -1. Watching a promise
 * for the first time reads its `then`, which may run user code that changes
 * what the earlier cases saw, so such a pass is followed by another: the last
 * pass runs no user code, and commit acts on what it saw.
 */
function poll(cases: readonly AnyCase[]): number {
  for (;;) {
    const created = watchCreated();
    let chosen = -1;
    let n = 0;
    for (let i = 0; i < cases.length; i++) {
      if (ready(cases[i] as AnyCase, i)) {
        n++;
        // Keep the n-th ready case with probability 1/n: uniform over all ready.
        if (n === 1 || random() * n < 1) chosen = i;
      }
    }
    if (created === watchCreated()) return chosen;
  }
}

type Result = { index: number; value: unknown; ok: boolean };

// `commit()` reports the committed case's body through this, so telling a case
// with a body from one without costs a load, not a second type test. Read and
// cleared at once by pollCommit's callers, so no closure is kept.
let committedBody: CaseBody<unknown> | null = null;

/**
 * Commits ready case `i` (its body, if any, in `committedBody`), or returns null
 * if it is no longer ready. Polling and commit see one state, so this happens
 * only when every waiter that made the case look ready declined (an external
 * select's case committed on another thread, see waiter.ts): the commit has
 * unlinked them, and a new poll sees the channel as it is.
 * Throws for a send on a closed channel or a rejected promise.
 */
function commit(c: AnyCase, index: number): Result | null {
  if (c instanceof RecvCase) {
    const ch = chanOf(c) as AnyChan;
    if (!ch._take()) return null;
    const value = ch._took();
    committedBody = c.body;
    return { index, value, ok: ch._tookOk() };
  }
  if (c instanceof SendCase) {
    const ch = chanOf(c) as AnyChan;
    if (ch._closed) throw new SendOnClosedError();
    if (!ch._offer(c._value)) return null;
    committedBody = c.body;
    return { index, value: undefined, ok: true };
  }
  committedBody = null;
  if (isSignal(c)) return { index, value: c.reason, ok: true };
  const w = watchPromise(c);
  if (w.state === FULFILLED) return { index, value: w.value, ok: true };
  throw w.value;
}

/** Polls and commits; undefined if no case is ready (Go's default). */
function pollCommit(cases: readonly AnyCase[]): Result | undefined {
  for (;;) {
    const chosen = poll(cases);
    if (chosen < 0) return undefined;
    const r = commit(cases[chosen] as AnyCase, chosen);
    if (r !== null) return r;
  }
}

/** One parked select: the shared "fired" token of its waiters. */
class SelectOp implements Selector, Abortable {
  done = false;
  resolve: ((v: unknown) => void) | null = null;
  reject: ((r: unknown) => void) | null = null;
  /** The trace hook's record of this parked select, if it must be told when the select ends (see trace.ts). */
  traced: object | null = null;
  /** The select's cases, kept by a trace hook that reports them (run()'s) without being told when the select ends. */
  cases: readonly unknown[] | null = null;
  /** The channel of its first channel case, if any: run()'s hook records the select through it. */
  first: AnyChan | null = null;
  readonly waiters: Waiter[] = [];
  /** Its link in the abort list of the select's own signal. */
  alink: Abortable["alink"] = null;

  fire(w: Waiter, value: unknown, ok: boolean): boolean {
    this.finish();
    wake(this.resolve as (v: unknown) => void, { index: w.index, value, ok });
    return true;
  }

  fail(_w: Waiter, error: unknown): boolean {
    this.finish();
    wake(this.reject as (r: unknown) => void, error);
    return true;
  }

  /** The select's own AbortSignal fired: withdraw every case. */
  aborted(reason: unknown): void {
    this.finish();
    wake(this.reject as (r: unknown) => void, reason);
  }

  private finish(): void {
    this.done = true;
    const ws = this.waiters;
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i] as Waiter;
      if (w.queue !== null) w.queue.remove(w);
    }
    if (this.alink !== null) unlisten(this);
    if (this.traced !== null && trace.hook !== null) trace.hook.unpark(this);
  }
}

/**
 * Go's `select` statement: waits until one of the cases can proceed and commits
 * exactly that one. If several are ready, one is chosen uniformly at random
 * (seed it with {@link setSelectSeed}). Nil cases are never ready; a select with
 * no cases or only nil cases blocks forever, like `select {}`. For Go's
 * `default`, use {@link trySelect}.
 *
 * Cases may be channel operations ({@link recv}, {@link send}), any promise
 * (a timeout, a shutdown promise) or an AbortSignal. Promises and signals are
 * watched once, however many select iterations include them, so a loop over a
 * never-settling promise does not leak. A rejected promise case rejects the
 * select with its reason; a send case on a closed channel rejects it with
 * {@link SendOnClosedError}. Once a promise has been a case, select observes it
 * (like `Promise.race` does): a rejection that comes while no select waits on
 * it is reported by the next select that includes it, not as an unhandled
 * rejection, so keep selecting on a promise you handed over, or handle it too.
 *
 * Each case may carry its Go body (`recv(ch, (v, ok) => ...)`,
 * `send(ch, v, () => ...)`): the select then runs the body of the case that
 * fired, in the selecting task after the commit, and resolves with its return
 * value (awaited), typed as the union of the bodies' return types. A case
 * without a body resolves with its {@link Fired} record. A body that throws
 * rejects the select.
 *
 * @example
 * ```ts
 * import { Chan, select, recv, send, after } from "@gochan/core";
 * const jobs = new Chan<string>(), results = new Chan<number>(1);
 * const what = await select([
 *   recv(jobs, (job) => `job ${job}`),
 *   send(results, 1, () => "sent a result"),
 *   recv(after(1000), () => "timed out"),
 * ]);
 * console.log(what); // "sent a result": results had room
 *
 * // Without bodies, the result says which case fired:
 * const r = await select([recv(jobs), recv(after(10))]);
 * switch (r.index) {
 *   case 0: console.log("job", r.value); break;
 *   case 1: console.log("timed out"); break;
 * }
 * ```
 */
export function select<const C extends readonly SelectCase<unknown>[]>(
  cases: C,
  options?: SelectOptions,
): Promise<Awaited<SelectResult<C>>> {
  type Out = Promise<Awaited<SelectResult<C>>>;
  const signal = options?.signal;
  if (signal != null && signal.aborted) return failNow(signal.reason);
  try {
    const r = pollCommit(cases);
    if (r !== undefined) {
      const body = committedBody;
      committedBody = null;
      const fired = completeNow(r as Fired<number, unknown, boolean>);
      // The body runs in the selecting task, after the commit, never inside
      // select() itself: the same place whether the case was ready or parked.
      return (body === null ? fired : thenBody(fired, body)) as Out;
    }
  } catch (e) {
    committedBody = null;
    return failNow(e);
  }
  const op = new SelectOp();
  const p = promiseFor<Fired<number, unknown, boolean>>(op);
  let bodies = false;
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i] as AnyCase;
    let w: Waiter;
    if (c instanceof RecvCase) {
      const ch = chanOf(c);
      if (ch === null) continue;
      if (c.body !== null) bodies = true;
      w = new Waiter(MODE_SELECT, undefined, op, i);
      ch._recvq.push(w);
      if (op.first === null) op.first = ch;
    } else if (c instanceof SendCase) {
      const ch = chanOf(c);
      if (ch === null) continue;
      if (c.body !== null) bodies = true;
      w = new Waiter(MODE_SELECT, c._value, op, i);
      ch._sendq.push(w);
      if (op.first === null) op.first = ch;
    } else {
      const watch: Watch = isSignal(c) ? watchSignal(c) : watchPromise(c);
      w = new Waiter(MODE_SELECT, undefined, op, i);
      watch.waiters.push(w);
    }
    op.waiters.push(w);
  }
  if (signal != null) listen(signal, op);
  if (trace.hook !== null) trace.hook.park(op, "select", cases);
  // SelectOp.fire runs inside whichever operation completed the case; the body
  // must not run there but in the selecting task, on its continuation.
  return (bodies ? thenRunBody(p, cases) : p) as Out;
}

// The closures live in these helpers, not in select(): a closure in select()
// over its locals would make every select allocate a context for them.

function thenBody(fired: Promise<Fired<number, unknown, boolean>>, body: CaseBody<unknown>): Promise<unknown> {
  return fired.then((r) => callBody(body, r));
}

function thenRunBody(p: Promise<Fired<number, unknown, boolean>>, cases: readonly AnyCase[]): Promise<unknown> {
  return p.then((r) => runBody(cases, r));
}

/** Runs the body of the case that fired, if it has one; else the result is the fired record. */
function runBody(cases: readonly AnyCase[], r: Fired<number, unknown, boolean>): unknown {
  const c = cases[r.index] as AnyCase;
  const body = c instanceof RecvCase || c instanceof SendCase ? c.body : null;
  return body === null ? r : callBody(body, r);
}

function callBody(body: CaseBody<unknown>, r: Fired<number, unknown, boolean>): unknown {
  return (body as (value: unknown, ok: boolean) => unknown)(r.value, r.ok);
}

/**
 * Go's `select` with a `default` case: fully synchronous. It sees every channel
 * at one instant and commits a uniformly chosen ready case, or runs the default:
 * it returns `otherwise()` if given, else `undefined`. A chosen case's body runs
 * at once and its return value (a promise for an async body) is the result. A
 * promise case counts as ready only once select has already observed it
 * settled (a promise's state cannot be read synchronously the first time it is
 * seen).
 *
 * @throws {@link SendOnClosedError} if the chosen case sends on a closed channel;
 *   the reason of a chosen rejected promise; whatever a body or `otherwise` throws;
 *   TypeError if `otherwise` is not a function.
 *
 * @example
 * ```ts
 * import { Chan, trySelect, recv } from "@gochan/core";
 * const ch = new Chan<number>();
 * const r = trySelect([recv(ch)]);
 * if (r === undefined) console.log("nothing ready: default");
 *
 * // With case bodies and a default body, like Go's select statement:
 * const text = trySelect([recv(ch, (n) => `got ${n}`)], () => "no value");
 * console.log(text); // "no value"
 * ```
 */
export function trySelect<const C extends readonly SelectCase<unknown>[]>(cases: C): SelectResult<C> | undefined;
/** With a default body: Go's `default:` case; the result is what it returns. */
export function trySelect<const C extends readonly SelectCase<unknown>[], D>(
  cases: C,
  otherwise: () => D,
): SelectResult<C> | D;
export function trySelect<const C extends readonly SelectCase<unknown>[], D>(
  cases: C,
  otherwise?: () => D,
): SelectResult<C> | D | undefined {
  if (otherwise !== undefined && typeof otherwise !== "function") {
    throw new TypeError(`trySelect: the default body must be a function, got ${describe(otherwise)}`);
  }
  countOp();
  let r: Result | undefined;
  try {
    r = pollCommit(cases);
  } catch (e) {
    committedBody = null;
    throw e;
  }
  if (r === undefined) return otherwise === undefined ? undefined : otherwise();
  const body = committedBody;
  committedBody = null;
  return (body === null ? r : callBody(body, r as Fired<number, unknown, boolean>)) as SelectResult<C>;
}
