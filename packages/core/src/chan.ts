/**
 * Channels: Go's `chan T`, unbuffered or buffered, with close, the nil channel,
 * len/cap, non-blocking try operations and `for await` ranging.
 *
 * Invariants (compare Go's runtime/chan.go):
 * - At least one of `sendq` and `recvq` is empty, except for an unbuffered channel
 *   on which one select waits to both send and receive.
 * - A non-empty buffer means no waiting receivers (`buf.length > 0` => recvq empty).
 * - A non-full buffer means no waiting senders (`buf.length < cap` => sendq empty).
 * - Once closed, sendq is empty forever and recvq is empty whenever the call
 *   stack is back in user code.
 * - Every waiter in a queue is live: a waiter is unlinked before it completes, and
 *   a select unlinks all its other waiters when one case fires. The one
 *   exception is a case of an external select that committed on another thread
 *   (see waiter.ts): it declines when completed, and the operation goes on to
 *   the next waiter, so the invariants above hold for the live waiters. A
 *   queue may therefore look ready (`_canRecv`, `_canSend`) and then yield
 *   nothing: `_take` and `_offer` report false, having unlinked the decliners.
 *   A plain `recv()` refuses a thenable value (see ThenableValueError): it
 *   judges each sender as the take reaches it, and refuses a thenable sender
 *   without asking it, since a live one commits when asked; if that sender
 *   would have declined, the refusal was conservative and nothing was consumed.
 * - A direction no waiter has ever parked in has no queue of its own: `_rq` /
 *   `_sq` is the shared, always-empty `NO_WAITERS`, which only the taking
 *   paths read. Whatever parks goes through `_recvq` / `_sendq`, which make the
 *   channel's own queue first, so nothing is ever linked into `NO_WAITERS`.
 *
 * Every operation climbs the same ladder: nil channel -> another synctest
 * bubble's channel -> aborted -> closed -> hand off directly to a waiting peer ->
 * use the buffer -> would block: fail (try operations) or park a waiter. Send
 * and receive are mirror images.
 *
 * @module
 */
import { currentBubble, NIL_BUBBLE, type BubbleHook } from "./bubble-hook.js";
import { CrossBubbleError, type BubbleOp } from "./cross-bubble-error.js";
import { checkCapacity, CloseOfClosedError, CloseOfNilError, SendOnClosedError, ThenableValueError } from "./errors.js";
import { Ring } from "./ring.js";
import { completeNow, completeVoid, countOp, failNow } from "./scheduling.js";
import { trace, type BlockedKind } from "./trace.js";
import {
  MODE_ITER,
  MODE_OK,
  MODE_VALUE,
  MODE_VOID,
  promiseFor,
  shape,
  Waiter,
  WaiterQueue,
  type Received,
} from "./waiter.js";

export type { Received, ReceivedValue, ReceivedZero } from "./waiter.js";

/**
 * The receive-only view of a channel: Go's `<-chan T`. It has no `send`, `trySend`
 * or `close`, so TypeScript rejects them at compile time, and it is covariant in
 * `T` (a `RecvChan<Dog>` is a `RecvChan<Animal>`).
 *
 * `Z` is the type of the channel's zero value, which a receive returns once the
 * channel is closed and drained (default `undefined`).
 *
 * @example
 * ```ts
 * import { Chan, type RecvChan } from "@gochan/core";
 * async function sum(numbers: RecvChan<number>): Promise<number> {
 *   let total = 0;
 *   for await (const n of numbers) total += n;
 *   return total;
 * }
 * const ch = new Chan<number>(3);
 * await ch.send(1); await ch.send(2); ch.close();
 * console.log(await sum(ch)); // 3
 * ```
 */
