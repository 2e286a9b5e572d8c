/**
 * select over shared channels: Go's select statement across threads. Cases
 * are shared channel receives and sends made by this module's {@link recv}
 * and {@link send}, cases on this thread's local core channels (core's or
 * this module's `recv`/`send` of a `Chan`), promises and AbortSignals, in
 * any mix. Exactly one case commits, even when peers on other threads race
 * for it (see op.ts).
 *
 * @module
 */
import {
  isChan,
  recv as localRecv,
  send as localSend,
  RecvCase,
  SendCase,
  type CaseBody,
  type CaseResult,
  type Chan,
  type Fired,
  type NoBody,
} from "@gochan/core";
import type { Encoded } from "./codec.js";
import type { ChanState } from "./chan-state.js";
import { C_LOCAL, C_NIL, C_PROMISE, C_RECV, C_SEND, C_SIGNAL, lockOrder, NONE, watchPromise, watchSignal, type OpCase, type OpResult } from "./op.js";
import { run, tryRun } from "./run.js";
import { SharedChan, type SharedSendOptions } from "./shared-chan.js";
import { ValueTooLargeError } from "./errors.js";
import { encode } from "./codec.js";
import { claimed, drop, encodeSend } from "./port-hub.js";

/**
 * A receive case on a shared channel, made by {@link recv}.
 *
 * @example
 * ```ts
 * import { SharedChan, recv, type SharedRecvCase } from "@gochan/threads";
 * const c: SharedRecvCase<number> = recv(new SharedChan<number>());
 * ```
 */
export class SharedRecvCase<out T> {
  /** Discriminates the case kinds. */
  readonly kind = "recv" as const;
  /** The channel received from; null for a nil case (never ready). */
  readonly ch: SharedChan<T> | null;
  /** @internal */
  constructor(ch: SharedChan<T> | null) {
    this.ch = ch;
  }
}

/**
 * A send case on a shared channel, made by {@link send}; the value was
 * encoded when the case was made.
 *
 * @example
 * ```ts
 * import { SharedChan, send, type SharedSendCase } from "@gochan/threads";
 * const c: SharedSendCase<number> = send(new SharedChan<number>(), 1);
 * ```
 */
export class SharedSendCase<in T> {
  /** Discriminates the case kinds. */
  readonly kind = "send" as const;
  /** The channel sent on; null for a nil case (never ready). */
  readonly ch: SharedChan<never> | null;
  /** @internal The encoded value; null when it has a transfer list (moved when the select runs). */
  readonly _enc: Encoded | null;
  /** @internal The value and its transfer list, when it has one. */
  readonly _moved: { value: unknown; list: readonly object[] } | null;
  /** @internal */
  constructor(ch: SharedChan<T> | null, enc: Encoded | null, moved: { value: unknown; list: readonly object[] } | null = null) {
    this.ch = ch as SharedChan<never> | null;
    this._enc = enc;
    this._moved = moved;
  }
}

/**
 * Anything this select waits on: shared channel cases, cases on local core
 * channels (with or without a body), promises, AbortSignals.
 */
export type SharedSelectCase =
  | SharedRecvCase<unknown>
  | SharedSendCase<never>
  | RecvCase<unknown, unknown, unknown>
  | SendCase<never, unknown>
  | PromiseLike<unknown>
  | AbortSignal;

/**
 * The result shape of case `C` at position `I`: a local case as core's
 * `CaseResult` (its body's return value if it has one).
 */
export type SharedCaseResult<C, I extends number> =
  C extends SharedRecvCase<infer T>
    ? Fired<I, T, true> | Fired<I, undefined, false>
    : C extends SharedSendCase<never>
      ? Fired<I, undefined, true>
      : C extends RecvCase<unknown, unknown, unknown> | SendCase<never, unknown>
        ? CaseResult<C, I>
        : C extends AbortSignal
          ? Fired<I, unknown, true>
          : C extends PromiseLike<infer V>
            ? Fired<I, Awaited<V>, true>
            : never;

