/**
 * select over shared channels: Go's select statement across threads. Cases
 * are shared channel receives and sends made by this module's {@link recv}
 * and {@link send}, promises and AbortSignals. Exactly one case commits, even
 * when peers on other threads race for it (see op.ts).
 *
 * @module
 */
import type { Fired } from "@gochan/core";
import type { Encoded } from "./codec.js";
import type { ChanState } from "./chan-state.js";
import { C_NIL, C_PROMISE, C_RECV, C_SEND, C_SIGNAL, lockOrder, NONE, watchPromise, watchSignal, type OpCase, type OpResult } from "./op.js";
import { run, tryRun } from "./run.js";
import { SharedChan } from "./shared-chan.js";
import { ValueTooLargeError } from "./errors.js";
import { encode } from "./codec.js";

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
  /** @internal */
  readonly _enc: Encoded;
  /** @internal */
  constructor(ch: SharedChan<T> | null, enc: Encoded) {
    this.ch = ch as SharedChan<never> | null;
    this._enc = enc;
  }
}

/** Anything this select waits on: shared channel cases, promises, AbortSignals. */
export type SharedSelectCase = SharedRecvCase<unknown> | SharedSendCase<never> | PromiseLike<unknown> | AbortSignal;

/** The result shape of case `C` at position `I`. */
export type SharedCaseResult<C, I extends number> =
  C extends SharedRecvCase<infer T>
    ? Fired<I, T, true> | Fired<I, undefined, false>
    : C extends SharedSendCase<never>
      ? Fired<I, undefined, true>
      : C extends AbortSignal
        ? Fired<I, unknown, true>
        : C extends PromiseLike<infer V>
          ? Fired<I, Awaited<V>, true>
          : never;

/**
 * What {@link select} resolves with: a union discriminated by `index` for a
 * tuple of cases, as core's `SelectResult`.
 */
export type SharedSelectResult<C extends readonly SharedSelectCase[]> = number extends C["length"]
  ? Fired<number, unknown, boolean>
  : { [K in keyof C]: K extends `${infer I extends number}` ? SharedCaseResult<C[K], I> : never }[number];

/**
 * A receive case for {@link select}: `case v, ok := <-ch` on a shared channel.
 * `null` or `undefined` makes a nil case (never ready).
 *
 * @example
 * ```ts
 * import { SharedChan, select, recv } from "@gochan/threads";
 * const ch = new SharedChan<number>(1);
 * await ch.send(1);
 * const r = await select([recv(ch)]);
 * console.log(r.value, r.ok); // 1 true
 * ```
 */
export function recv<T>(ch: SharedChan<T> | null | undefined): SharedRecvCase<T> {
  return new SharedRecvCase<T>(checkChan(ch, "recv"));
}

/**
 * A send case for {@link select}: `case ch <- v` on a shared channel. The value
 * is encoded now, so an uncloneable value throws here, synchronously.
 *
 * @throws {@link UncloneableValueError}, {@link ValueTooLargeError}.
 *
 * @example
 * ```ts
 * import { SharedChan, select, send } from "@gochan/threads";
 * const ch = new SharedChan<string>(1);
 * await select([send(ch, "hello")]);
 * console.log(await ch.recv()); // "hello"
 * ```
 */
export function send<T>(ch: SharedChan<T> | null | undefined, value: T): SharedSendCase<T> {
  const c = checkChan(ch, "send");
  const enc = encode(value);
  if (c !== null && enc.size > c._state.maxValue) throw new ValueTooLargeError(enc.size, c._state.maxValue);
  return new SharedSendCase<T>(c, enc);
}

function checkChan<T>(ch: SharedChan<T> | null | undefined, kind: string): SharedChan<T> | null {
  if (ch == null) return null;
  if (!(ch instanceof SharedChan)) {
    throw new TypeError(
      `${kind}: expected a SharedChan, got ${typeof ch === "object" ? (Object.getPrototypeOf(ch) as { constructor?: { name?: string } })?.constructor?.name ?? "object" : typeof ch}` +
        " (a local @gochan/core Chan cannot be a case of a threads select; see docs/threads.md)",
    );
  }
  return ch;
}

function toCases(cases: readonly SharedSelectCase[]): OpCase[] {
  const out: OpCase[] = new Array<OpCase>(cases.length);
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    if (c instanceof SharedRecvCase) {
      out[i] = c.ch === null ? nil() : { kind: C_RECV, st: c.ch._state, enc: null, watch: null };
    } else if (c instanceof SharedSendCase) {
      out[i] = c.ch === null ? nil() : { kind: C_SEND, st: (c.ch as SharedChan<unknown>)._state, enc: c._enc, watch: null };
    } else if (typeof AbortSignal !== "undefined" && c instanceof AbortSignal) {
      out[i] = { kind: C_SIGNAL, st: null, enc: null, watch: watchSignal(c) };
    } else if (c !== null && typeof c === "object" && typeof (c as PromiseLike<unknown>).then === "function") {
      out[i] = { kind: C_PROMISE, st: null, enc: null, watch: watchPromise(c as PromiseLike<unknown>) };
    } else {
      throw new TypeError(`select: case ${i} must be recv(ch), send(ch, v), a promise or an AbortSignal, got ${typeof c}`);
    }
  }
  return out;
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
 * Go's `select` over shared channels (and promises and AbortSignals): waits
 * until a case can proceed and commits exactly that one, whichever threads
 * race for the channels. Ready cases are chosen uniformly at random. A send
 * case on a closed channel rejects with SendOnClosedError.
 *
 * @example
 * ```ts
 * import { SharedChan, select, recv, send } from "@gochan/threads";
 * const jobs = new SharedChan<string>(), done = new SharedChan<number>(1);
 * const r = await select([recv(jobs), send(done, 1)]);
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
    const r = run(ops, lockOrder(ops), signal ?? null);
    return (r instanceof Promise ? r : Promise.resolve(r)) as Promise<SharedSelectResult<C>>;
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Go's `select` with a `default`: synchronous; all the shared channels are
 * locked together, so it sees them at one instant. Returns `undefined` if no
 * case is ready.
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
  const r: OpResult = tryRun(ops, lockOrder(ops) as ChanState[]);
  return r === NONE ? undefined : (r as SharedSelectResult<C>);
}
