/**
 * Errors raised by channel operations. Each is a class (so `instanceof` works)
 * whose message is Go's own panic text, so logs read like a Go program's.
 *
 * @module
 */

/** Names an error class across installed copies of this package (see ChanError's instanceof). */
const ERROR_BRAND = Symbol.for("@gochan/core.error");

function brandOf(proto: object): unknown {
  return Object.prototype.hasOwnProperty.call(proto, ERROR_BRAND)
    ? (proto as { [ERROR_BRAND]?: unknown })[ERROR_BRAND]
    : undefined;
}

/**
 * Base class of every error gochan raises for a misuse that Go would turn into a
 * panic (send on a closed channel, close of a closed or nil channel, ...).
 *
 * @example
 * ```ts
 * import { Chan, ChanError } from "@gochan/core";
 * const ch = new Chan<number>(1);
 * ch.close();
 * try {
 *   await ch.send(1);
 * } catch (e) {
 *   console.log(e instanceof ChanError); // true
 * }
 * ```
 */
export class ChanError extends Error {
  /** @internal */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }

  /**
   * `instanceof` that also holds across installed copies of @gochan/core: an
   * error raised by another copy's channel is an instance of this copy's class
   * of the same kind (a pool built against one copy gets the errors of
   * channels made by another).
   *
   * @example
   * ```ts
   * import { Chan, SendOnClosedError } from "@gochan/core";
   * const ch = new Chan<number>();
   * ch.close();
   * await ch.send(1).catch((e) => console.log(e instanceof SendOnClosedError)); // true
   * ```
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const brand = brandOf(this.prototype as object);
    if (brand === undefined || typeof value !== "object" || value === null) return false;
    for (let p = Object.getPrototypeOf(value) as object | null; p !== null; p = Object.getPrototypeOf(p) as object | null) {
      if (brandOf(p) === brand) return true;
    }
    return false;
  }
}


/**
 * Sending on a closed channel, or being a sender blocked on a channel when it was
 * closed. Go panics with "send on closed channel"; here the send's promise
 * rejects (or `trySend` throws). The value is never delivered.
 *
 * @example
 * ```ts
 * import { Chan, SendOnClosedError } from "@gochan/core";
 * const ch = new Chan<string>();
 * const pending = ch.send("lost");
 * ch.close();
 * await pending.catch((e) => console.log(e instanceof SendOnClosedError, e.message));
 * // true "send on closed channel"
 * ```
 */
export class SendOnClosedError extends ChanError {
  /** @internal */
  constructor() {
    super("send on closed channel");
  }
}

/**
 * Closing a channel twice. Go panics with "close of closed channel"; here
 * `close()` throws synchronously.
 *
 * @example
 * ```ts
 * import { Chan, CloseOfClosedError } from "@gochan/core";
 * const ch = new Chan<number>();
 * ch.close();
 * try { ch.close(); } catch (e) { console.log(e instanceof CloseOfClosedError); } // true
 * ```
 */
export class CloseOfClosedError extends ChanError {
  /** @internal */
  constructor() {
    super("close of closed channel");
  }
}

/**
 * Closing the nil channel. Go panics with "close of nil channel"; here `close()`
 * throws synchronously.
 *
 * @example
 * ```ts
 * import { nilChan, CloseOfNilError } from "@gochan/core";
 * try { nilChan<number>().close(); } catch (e) { console.log(e instanceof CloseOfNilError); } // true
 * ```
 */
export class CloseOfNilError extends ChanError {
  /** @internal */
  constructor() {
    super("close of nil channel");
  }
}

/**
 * `recv()` met a value it cannot deliver unchanged: an object or function with a
 * `then` property (a promise, a thenable). A promise resolved with such a value
 * adopts it instead (waits for it, takes its result, runs its `then`), so
 * `recv()` refuses it and consumes nothing: the value stays for the next
 * receive. `recvOk()`, `tryRecv()`, `select` and `for await` deliver it
 * unchanged, because they wrap it in a result object. Go has no such case.
 *
 * @example
 * ```ts
 * import { Chan, ThenableValueError } from "@gochan/core";
 * const ch = new Chan<Promise<number>>(1);
 * await ch.send(Promise.resolve(42));
 * await ch.recv().catch((e) => console.log(e instanceof ThenableValueError)); // true
 * const r = await ch.recvOk(); // the promise itself, still in the channel
 * if (r.ok) console.log(await r.value); // 42
 * ```
 */
export class ThenableValueError extends ChanError {
  /** @internal */
  constructor() {
    super(
      "recv: the value has a then property, so a promise cannot resolve to it unchanged; it was not received (use recvOk, tryRecv, select or for await)",
    );
  }
}

for (const [cls, brand] of [
  [ChanError, "ChanError"],
  [SendOnClosedError, "SendOnClosedError"],
  [CloseOfClosedError, "CloseOfClosedError"],
  [CloseOfNilError, "CloseOfNilError"],
  [ThenableValueError, "ThenableValueError"],
] as const) {
  Object.defineProperty(cls.prototype, ERROR_BRAND, { value: brand });
}

/**
 * An error as Go prints it (`fmt.Println(err)`, `%v`, `err.Error()`): the
 * message alone, so `errorString(ctx.err())` is `context canceled` where
 * `String(err)` gives `CanceledError: context canceled` (JavaScript's
 * `Error.prototype.toString` puts the class name first). `undefined` and `null`
 * print as Go's `<nil>`; an object with a string `message` prints that
 * message; anything else prints as `String(value)`. The class name stays on
 * `err.name`, and `instanceof` is unchanged.
 *
 * @example
 * ```ts
 * import { background, withCancel, errorString, ErrGroup } from "@gochan/core";
 * const { ctx, cancel } = withCancel(background());
 * cancel();
 * console.log(String(ctx.err()));      // "CanceledError: context canceled"
 * console.log(errorString(ctx.err())); // "context canceled", as Go prints it
 * console.log(errorString(await new ErrGroup().wait())); // "<nil>"
 * ```
 */
export function errorString(err: unknown): string {
  if (err == null) return "<nil>";
  if (typeof err === "object") {
    const message = (err as { message?: unknown }).message;
    if (typeof message === "string") return message;
  }
  return String(err);
}

/** Go's largest channel size we accept: 2^31 - 1. */
export const MAX_CAPACITY = 2 ** 31 - 1;

/** Human-readable rendering of a bad argument for error messages. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number" || typeof value === "boolean" || value == null) return String(value);
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  try {
    return `${Object.prototype.toString.call(value)} ${JSON.stringify(value)}`;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * Validates a channel capacity. Go panics "makechan: size out of range" on a
 * negative size; we also reject NaN, fractions, non-numbers and sizes past 2^31-1.
 * @internal
 */
export function checkCapacity(capacity: unknown): number {
  if (
    typeof capacity !== "number" ||
    !Number.isInteger(capacity) ||
    capacity < 0 ||
    capacity > MAX_CAPACITY
  ) {
    throw new RangeError(
      `makechan: size out of range: capacity must be an integer from 0 to ${MAX_CAPACITY}, got ${describe(capacity)} (${typeof capacity})`,
    );
  }
  return capacity;
}