/**
 * What {@link select} resolves with: a union discriminated by `index` for a
 * tuple of cases, as core's `SelectResult`; for an array of cases without
 * bodies, a {@link Fired} record of any case.
 */
export type SharedSelectResult<C extends readonly SharedSelectCase[]> = number extends C["length"]
  ? C[number] extends
      | SharedRecvCase<unknown>
      | SharedSendCase<never>
      | RecvCase<unknown, unknown, NoBody>
      | SendCase<never, NoBody>
      | PromiseLike<unknown>
      | AbortSignal
    ? Fired<number, unknown, boolean>
    : SharedCaseResult<C[number], number>
  : { [K in keyof C]: K extends `${infer I extends number}` ? SharedCaseResult<C[K], I> : never }[number];

/**
 * A receive case for {@link select}: `case v, ok := <-ch` on a shared channel,
 * or on a local core `Chan` (then it is core's `recv(ch)`, which also takes a
 * case body). `null` or `undefined` makes a nil case (never ready).
 *
 * @example
 * ```ts
 * import { Chan } from "@gochan/core";
 * import { SharedChan, select, recv } from "@gochan/threads";
 * const ch = new SharedChan<number>(1), local = new Chan<string>();
 * await ch.send(1);
 * const r = await select([recv(ch), recv(local)]);
 * console.log(r.value, r.ok); // 1 true
 * ```
 */
export function recv<T>(ch: SharedChan<T> | null | undefined): SharedRecvCase<T>;
/** A receive case on a local core channel: core's `recv(ch)`. */
export function recv<T, Z>(ch: Chan<T, Z>): RecvCase<T, Z>;
export function recv<T, Z>(ch: SharedChan<T> | Chan<T, Z> | null | undefined): SharedRecvCase<T> | RecvCase<T, Z> {
  if (isChan(ch)) return localRecv(ch as Chan<T, Z>);
  return new SharedRecvCase<T>(checkChan(ch as SharedChan<T> | null | undefined, "recv"));
}

/**
 * A send case for {@link select}: `case ch <- v` on a shared channel. The value
 * is encoded now, so an uncloneable value throws here, synchronously. On a
 * local core `Chan` it is core's `send(ch, v)` (the value is not copied).
 *
 * @throws {@link UncloneableValueError}, {@link ValueTooLargeError}.
 *
 * @example
 * ```ts
 * import { Chan } from "@gochan/core";
 * import { SharedChan, select, send } from "@gochan/threads";
 * const ch = new SharedChan<string>(1), local = new Chan<string>();
 * await select([send(ch, "hello"), send(local, "hi")]);
 * console.log(await ch.recv()); // "hello"
 * ```
 */
export function send<T>(ch: SharedChan<T> | null | undefined, value: T, options?: Pick<SharedSendOptions, "transfer">): SharedSendCase<T>;
/** A send case on a local core channel: core's `send(ch, value)`. */
export function send<T, Z>(ch: Chan<T, Z>, value: T): SendCase<T>;
export function send<T, Z>(
  ch: SharedChan<T> | Chan<T, Z> | null | undefined,
  value: T,
  options?: Pick<SharedSendOptions, "transfer">,
): SharedSendCase<T> | SendCase<T> {
  if (isChan(ch)) return localSend(ch as Chan<T, Z>, value);
  const c = checkChan(ch as SharedChan<T> | null | undefined, "send");
  if (options?.transfer !== undefined) return new SharedSendCase<T>(c, null, { value, list: options.transfer });
  const enc = encode(value);
  if (c !== null && enc.size > c._state.maxValue) throw new ValueTooLargeError(enc.size, c._state.maxValue);
  return new SharedSendCase<T>(c, enc);
}