export interface RecvChan<out T, out Z = undefined> extends AsyncIterable<T> {
  /** Number of buffered elements (Go's `len(ch)`); blocked senders do not count. */
  readonly len: number;
  /** Buffer size (Go's `cap(ch)`): 0 for an unbuffered or the nil channel. */
  readonly cap: number;
  /**
   * Receives a value, waiting until one is available: Go's `v := <-ch`. Once the
   * channel is closed and drained it resolves with the zero value at once.
   * Aborting `signal` withdraws the receive (nothing is consumed) and rejects
   * with `signal.reason`.
   *
   * A promise cannot resolve to a promise or any other value with a `then`
   * property (it would adopt it), so `recv()` refuses such a value: it rejects
   * with {@link ThenableValueError} and consumes nothing. Receive channels of
   * promises or thenables with `recvOk()`, `tryRecv()`, `select` or `for await`,
   * which deliver every value unchanged.
   */
  recv(signal?: AbortSignal): Promise<T | Z>;
  /**
   * Receives with Go's comma-ok form, `v, ok := <-ch`: `ok` is true only for a
   * value delivered by a send, false for the zero value of a closed channel.
   */
  recvOk(signal?: AbortSignal): Promise<Received<T, Z>>;
  /**
   * Receives without waiting (Go's select with one receive case and a default):
   * the comma-ok result, or `undefined` if a receive would block.
   */
  tryRecv(): Received<T, Z> | undefined;
  /**
   * Iterates received values until the channel is closed and drained, like Go's
   * `for v := range ch`. It never reads ahead, and leaving the loop early neither
   * consumes a value nor closes the channel. Aborting `signal` makes the loop
   * throw `signal.reason`.
   */
  range(options?: RangeOptions): AsyncIterable<T>;
}

/**
 * The send-only view of a channel: Go's `chan<- T`. It has no receive operations,
 * so TypeScript rejects them at compile time; closing is allowed, as in Go. It is
 * contravariant in `T` (a `SendChan<Animal>` is a `SendChan<Dog>`).
 *
 * @example
 * ```ts
 * import { Chan, type SendChan } from "@gochan/core";
 * async function produce(out: SendChan<number>): Promise<void> {
 *   for (let i = 0; i < 3; i++) await out.send(i);
 *   out.close();
 * }
 * const ch = new Chan<number>();
 * void produce(ch);
 * for await (const n of ch) console.log(n); // 0 1 2
 * ```
 */
export interface SendChan<in T> {
  /** Number of buffered elements (Go's `len(ch)`). */
  readonly len: number;
  /** Buffer size (Go's `cap(ch)`). */
  readonly cap: number;
  /**
   * Sends a value: Go's `ch <- v`. On an unbuffered channel it resolves once a
   * receiver has taken the value; on a buffered one once the value is in the
   * buffer. Rejects with {@link SendOnClosedError} if the channel is or becomes
   * closed (the value is then never delivered). Aborting `signal` withdraws the
   * send (the value is never delivered) and rejects with `signal.reason`.
   */
  send(value: T, signal?: AbortSignal): Promise<void>;
  /**
   * Sends without waiting (Go's select with one send case and a default): true if
   * the value was delivered or buffered, false if a send would block.
   * @throws {@link SendOnClosedError} if the channel is closed.
   */
  trySend(value: T): boolean;
  /**
   * Closes the channel: blocked and future receivers drain the buffer and then
   * get the zero value with ok = false; blocked senders reject with
   * {@link SendOnClosedError}.
   * @throws {@link CloseOfClosedError} if already closed, {@link CloseOfNilError} on the nil channel.
   */
  close(): void;
}

/**
 * Options of a channel, given to the {@link Chan} constructor.
 *
 * @example
 * ```ts
 * import { Chan } from "@gochan/core";
 * const counts = new Chan<number, number>(8, { zero: 0, name: "counts" });
 * counts.close();
 * console.log(await counts.recv()); // 0
 * ```
 */
