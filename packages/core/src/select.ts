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
 * A receive case, made by {@link recv}: Go's `case v, ok := <-ch:`.
 *
 * @example
 * ```ts
 * import { Chan, recv, type RecvCase } from "@gochan/core";
 * const c: RecvCase<number, undefined> = recv(new Chan<number>());
 * ```
 */
export class RecvCase<out T, out Z = undefined> {
  /** Discriminates the case kinds. */
  readonly kind = "recv" as const;
  /** The channel received from; null for a nil case (never ready). */
  readonly ch: RecvChan<T, Z> | null;
  /** @internal */
  constructor(ch: RecvChan<T, Z> | null) {
    this.ch = ch;
  }
}

/**
 * A send case, made by {@link send}: Go's `case ch <- v:`. The value was taken
 * when the case was made (Go evaluates send values on entry to select).
 *
 * @example
 * ```ts
 * import { Chan, send, type SendCase } from "@gochan/core";
 * const c: SendCase<number> = send(new Chan<number>(), 42);
 * ```
 */
export class SendCase<in T> {
  /** Discriminates the case kinds. */
  readonly kind = "send" as const;
  /** The channel sent on; null for a nil case (never ready). */
  readonly ch: SendChan<T> | null;
  /** @internal The value to send (typed unknown to keep the class contravariant). */
  readonly _value: unknown;
  /** @internal */
  constructor(ch: SendChan<T> | null, value: T) {
    this.ch = ch;
    this._value = value;
  }
}

/**
 * Anything select can wait on: a {@link RecvCase}, a {@link SendCase}, any
 * promise or thenable (ready once settled), or an AbortSignal (ready once
 * aborted, with its reason as the value).
 */
export type SelectCase = RecvCase<unknown, unknown> | SendCase<never> | PromiseLike<unknown> | AbortSignal;

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

/** The result shape of case `C` at position `I`. */
export type CaseResult<C, I extends number> =
  C extends RecvCase<infer T, infer Z>
    ? Fired<I, T, true> | Fired<I, Z, false>
    : C extends SendCase<never>
      ? Fired<I, undefined, true>
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
export type SelectResult<C extends readonly SelectCase[]> = number extends C["length"]
  ? Fired<number, unknown, boolean>
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
 * @throws TypeError if `ch` is not a gochan channel.
 *
 * @example
 * ```ts
 * import { Chan, select, recv } from "@gochan/core";
 * const ch = new Chan<number>(1);
 * await ch.send(1);
 * const { value, ok } = await select([recv(ch)]);
 * console.log(value, ok); // 1 true
 * ```
 */
export function recv<T, Z>(ch: RecvChan<T, Z> | null | undefined): RecvCase<T, Z> {
  return new RecvCase<T, Z>(caseChan(ch, "recv") as RecvChan<T, Z> | null);
}

/**
 * A send case for {@link select}: `case ch <- value`. The value is taken now.
 * A `null`, `undefined` or nil channel makes a nil case, which is never ready.
 * If the channel is closed when the case is chosen, the select rejects with
 * {@link SendOnClosedError}.
 *
 * @throws TypeError if `ch` is not a gochan channel.
 *
 * @example
 * ```ts
 * import { Chan, select, send } from "@gochan/core";
 * const ch = new Chan<string>(1);
 * const r = await select([send(ch, "hello")]);
 * console.log(r.index, await ch.recv()); // 0 "hello"
 * ```
 */
export function send<T>(ch: SendChan<T> | null | undefined, value: T): SendCase<T> {
  return new SendCase<T>(caseChan(ch, "send") as SendChan<T> | null, value);
}

type AnyChan = Chan<unknown, unknown>;