function checkChan<T>(ch: SharedChan<T> | null | undefined, kind: string): SharedChan<T> | null {
  if (ch == null) return null;
  if (!(ch instanceof SharedChan)) {
    throw new TypeError(
      `${kind}: expected a SharedChan or a @gochan/core Chan, got ${typeof ch === "object" ? (Object.getPrototypeOf(ch) as { constructor?: { name?: string } })?.constructor?.name ?? "object" : typeof ch}`,
    );
  }
  return ch;
}

function toCases(cases: readonly SharedSelectCase[]): OpCase[] {
  const out: OpCase[] = new Array<OpCase>(cases.length);
  let moved = false;
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    if (c instanceof RecvCase || c instanceof SendCase) {
      out[i] = c.ch === null ? nil() : { kind: C_LOCAL, st: null, enc: null, watch: null, local: c };
    } else if (c instanceof SharedRecvCase) {
      out[i] = c.ch === null ? nil() : { kind: C_RECV, st: c.ch._state, enc: null, watch: null };
    } else if (c instanceof SharedSendCase) {
      out[i] = c.ch === null ? nil() : { kind: C_SEND, st: (c.ch as SharedChan<unknown>)._state, enc: c._enc, watch: null };
      if (c._moved !== null && c.ch !== null) moved = true;
    } else if (typeof AbortSignal !== "undefined" && c instanceof AbortSignal) {
      out[i] = { kind: C_SIGNAL, st: null, enc: null, watch: watchSignal(c) };
    } else if (c !== null && typeof c === "object" && typeof (c as PromiseLike<unknown>).then === "function") {
      out[i] = { kind: C_PROMISE, st: null, enc: null, watch: watchPromise(c as PromiseLike<unknown>) };
    } else {
      throw new TypeError(`select: case ${i} must be recv(ch), send(ch, v), a promise or an AbortSignal, got ${c === null ? "null" : typeof c}`);
    }
  }
  if (moved) moveCases(cases, out);
  return out;
}

/**
 * Moves the values of send cases with a transfer list, now that the select
 * runs (a case made and never selected moves nothing). All or nothing: if one
 * is refused, the tickets already made are dropped before the error goes up.
 */
function moveCases(cases: readonly SharedSelectCase[], ops: OpCase[]): void {
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    const op = ops[i]!;
    if (!(c instanceof SharedSendCase) || c._moved === null || op.st === null) continue;
    try {
      const st = op.st;
      op.enc = encodeSend(st.domain, c._moved.value, c._moved.list, st.maxValue, (size) => new ValueTooLargeError(size, st.maxValue));
    } catch (e) {
      dropUncommitted(ops, -1);
      throw e;
    }
  }
}

/** Drops the moved values of every send case but the one that committed (`index`, or -1 for none). */
function dropUncommitted(ops: readonly OpCase[], index: number): void {
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (i !== index && op.kind === C_SEND && op.enc !== null) drop(op.enc);
  }
}

/** The result with a received ticket's value fetched (port-hub.ts); `r` itself for any other value. */
function claimedResult(r: OpResult): OpResult | Promise<OpResult> {
  const v = claimed(r.value);
  return v instanceof Promise ? v.then((value) => ({ index: r.index, value, ok: r.ok })) : r;
}

/** Whether some send case moves its value (those cases' tickets must be dropped unless they commit). */
function hasMoved(cases: readonly SharedSelectCase[]): boolean {
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    if (c instanceof SharedSendCase && c._moved !== null) return true;
  }
  return false;
}

/** Waits for `r` with the moved values of `ops` settled: dropped for every case that did not commit. */
function settleMoved(ops: readonly OpCase[], r: Promise<OpResult>): Promise<OpResult> {
  return r.then(
    (fired) => {
      dropUncommitted(ops, fired.index);
      return claimedResult(fired);
    },
    (e: unknown) => {
      dropUncommitted(ops, -1);
      throw e;
    },
  );
}

/**
 * Whether a local case has a body. Asked after toCases, not recorded by it:
 * toCases reads promise cases' `then`, user code that may run another select.
 */