export interface ChanOptions<Z> {
  /**
   * The zero value: what a receive returns from a closed, drained channel. Go
   * has a zero value for every type; TypeScript does not, so it is yours to give.
   * Give it through {@link makeChan} (`makeChan<number>(4, { zero: 0 })`) and the
   * receive is typed `T`, no `!` needed.
   * @defaultValue undefined
   */
  zero?: Z;
  /** A name shown in deadlock reports and by `toString()`. */
  name?: string;
}

/** Options of {@link RecvChan.range}. */
export interface RangeOptions {
  /** Aborting it ends the loop by throwing `signal.reason` from the pending receive. */
  signal?: AbortSignal;
}

/**
 * The queue of a channel direction no waiter has parked in yet: always empty,
 * shared by every channel, never pushed to (see `Chan._recvq`).
 */
const NO_WAITERS = new WaiterQueue();

// `_take()` reports the received value through these, so polling allocates nothing.
let took: unknown;
let tookOk = false;
// Set when `_take(true)` refused a thenable (see `_take`).
let refused = false;
const NEVER_SETTLES = (): void => {};
// The waiter the last iterator receive parked, for that iterator to withdraw.
let parked: Waiter | null = null;

/**
 * Whether a promise resolved with `value` would adopt it instead. Decided by
 * the presence of `then`, never by reading it: reading could run a getter,
 * which is user code, in the middle of a channel operation.
 */
function isThenable(value: unknown): boolean {
  return (typeof value === "object" && value !== null) || typeof value === "function" ? "then" in value : false;
}

/** `_take(true)` found a thenable where it would take: it takes nothing. */
function refuse(): false {
  refused = true;
  return false;
}

/**
 * Marks a channel across installed copies of this package: a pool built
 * against one copy of @gochan/core accepts a channel made by another. Its
 * value is the version of the internal protocol between a channel and a select
 * (`_take`, `_offer`, the waiter queues): a copy that changes the protocol
 * changes the number, so channels of the two copies are told apart instead of
 * misbehaving.
 */
const CHAN_BRAND = Symbol.for("@gochan/core.chan");
const CHAN_PROTOCOL = 1;

/**
 * A Go channel. `new Chan<T>()` is `make(chan T)`, `new Chan<T>(n)` is
 * `make(chan T, n)`. Channels compare by identity. Pass it on as a
 * {@link SendChan} or a {@link RecvChan} to restrict what the receiver may do.
 *
 * @typeParam T - the element type; any type, channels and `undefined` included.
 * @typeParam Z - the zero value's type (see {@link ChanOptions.zero}): `recv()`
 *   resolves `T | Z`. {@link makeChan} with a zero makes `Z` be `T`.
 *
 * @example
 * ```ts
 * import { Chan } from "@gochan/core";
 * const ch = new Chan<string>(); // unbuffered: a send waits for its receiver
 * const sent = ch.send("ping");
 * console.log(await ch.recv()); // "ping"
 * await sent;
 * ch.close();
 * console.log(await ch.recvOk()); // { value: undefined, ok: false }
 * ```
 */
export class Chan<in out T, out Z = undefined> implements SendChan<T>, RecvChan<T, Z> {
  /** @internal */ readonly _buf: Ring<T> | null;
  /**
   * The receive and send queues, or the shared `NO_WAITERS` until a
   * waiter first parks in them (most channels only ever park one direction, and
   * many never park: a queue each would be a third of an idle channel's size).
   * Read them directly only to take waiters out; anything that parks goes
   * through `_recvq` / `_sendq`, which make the queue.
   * @internal
   */
  _rq: WaiterQueue = NO_WAITERS;
  /** @internal */ _sq: WaiterQueue = NO_WAITERS;
  /** @internal */ _closed = false;
  /**
   * The synctest bubble this channel was made in (null: none; NIL_BUBBLE for the
   * nil channel, so one compare with the running bubble routes both the nil
   * channel and a crossing to the slow path). See bubble-hook.ts.
   * @internal
   */
  _bubble: BubbleHook | null = currentBubble;
  /**
   * The zero value and name given in the options, or null if neither was
   * given (most channels: no field each for them).
   * @internal
   */
  readonly _given: { readonly zero: Z; readonly name: string | undefined } | null;
  /**
   * The generation of run()'s record of channels with blocked operations in
   * which this channel is recorded (see parked-chans.ts); 0: never recorded.
   * @internal
   */
  _seen = 0;