/** The channel behind a case, or null for a nil case. */
function chanOf(c: RecvCase<unknown, unknown> | SendCase<never>): AnyChan | null {
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
function ready(c: SelectCase, i: number): boolean {
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
function poll(cases: readonly SelectCase[]): number {
  for (;;) {
    const created = watchCreated();
    let chosen = -1;
    let n = 0;
    for (let i = 0; i < cases.length; i++) {
      if (ready(cases[i] as SelectCase, i)) {
        n++;
        // Keep the n-th ready case with probability 1/n: uniform over all ready.
        if (n === 1 || random() * n < 1) chosen = i;
      }
    }
    if (created === watchCreated()) return chosen;
  }
}

type Result = { index: number; value: unknown; ok: boolean };

/**
 * Commits ready case `i`, or returns null if it is no longer ready (polling and
 * commit see one state, so only a broken invariant gets here: better a new poll
 * than a receive reported that never happened). Throws for a send on a closed
 * channel or a rejected promise.
 */
function commit(c: SelectCase, index: number): Result | null {
  if (c instanceof RecvCase) {
    const ch = chanOf(c) as AnyChan;
    if (!ch._take()) return null;
    const value = ch._took();
    return { index, value, ok: ch._tookOk() };
  }
  if (c instanceof SendCase) {
    const ch = chanOf(c) as AnyChan;
    if (ch._closed) throw new SendOnClosedError();
    if (!ch._offer(c._value)) return null;
    return { index, value: undefined, ok: true };
  }
  if (isSignal(c)) return { index, value: c.reason, ok: true };
  const w = watchPromise(c);
  if (w.state === FULFILLED) return { index, value: w.value, ok: true };
  throw w.value;
}

/** Polls and commits; undefined if no case is ready (Go's default). */
function pollCommit(cases: readonly SelectCase[]): Result | undefined {
  for (;;) {
    const chosen = poll(cases);
    if (chosen < 0) return undefined;
    const r = commit(cases[chosen] as SelectCase, chosen);
    if (r !== null) return r;
  }
}

/** One parked select: the shared "fired" token of its waiters. */
class SelectOp implements Selector, Abortable {
  done = false;
  resolve: ((v: unknown) => void) | null = null;
  reject: ((r: unknown) => void) | null = null;
  readonly waiters: Waiter[] = [];
  /** Links in the abort list of the select's own signal. */
  alist: Abortable["alist"] = null;
  aprev: Abortable | null = null;
  anext: Abortable | null = null;

  fire(w: Waiter, value: unknown, ok: boolean): void {
    this.finish();
    wake(this.resolve as (v: unknown) => void, { index: w.index, value, ok });
  }

  fail(_w: Waiter, error: unknown): void {
    this.finish();
    wake(this.reject as (r: unknown) => void, error);
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
    if (this.alist !== null) unlisten(this);
    if (trace.hook !== null) trace.hook.unpark(this);
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
 * @example
 * ```ts
 * import { Chan, select, recv, send, after } from "@gochan/core";
 * const jobs = new Chan<string>(), results = new Chan<number>(1);
 * const r = await select([recv(jobs), send(results, 1), recv(after(1000))]);
 * switch (r.index) {
 *   case 0: console.log("job", r.value); break;
 *   case 1: console.log("sent a result"); break;
 *   case 2: console.log("timed out"); break;
 * }
 * ```
 */
export function select<const C extends readonly SelectCase[]>(
  cases: C,
  options?: SelectOptions,
): Promise<SelectResult<C>> {
  const signal = options?.signal;
  if (signal != null && signal.aborted) return failNow(signal.reason);
  try {
    const r = pollCommit(cases);
    if (r !== undefined) return completeNow(r) as Promise<SelectResult<C>>;
  } catch (e) {
    return failNow(e);
  }
  const op = new SelectOp();
  const p = promiseFor<SelectResult<C>>(op);
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i] as SelectCase;
    let w: Waiter;
    if (c instanceof RecvCase) {
      const ch = chanOf(c);
      if (ch === null) continue;
      w = new Waiter(MODE_SELECT, undefined, op, i);
      ch._recvq.push(w);
    } else if (c instanceof SendCase) {
      const ch = chanOf(c);
      if (ch === null) continue;
      w = new Waiter(MODE_SELECT, c._value, op, i);
      ch._sendq.push(w);
    } else {
      const watch: Watch = isSignal(c) ? watchSignal(c) : watchPromise(c);
      w = new Waiter(MODE_SELECT, undefined, op, i);
      watch.waiters.push(w);
    }
    op.waiters.push(w);
  }
  if (signal != null) listen(signal, op);
  if (trace.hook !== null) trace.hook.park(op, "select", cases);
  return p;
}

/**
 * Go's `select` with a `default` case: fully synchronous. It sees every channel
 * at one instant and commits a uniformly chosen ready case, or returns
 * `undefined` (the default) if none is ready. A promise case counts as ready only
 * once select has already observed it settled (a promise's state cannot be read
 * synchronously the first time it is seen).
 *
 * @throws {@link SendOnClosedError} if the chosen case sends on a closed channel;
 *   the reason of a chosen rejected promise.
 *
 * @example
 * ```ts
 * import { Chan, trySelect, recv } from "@gochan/core";
 * const ch = new Chan<number>();
 * const r = trySelect([recv(ch)]);
 * if (r === undefined) console.log("nothing ready: default");
 * ```
 */
export function trySelect<const C extends readonly SelectCase[]>(cases: C): SelectResult<C> | undefined {
  countOp();
  return pollCommit(cases) as SelectResult<C> | undefined;
}
