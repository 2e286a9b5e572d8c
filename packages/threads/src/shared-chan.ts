/**
 * SharedChan: a Go channel whose state lives in shared memory, so every
 * thread holding it sends and receives on the same channel. The algorithm is
 * in chan-state.ts (the shared state and its invariants) and op.ts (parking).
 *
 * @module
 */
import type { Received, RecvChan, SendChan, RangeOptions } from "@gochan/core";
import { CloseOfClosedError } from "@gochan/core";
import { encode, TAG_SIDE, type Encoded } from "./codec.js";
import { ChanState, LOCK } from "./chan-state.js";
import { Domain } from "./domain.js";
import { ValueTooLargeError } from "./errors.js";
import { lock, unlock } from "./lock.js";
import { C_RECV, C_SEND, type OpCase, type OpResult } from "./op.js";
import { Claim, drop, encodeSend, installHub, tryRefused } from "./port-hub.js";
import { run } from "./run.js";

/**
 * Options of a {@link SharedChan}.
 *
 * @example
 * ```ts
 * import { SharedChan } from "@gochan/threads";
 * const frames = new SharedChan<Uint8Array>(4, { bytes: 4 << 20, waiters: 16 });
 * ```
 */
export interface SharedChanOptions {
  /**
   * Bytes of shared memory for values in flight: buffered values, values of
   * parked senders and values handed to receivers not yet resumed. A send that
   * finds no room waits (a try operation fails); a value larger than this is
   * refused with {@link ValueTooLargeError}.
   * @defaultValue 65536
   */
  bytes?: number;
  /**
   * How many operations may be parked on the channel at once, per direction
   * (a select counts once per case on this channel).
   * @defaultValue 64
   */
  waiters?: number;
}

/**
 * Options of {@link SharedChan.send} (and the `transfer` of `trySend` and of
 * a select's `send` case).
 *
 * @example
 * ```ts
 * import { MessageChannel, type MessagePort } from "node:worker_threads";
 * import { SharedChan } from "@gochan/threads";
 * const replies = new SharedChan<{ reply: MessagePort }>(1);
 * const { port1 } = new MessageChannel();
 * await replies.send({ reply: port1 }, { transfer: [port1] }); // Node 20.19+ or 22.5+
 * ```
 */
export interface SharedSendOptions {
  /** Aborting it withdraws the send (nothing is sent; moved ports are closed). */
  signal?: AbortSignal;
  /**
   * Objects to move rather than copy, as postMessage's transfer list.
   * ArrayBuffers are detached for the sender when the send is made (their
   * bytes still cross by copy), on every platform. MessagePorts and streams
   * wait with the main thread until a receiver takes the value, then go to it
   * by message (Node 20.19+ or 22.5+, which have postMessageToThread; see
   * docs/threads.md, Transferables); they
   * are closed if the send does not happen. Refused synchronously, nothing
   * moved, with TransferError (a bad entry; moving ports is not possible
   * here) or UncloneableValueError (a port in the value but not listed).
   */
  transfer?: readonly object[];
}

/**
 * What a {@link SharedChan} becomes when it crosses to another thread by
 * `postMessage` or `workerData` (structured clone keeps only this), and what
 * {@link SharedChan.from} rebuilds a channel from. `T` is a type-only marker.
 *
 * @example
 * ```ts
 * import { SharedChan, type SharedChanHandle } from "@gochan/threads";
 * const h: SharedChanHandle<number> = new SharedChan<number>(1).handle;
 * const same = SharedChan.from(h);
 * ```
 */
export interface SharedChanHandle<T> {
  /** Marks the object as a shared channel handle. */
  readonly kind: "@gochan/threads:chan";
  /** The channel's shared memory. */
  readonly chan: SharedArrayBuffer;
  /** The domain's shared memory (waiter slots and the thread table). */
  readonly domain: SharedArrayBuffer;
  /** Type-only: the element type. Never set. */
  readonly element?: T;
}