  /**
   * Makes a channel.
   * @param capacity - 0 (the default) for an unbuffered channel, or the buffer size.
   * @throws RangeError naming the value if `capacity` is negative, NaN, fractional
   *   or beyond 2^31-1 (Go: "makechan: size out of range").
   */
  constructor(capacity: number = 0, options?: ChanOptions<Z>) {
    this._buf = checkCapacity(capacity) > 0 ? new Ring<T>(capacity) : null;
    const zero = options?.zero;
    const name = options?.name;
    this._given = zero === undefined && name === undefined ? null : { zero: zero as Z, name };
  }

  /** The receive queue, made on first use: what a parking receiver links into. @internal */
  get _recvq(): WaiterQueue {
    const q = this._rq;
    return q !== NO_WAITERS ? q : (this._rq = new WaiterQueue());
  }

  /** The send queue, made on first use: what a parking sender links into. @internal */
  get _sendq(): WaiterQueue {
    const q = this._sq;
    return q !== NO_WAITERS ? q : (this._sq = new WaiterQueue());
  }

  /** Whether this is the nil channel (its bubble is NIL_BUBBLE). @internal */
  get _nil(): boolean {
    return this._bubble === NIL_BUBBLE;
  }

  /** The name given in {@link ChanOptions.name}, if any. */
  get name(): string | undefined {
    return this._given === null ? undefined : this._given.name;
  }

  /** The zero value (see {@link ChanOptions.zero}). @internal */
  get _zero(): Z {
    return this._given === null ? (undefined as Z) : this._given.zero;
  }

  get len(): number {
    return this._buf === null ? 0 : this._buf.length;
  }

  get cap(): number {
    return this._buf === null ? 0 : this._buf.cap;
  }

  /** Whether the channel has been closed (Go cannot ask this; it is for diagnostics). */
  get closed(): boolean {
    return this._closed;
  }

  send(value: T, signal?: AbortSignal): Promise<void> {
    if (this._bubble !== currentBubble) {
      if (this._nil) return parkNil<void>(MODE_VOID, signal, "send", this);
      return failNow(crossBubble("send", this));
    }
    if (signal != null && signal.aborted) return failNow(signal.reason);
    if (this._closed) return failNow(new SendOnClosedError());
    if (this._offer(value)) return completeVoid();
    return park<void>(this._sendq, MODE_VOID, value, signal, "send", this);
  }

  trySend(value: T): boolean {
    countOp();
    if (this._bubble !== currentBubble) {
      if (this._nil) return false;
      throw crossBubble("send", this);
    }
    if (this._closed) throw new SendOnClosedError();
    return this._offer(value);
  }

  recv(signal?: AbortSignal): Promise<T | Z> {
    return this._recv(MODE_VALUE, signal) as Promise<T | Z>;
  }

  recvOk(signal?: AbortSignal): Promise<Received<T, Z>> {
    return this._recv(MODE_OK, signal) as Promise<Received<T, Z>>;
  }

  tryRecv(): Received<T, Z> | undefined {
    countOp();
    if (this._bubble !== currentBubble) {
      if (this._nil) return undefined;
      throw crossBubble("receive", this);
    }
    if (!this._take()) return undefined;
    const value = took;
    took = undefined;
    return { value, ok: tookOk } as Received<T, Z>;
  }

  close(): void {
    if (this._nil) throw new CloseOfNilError();
    if (this._bubble !== currentBubble) throw crossBubble("close", this);
    this._close();
  }