function hasBody(ops: readonly OpCase[]): boolean {
  for (let i = 0; i < ops.length; i++) if (ops[i]!.local?.body != null) return true;
  return false;
}

function nil(): OpCase {
  return { kind: C_NIL, st: null, enc: null, watch: null };
}

/** Options of {@link select}. */
export interface SharedSelectOptions {
  /** Aborting it withdraws every case (nothing is consumed or sent) and rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Go's `select` over any mix of shared channels, this thread's local core
 * channels, promises and AbortSignals: waits until a case can proceed and
 * commits exactly that one, whichever threads race for the channels. Ready
 * cases are chosen uniformly at random. A send case on a closed channel
 * rejects with SendOnClosedError. A local case made with a body (core's
 * `recv(ch, body)`) resolves with what its body returns, as core's select.
 *
 * @example
 * ```ts
 * import { Chan } from "@gochan/core";
 * import { SharedChan, select, recv, send } from "@gochan/threads";
 * const jobs = new SharedChan<string>(), done = new SharedChan<number>(1);
 * const quit = new Chan<void>();
 * const r = await select([recv(jobs), send(done, 1), recv(quit)]);
 * if (r.index === 1) console.log("reported done");
 * ```
 */
export function select<const C extends readonly SharedSelectCase[]>(
  cases: C,
  options?: SharedSelectOptions,
): Promise<SharedSelectResult<C>> {
  const signal = options?.signal;
  if (signal?.aborted) return Promise.reject(signal.reason);
  try {
    const ops = toCases(cases);
    const withBodies = hasBody(ops);
    const moved = hasMoved(cases);
    let r: OpResult | Promise<OpResult>;
    try {
      r = run(ops, lockOrder(ops), signal ?? null);
    } catch (e) {
      if (moved) dropUncommitted(ops, -1);
      throw e;
    }
    let p: Promise<OpResult>;
    if (r instanceof Promise) p = moved ? settleMoved(ops, r) : r.then(claimedResult);
    else {
      if (moved) dropUncommitted(ops, r.index);
      p = Promise.resolve(claimedResult(r));
    }
    return (withBodies ? p.then((fired) => runBody(cases, fired)) : p) as Promise<SharedSelectResult<C>>;
  } catch (e) {
    return Promise.reject(e);
  }
}

/** The body of the local case that fired, if it has one, called with its value and ok; else the fired record. */
function runBody(cases: readonly SharedSelectCase[], r: OpResult): unknown {
  const c = cases[r.index];
  const body: CaseBody<unknown> | null = c instanceof RecvCase || c instanceof SendCase ? c.body : null;
  return body === null ? r : (body as (value: unknown, ok: boolean) => unknown)(r.value, r.ok);
}

/**
 * Go's `select` with a `default`: synchronous; all the shared channels are
 * locked together, so it sees them (and the local ones) at one instant.
 * Returns `undefined` if no case is ready. A chosen local case's body runs at
 * once and its return value is the result.
 *
 * @example
 * ```ts
 * import { SharedChan, trySelect, recv } from "@gochan/threads";
 * const ch = new SharedChan<number>();
 * if (trySelect([recv(ch)]) === undefined) console.log("default");
 * ```
 */
export function trySelect<const C extends readonly SharedSelectCase[]>(cases: C): SharedSelectResult<C> | undefined {
  const ops = toCases(cases);
  const withBodies = hasBody(ops);
  const moved = hasMoved(cases);
  let r: OpResult;
  try {
    r = tryRun(ops, lockOrder(ops) as ChanState[]);
  } catch (e) {
    if (moved) dropUncommitted(ops, -1);
    throw e;
  }
  if (moved) dropUncommitted(ops, r.index);
  if (r === NONE) return undefined;
  return (withBodies ? runBody(cases, r) : r) as SharedSelectResult<C>;
}