const KIND = "@gochan/threads:chan";

/** Set while SharedChan.from runs the constructor for an existing channel. */
let rebuilding: ChanState | null = null;
/** The channels this thread rebuilt, so one channel is one object per thread (identity). */
const rebuilt = new Map<string, WeakRef<SharedChan<unknown>>>();

function isHandle(v: unknown): v is SharedChanHandle<unknown> {
  return (
    typeof v === "object" &&
    v !== null &&
    (v as { kind?: unknown }).kind === KIND &&
    (v as { chan?: unknown }).chan instanceof SharedArrayBuffer &&
    (v as { domain?: unknown }).domain instanceof SharedArrayBuffer
  );
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return `an object with keys [${Object.keys(v).join(", ")}]`;
  if (typeof v === "function") return `function ${v.name}`;
  return `${typeof v} ${String(v)}`;
}

function toVoid(): void {}

function valueOf<T>(r: Received<T, undefined>): T | undefined {
  return r.value;
}

function received<T>(r: OpResult): Received<T, undefined> | Promise<Received<T, undefined>> {
  if (r.value instanceof Claim) return r.value.value.then((value) => ({ value: value as T, ok: true }));
  return r.ok ? { value: r.value as T, ok: true } : { value: undefined, ok: false };
}

function isSignal(v: unknown): v is AbortSignal {
  return typeof AbortSignal !== "undefined" && v instanceof AbortSignal;
}

function tooLarge(max: number): (size: number) => Error {
  return (size) => new ValueTooLargeError(size, max);
}

function checkCapacity(capacity: number): number {
  if (!Number.isInteger(capacity) || capacity < 0 || capacity > 2 ** 31 - 1) {
    throw new RangeError(`makechan: size out of range: ${String(capacity)}`);
  }
  return capacity;
}