  /**
   * Closes without the bubble check: for the library's own channels (a context's
   * done channel), closed by whatever cancels them.
   * @throws {@link CloseOfClosedError} if already closed.
   * @internal
   */
  _close(): void {
    if (this._closed) throw new CloseOfClosedError();
    this._closed = true;
    // A bubble may choose the order in which the released receivers resume.
    if (this._bubble !== null) this._bubble.reorder(this._rq);
    // Go's closechan: release every receiver, then every sender. Waking a select
    // unlinks its other waiters, possibly from these very queues, so take one
    // waiter at a time from the live queue rather than a detached snapshot.
    const zero = this._zero;
    let w: Waiter | null;
    while ((w = this._rq.shift()) !== null) {
      if (w.mode === MODE_VALUE && isThenable(zero)) w.fail(new ThenableValueError());
      else w.complete(zero, false);
    }
    while ((w = this._sq.shift()) !== null) w.fail(new SendOnClosedError());
  }

  range(options?: RangeOptions): AsyncIterable<T> {
    const signal = options?.signal;
    return { [Symbol.asyncIterator]: () => new ChanIterator<T>(this as Chan<T, unknown>, signal) };
  }

  /**
   * `for await (const v of ch)`: Go's `for v := range ch` (see {@link RecvChan.range},
   * which also takes an AbortSignal).
   */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return new ChanIterator<T>(this as Chan<T, unknown>, undefined);
  }

  /**
   * A description for logs and deadlock reports, e.g. `chan(jobs) 2/8` or `nil chan`.
   */
  toString(): string {
    if (this._nil) return "nil chan";
    const name = this.name === undefined ? "" : `(${this.name})`;
    return `chan${name} ${this.len}/${this.cap}${this._closed ? " closed" : ""}`;
  }

  /**
   * Hands `value` to a waiting receiver or buffers it; false if it would block.
   * The caller has checked nil and closed.
   * @internal
   */
  _offer(value: T): boolean {
    let r: Waiter | null;
    while ((r = this._rq.shift()) !== null) {
      // A plain recv() cannot take a thenable unchanged: it refuses it, and the
      // value goes on to the next receiver (see ThenableValueError).
      if (r.mode === MODE_VALUE && isThenable(value)) {
        r.fail(new ThenableValueError());
        continue;
      }
      if (r.complete(value, true)) return true;
    }
    const buf = this._buf;
    if (buf !== null && buf.length < buf.cap) {
      buf.push(value);
      return true;
    }
    return false;
  }

  /**
   * Receives without blocking into `took`/`tookOk`; false if it would block.
   * With `plain` (a `recv()`, which cannot resolve to a thenable), a thenable
   * that would be taken is refused instead: false with `refused` set, nothing
   * consumed. Each parked sender is judged as the take reaches it, so a
   * declining sender ahead of a thenable does not hide it; a thenable sender
   * is refused without being asked, because asking commits it if it is live
   * (conservative: it may be an external case that would have declined).
   * The caller has checked nil.
   * @internal
   */
  _take(plain?: boolean): boolean {
    const buf = this._buf;
    let s: Waiter | null;
    if (buf !== null && buf.length > 0) {
      if (plain === true && isThenable(buf.peek())) return refuse();
      took = buf.shift();
      tookOk = true;
      // Buffer was full with senders waiting: the first sender's value moves to
      // the tail, so the overall order stays FIFO (checklist item 12).
      while ((s = this._sq.shift()) !== null) {
        const value = s.value;
        if (s.complete(undefined, true)) {
          s.value = undefined;
          buf.push(value as T);
          break;
        }
      }
      return true;
    }
    const sendq = this._sq;
    while ((s = sendq.head) !== null) {
      const value = s.value;
      if (plain === true && isThenable(value)) return refuse();
      sendq.shift();
      if (s.complete(undefined, true)) {
        s.value = undefined;
        took = value;
        tookOk = true;
        return true;
      }
    }
    if (this._closed) {
      const zero = this._zero;
      if (plain === true && isThenable(zero)) return refuse();
      took = zero;
      tookOk = false;
      return true;
    }
    return false;
  }

  /**
   * The value of the last successful `_take()`; clears the slot. An instance
   * method, so a select of another copy of this package reads this copy's slot.
   * @internal
   */
  _took(): unknown {
    const v = took;
    took = undefined;
    return v;
  }

  /** The ok of the last successful `_take()`. @internal */
  _tookOk(): boolean {
    return tookOk;
  }

  /** Whether a receive can proceed now. @internal */
  _canRecv(): boolean {
    return !this._nil && ((this._buf !== null && this._buf.length > 0) || this._sq.head !== null || this._closed);
  }

  /** Whether a send can proceed now (a send on a closed channel "proceeds" to fail). @internal */
  _canSend(): boolean {
    return (
      !this._nil &&
      (this._closed || this._rq.head !== null || (this._buf !== null && this._buf.length < this._buf.cap))
    );
  }

  /** @internal */
  _recv(mode: number, signal: AbortSignal | undefined): Promise<unknown> {
    if (this._bubble !== currentBubble) {
      if (this._nil) return parkNil(mode, signal, "recv", this);
      return failNow(crossBubble("receive", this));
    }
    if (signal != null && signal.aborted) return failNow(signal.reason);
    if (this._take(mode === MODE_VALUE)) {
      const value = took;
      took = undefined;
      return completeNow(mode === MODE_VALUE ? value : shape(mode, value, tookOk));
    }
    if (refused) {
      refused = false;
      return failNow(new ThenableValueError());
    }
    return park<unknown>(this._recvq, mode, undefined, signal, "recv", this);
  }
}