function checkPositive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1 || v > 2 ** 30) throw new RangeError(`SharedChan: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/**
 * A channel shared by threads: Go's `chan T` for `worker_threads`. It has the
 * API of core's `Chan` (send, recv, recvOk, try operations, close,
 * len/cap, `for await`, AbortSignal) and Go's semantics seen from every
 * thread: one FIFO order, unbuffered sends rendezvous with a receiver on any
 * thread, close wakes every receiver and fails every sender everywhere. Use
 * this package's {@link select} to select over shared channels.
 *
 * Hand it to a worker like any value (`workerData`, `postMessage`) and rebuild
 * it there with {@link SharedChan.from}. Values are copied (structured clone);
 * one that cannot be is refused synchronously with
 * {@link UncloneableValueError}. The zero value of a closed channel is
 * `undefined`.
 *
 * @typeParam T - the element type (structured-cloneable).
 *
 * @example
 * ```ts
 * import { Worker } from "node:worker_threads";
 * import { SharedChan } from "@gochan/threads";
 * const results = new SharedChan<number>(16);
 * const w = new Worker(new URL("./squarer.js", import.meta.url), { workerData: { results } });
 * // in squarer.js: const out = SharedChan.from<number>(workerData.results);
 * //                for (let i = 0; i < 10; i++) await out.send(i * i); out.close();
 * for await (const sq of results) console.log(sq);
 * await w.terminate();
 * ```
 */
export class SharedChan<T> implements SendChan<T>, RecvChan<T, undefined> {
  /** The handle this channel is rebuilt from on another thread (the only part that crosses). */
  readonly handle: SharedChanHandle<T>;
  readonly #st: ChanState;
  readonly #recv: readonly OpCase[];
  readonly #chans: readonly ChanState[];

  /**
   * Makes a shared channel in this thread's domain.
   * @param capacity - 0 (unbuffered, the default) or the buffer size.
   * @throws RangeError naming the value for a bad capacity or option.
   */
  constructor(capacity: number = 0, options?: SharedChanOptions) {
    let st: ChanState;
    if (rebuilding !== null) st = rebuilding;
    else {
      const cap = checkCapacity(capacity);
      const bytes = checkPositive("bytes", options?.bytes, 65536);
      const waiters = checkPositive("waiters", options?.waiters, 64);
      st = ChanState.create(Domain.current(), cap, bytes, waiters);
    }
    this.handle = { kind: KIND, chan: st.sab, domain: st.domain.sab };
    this.#st = st;
    this.#recv = [{ kind: C_RECV, st, enc: null, watch: null }];
    this.#chans = [st];
    installHub(st.domain);
  }

  /**
   * Rebuilds a channel on this thread from what crossed: the
   * {@link SharedChanHandle}, or the structured clone of a SharedChan (an
   * object with a `handle`), or a SharedChan itself (returned as is).
   *
   * @throws TypeError naming the value if it is not a shared channel.
   *
   * @example
   * ```ts
   * import { workerData } from "node:worker_threads";
   * import { SharedChan } from "@gochan/threads";
   * const jobs = SharedChan.from<string>((workerData as { jobs: unknown }).jobs);
   * ```
   */
  static from<T>(value: unknown): SharedChan<T> {
    if (value instanceof SharedChan) return value as SharedChan<T>;
    const inner = typeof value === "object" && value !== null ? (value as { handle?: unknown }).handle : undefined;
    const h = isHandle(value) ? value : isHandle(inner) ? inner : null;
    if (h === null) throw new TypeError(`SharedChan.from: expected a shared channel or its handle, got ${describe(value)}`);
    const domain = Domain.adopt(h.domain);
    const id = new Int32Array(h.chan)[3] as number;
    const key = `${domain.id}:${id}`;
    const known = rebuilt.get(key)?.deref();
    if (known !== undefined) return known as SharedChan<T>;
    rebuilding = new ChanState(h.chan, domain);
    try {
      const ch = new SharedChan<T>();
      rebuilt.set(key, new WeakRef(ch));
      return ch;
    } finally {
      rebuilding = null;
    }
  }

  /** Number of buffered values (Go's `len(ch)`): a snapshot, as in Go. */
  get len(): number {
    return this.#st.len;
  }

  /** Buffer size (Go's `cap(ch)`). */
  get cap(): number {
    return this.#st.cap;
  }

  /** Whether the channel has been closed (for diagnostics). */
  get closed(): boolean {
    return this.#st.closed;
  }

  /** @internal */
  get _state(): ChanState {
    return this.#st;
  }

  /**
   * Sends a value (Go's `ch <- v`). On an unbuffered channel it resolves once a
   * receiver on some thread has taken it; on a buffered one once it is buffered.
   * Rejects with SendOnClosedError if the channel is or becomes closed (the
   * value is then never delivered). Aborting `signal` withdraws the send.
   *
   * `options` is the signal, or {@link SharedSendOptions} with a `transfer`
   * list to move ArrayBuffers and MessagePorts instead of copying them.
   *
   * @throws {@link UncloneableValueError}, {@link ValueTooLargeError} or
   *   {@link TransferError}, synchronously, before anything is sent or moved.
   */
  send(value: T, options?: AbortSignal | SharedSendOptions): Promise<void> {
    const opts = options === undefined || isSignal(options) ? null : options;
    const signal = opts === null ? (options as AbortSignal | undefined) : opts.signal;
    if (opts?.transfer !== undefined && signal?.aborted) return Promise.reject(signal.reason); // nothing moved, as select does
    const enc = opts?.transfer === undefined ? this.#encode(value) : this.#encodeMoved(value, opts.transfer);
    if (signal?.aborted) return Promise.reject(signal.reason);
    try {
      const r = run([{ kind: C_SEND, st: this.#st, enc, watch: null }], this.#chans, signal ?? null);
      if (!(r instanceof Promise)) return Promise.resolve();
      if (enc.tag !== TAG_SIDE) return r.then(toVoid);
      return r.then(toVoid, (e: unknown) => {
        drop(enc); // not sent: moved ports are closed
        throw e;
      });
    } catch (e) {
      drop(enc);
      return Promise.reject(e);
    }
  }

  /**
   * Sends without waiting: true if delivered or buffered, false if a send would block.
   * @throws SendOnClosedError if closed; {@link UncloneableValueError} or {@link ValueTooLargeError}.
   */
  trySend(value: T, options?: Pick<SharedSendOptions, "transfer">): boolean {
    const enc = options?.transfer === undefined ? this.#encode(value) : this.#encodeMoved(value, options.transfer);
    const st = this.#st;
    let sent = false;
    lock(st.i32, LOCK);
    try {
      sent = st.giveSend(enc);
    } finally {
      unlock(st.i32, LOCK);
      if (!sent) drop(enc); // not sent (or closed): moved ports are closed
    }
    return sent;
  }

  /** Receives a value (Go's `<-ch`); `undefined` once closed and drained. */
  recv(signal?: AbortSignal): Promise<T | undefined> {
    return this.recvOk(signal).then(valueOf<T>);
  }

  /** Receives with Go's comma-ok form: `ok` is false only for a closed, drained channel. */
  recvOk(signal?: AbortSignal): Promise<Received<T, undefined>> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    try {
      const r = run(this.#recv, this.#chans, signal ?? null);
      return r instanceof Promise ? r.then(received<T>) : Promise.resolve(received<T>(r));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Receives without waiting: the comma-ok result, or `undefined` if a receive would block.
   * @throws {@link MovedValueError} if the value it would take carries moved
   *   MessagePorts (they come by message: use `recv`); nothing is taken.
   */
  tryRecv(): Received<T, undefined> | undefined {
    const st = this.#st;
    let ticket = false;
    lock(st.i32, LOCK);
    try {
      ticket = st.frontIsTicket();
      if (!ticket && !st.takeRecv()) return undefined;
    } finally {
      unlock(st.i32, LOCK);
    }
    if (ticket) throw tryRefused("tryRecv");
    const value = ChanState.took();
    return ChanState.tookOk() ? { value: value as T, ok: true } : { value: undefined, ok: false };
  }

  /**
   * Closes the channel for every thread: receivers drain the buffer, then get
   * `undefined` with ok = false; parked senders reject with SendOnClosedError.
   * @throws CloseOfClosedError if already closed.
   */
  close(): void {
    const st = this.#st;
    lock(st.i32, LOCK);
    let ok: boolean;
    try {
      ok = st.close();
    } finally {
      unlock(st.i32, LOCK);
    }
    if (!ok) throw new CloseOfClosedError();
  }

  /** Iterates received values until the channel is closed and drained; never reads ahead. */
  range(options?: RangeOptions): AsyncIterable<T> {
    const signal = options?.signal;
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<T, undefined> => ({
        next: async (): Promise<IteratorResult<T, undefined>> => {
          const r = await this.recvOk(signal);
          return r.ok ? { value: r.value, done: false } : { value: undefined, done: true };
        },
        return: (): Promise<IteratorResult<T, undefined>> => Promise.resolve({ value: undefined, done: true }),
      }),
    };
  }

  /** `for await (const v of ch)`: see {@link SharedChan.range}. */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return this.range()[Symbol.asyncIterator]() as AsyncIterator<T, undefined>;
  }

  #encodeMoved(value: T, list: readonly object[]): Encoded {
    return encodeSend(this.#st.domain, value, list, this.#st.maxValue, tooLarge(this.#st.maxValue));
  }

  #encode(value: T): Encoded {
    const enc = encode(value);
    if (enc.size > this.#st.maxValue) throw new ValueTooLargeError(enc.size, this.#st.maxValue);
    return enc;
  }
}