/**
 * The error for an operation on `ch` from outside its bubble (or from inside a
 * bubble on a channel made outside it).
 * @internal
 */
export function crossBubble(op: BubbleOp, ch: { readonly _bubble: BubbleHook | null }): CrossBubbleError {
  return new CrossBubbleError(op, ch, ch._bubble !== null);
}

/**
 * Parks a plain (non-select) operation: a waiter in `queue` (none for the nil
 * channel), listening to `signal`, reported to the trace hook if one is set.
 */
function park<R>(
  queue: WaiterQueue | null,
  mode: number,
  value: unknown,
  signal: AbortSignal | undefined,
  kind: BlockedKind,
  ch: unknown,
): Promise<R> {
  const w = new Waiter(mode, value, null, 0);
  const p = promiseFor<R>(w);
  if (queue !== null) queue.push(w);
  if (signal != null) w.listen(signal);
  const hook = trace.hook;
  if (hook !== null && ((ch as Chan<unknown, unknown>)._seen !== hook.stamp || hook.due)) hook.park(w, kind, ch);
  if (mode === MODE_ITER) parked = w;
  return p;
}

/** An operation on the nil channel: blocks forever, unless its signal aborts. */
function parkNil<R>(mode: number, signal: AbortSignal | undefined, kind: BlockedKind, ch: unknown): Promise<R> {
  if (signal == null && trace.hook === null) return new Promise<R>(NEVER_SETTLES);
  if (signal != null && signal.aborted) return failNow(signal.reason);
  return park<R>(null, mode, undefined, signal, kind, ch);
}

/** The `for await` iterator of a channel: one receive per `next()`, no read-ahead. */
class ChanIterator<T> implements AsyncIterator<T, undefined> {
  /** The receive the last `next()` parked, if it did. */
  private pending: Waiter | null = null;

  constructor(
    private readonly ch: Chan<T, unknown>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  next(): Promise<IteratorResult<T, undefined>> {
    parked = null;
    const p = this.ch._recv(MODE_ITER, this.signal) as Promise<IteratorResult<T, undefined>>;
    this.pending = parked;
    parked = null;
    return p;
  }

  /**
   * Leaving the loop early consumes nothing and leaves the channel open. A
   * `next()` still waiting is withdrawn and resolves done: it takes no value.
   */
  return(): Promise<IteratorResult<T, undefined>> {
    const w = this.pending;
    this.pending = null;
    if (w !== null && w.queue !== null) {
      w.queue.remove(w);
      w.complete(undefined, false);
    }
    return Promise.resolve({ value: undefined, done: true });
  }
}

Object.defineProperty(Chan.prototype, CHAN_BRAND, { value: CHAN_PROTOCOL });

/**
 * Go's `make(chan T, n)` with the zero value spelled out once: given a `zero`,
 * the channel's receive is typed `T`, because a closed, drained channel then
 * gives that zero value, as in Go (`makeChan<number>(4, { zero: 0 })` is
 * `make(chan int, 4)`, and `await ch.recv()` is a `number`). Without a zero it
 * is `new Chan<T>(capacity, options)`, whose receive is `T | undefined`.
 *
 * `new Chan<T, Z>(n, { zero })` says the same with both types written out; use
 * {@link RecvChan.recvOk} when the zero value could also be a real value.
 *
 * @throws RangeError naming the value for a bad capacity (see {@link Chan}).
 *
 * @example
 * ```ts
 * import { makeChan } from "@gochan/core";
 * const counts = makeChan<number>(4, { zero: 0 });
 * await counts.send(3);
 * counts.close();
 * const a: number = await counts.recv(); // 3
 * const b: number = await counts.recv(); // 0: closed and drained
 * const words = makeChan(0, { zero: "" }); // T inferred from the zero: string
 * console.log(a, b, words.cap); // 3 0 0
 * ```
 */
export function makeChan<T>(capacity: number, options: ChanOptions<T> & { zero: T }): Chan<T, T>;
/** Without a zero: the same as `new Chan<T, Z>(capacity, options)`. */
export function makeChan<T, Z = undefined>(capacity?: number, options?: ChanOptions<Z>): Chan<T, Z>;
export function makeChan<T, Z>(capacity?: number, options?: ChanOptions<Z>): Chan<T, Z> {
  return new Chan<T, Z>(capacity, options);
}

let theNilChan: Chan<unknown, undefined> | null = null;

/**
 * The nil channel, Go's `var ch chan T`: sends and receives block forever (a
 * promise that never settles and holds no growing resources, unless given an
 * AbortSignal), closing throws {@link CloseOfNilError}, len and cap are 0, and a
 * select case on it is never ready. Setting a variable to it is Go's idiom for
 * disabling a select case.
 *
 * @example
 * ```ts
 * import { Chan, nilChan, select, recv } from "@gochan/core";
 * let a: Chan<number> = new Chan<number>(1);
 * await a.send(1);
 * const r = await select([recv(a), recv(nilChan<number>())]);
 * console.log(r.index); // 0: the nil case is never ready
 * a = nilChan<number>(); // disable the case
 * ```
 */
export function nilChan<T = never, Z = undefined>(): Chan<T, Z> {
  if (theNilChan === null) {
    theNilChan = new Chan<unknown, undefined>(0, { name: "nil" });
    theNilChan._bubble = NIL_BUBBLE;
  }
  return theNilChan as unknown as Chan<T, Z>;
}

/**
 * Whether `value` is a gochan channel (the nil channel included), also one made
 * by another installed copy of @gochan/core (it carries a `Symbol.for` brand).
 *
 * @example
 * ```ts
 * import { Chan, isChan } from "@gochan/core";
 * console.log(isChan(new Chan<number>()), isChan({})); // true false
 * ```
 */
export function isChan(value: unknown): value is Chan<unknown, unknown> {
  return (
    value instanceof Chan ||
    (typeof value === "object" && value !== null && (value as { [CHAN_BRAND]?: unknown })[CHAN_BRAND] === CHAN_PROTOCOL)
  );
}
