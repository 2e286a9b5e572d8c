/**
 * The waiter (Go's "sudog") and the waiter queue.
 *
 * A waiter is one parked operation: a blocked send, a blocked receive, or one
 * case of a blocked select. It sits in at most one queue at a time and knows that
 * queue, so removing it (abort, or a select withdrawing its other cases) is O(1).
 *
 * Invariant: a waiter is linked into a queue if and only if it is still live. It
 * is unlinked *before* it is completed, so no channel ever sees a waiter whose
 * operation has already committed, and a later close cannot reinterpret it.
 *
 * One exception, and how it is made safe: a case of an external select (one
 * implemented outside core, see external-select.ts) may be committed elsewhere,
 * on another thread, that cannot unlink it from this thread's queues. Such a
 * waiter stays linked until its select withdraws it, and *declines* when it is
 * completed: `complete` and `fail` return false, and the channel operation
 * that unlinked it goes on to the next waiter as if it had never been there.
 * Core's own waiters never decline.
 *
 * @internal
 * @module
 */
// stripInternal drops the first statement with the module comment: keep it one
// the declarations do not need.
import { listen, unlisten } from "./abort-list.js";
import type { Abortable } from "./abort-list.js";
import { wake } from "./scheduling.js";
import { trace } from "./trace.js";

/** How a completed plain (non-select) waiter resolves its promise. */
export const MODE_VOID = 0; // send: resolves undefined
export const MODE_VALUE = 1; // recv: resolves the value (zero when closed)
export const MODE_OK = 2; // recvOk: resolves { value, ok }
export const MODE_ITER = 3; // async iterator: resolves { value, done }
export const MODE_SELECT = 4; // a select case: its Selector settles the select

/** A comma-ok receive that got a value from a send. */
export interface ReceivedValue<T> {
  /** The value a sender sent. */
  value: T;
  /** True: a send delivered this value. */
  ok: true;
}

/** A comma-ok receive from a closed, drained channel. */
export interface ReceivedZero<Z> {
  /** The channel's zero value (see `ChanOptions.zero`). */
  value: Z;
  /** False: the channel is closed and drained. */
  ok: false;
}

/**
 * The result of a comma-ok receive, Go's `v, ok := <-ch`: discriminated by `ok`.
 *
 * @example
 * ```ts
 * import { Chan } from "@gochan/core";
 * const ch = new Chan<number>(1);
 * await ch.send(5);
 * const r = await ch.recvOk();
 * if (r.ok) console.log(r.value * 2); // r.value: number
 * ```
 */
export type Received<T, Z = undefined> = ReceivedValue<T> | ReceivedZero<Z>;

/**
 * The select a case waiter belongs to. Both methods return whether the case
 * committed: core's own selects always do; an external select declines (false)
 * a case it has already committed elsewhere (see external-select.ts).
 */
export interface Selector {
  /** The case of waiter `w` commits with (value, ok), unless declined. */
  fire(w: Waiter, value: unknown, ok: boolean): boolean;
  /** The case of waiter `w` commits by failing (send on a closed channel, a rejected promise), unless declined. */
  fail(w: Waiter, error: unknown): boolean;
}

type Resolve = (value: unknown) => void;
type Reject = (reason: unknown) => void;

/**
 * Creates a native promise and stores its resolvers in `into` (a waiter or a
 * select). The executor is an inline arrow: measured on Node 20, V8 inlines it
 * into the Promise constructor and this is ~13% faster per parked operation than
 * a shared module-level executor writing to module variables.
 */
export function promiseFor<R>(into: { resolve: Resolve | null; reject: Reject | null }): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    into.resolve = resolve as Resolve;
    into.reject = reject;
  });
}

/** Shapes a completed receive for the caller's mode. */
export function shape(mode: number, value: unknown, ok: boolean): unknown {
  switch (mode) {
    case MODE_VALUE:
      return value;
    case MODE_OK:
      return { value, ok };
    case MODE_ITER:
      return ok ? { value, done: false } : { value: undefined, done: true };
    default:
      return undefined;
  }
}

export class Waiter implements Abortable {
  prev: Waiter | null = null;
  next: Waiter | null = null;
  /** The queue this waiter is linked into, or null. */
  queue: WaiterQueue | null = null;
  /** For a send: the value offered. */
  value: unknown;
  mode: number;
  resolve: Resolve | null = null;
  reject: Reject | null = null;
  /** Set when this waiter is one case of a select. */
  sel: Selector | null;
  /** The select case index. */
  index: number;
  /** Its link in the abort list of the signal this plain waiter listens to. */
  alink: Abortable["alink"] = null;
  /** The trace hook's record of this parked operation (see trace.ts). */
  traced: object | null = null;

  constructor(mode: number, value: unknown, sel: Selector | null, index: number) {
    this.mode = mode;
    this.value = value;
    this.sel = sel;
    this.index = index;
  }

  /**
   * The operation commits successfully: deliver (value, ok). False only if the
   * waiter declined (an external select's case that committed elsewhere): the
   * caller then goes on as if this waiter had not been queued.
   */
  complete(value: unknown, ok: boolean): boolean {
    if (this.sel !== null) return this.sel.fire(this, value, ok);
    this.settle();
    wake(this.resolve as Resolve, shape(this.mode, value, ok));
    return true;
  }

  /** The operation commits by failing (a blocked sender on close); false if declined, as for `complete`. */
  fail(error: unknown): boolean {
    if (this.sel !== null) return this.sel.fail(this, error);
    this.settle();
    wake(this.reject as Reject, error);
    return true;
  }

  /** Listens for abort on `signal`, sharing the signal's one listener. */
  listen(signal: AbortSignal): void {
    listen(signal, this);
  }

  /** Abort: withdraw without trace, then reject with the signal's reason. */
  aborted(reason: unknown): void {
    if (this.queue !== null) this.queue.remove(this);
    this.settle();
    wake(this.reject as Reject, reason);
  }

  private settle(): void {
    if (this.alink !== null) unlisten(this);
    // Only a hook that kept a record in `traced` has anything to undo.
    if (this.traced !== null && trace.hook !== null) trace.hook.unpark(this);
  }
}

/** FIFO of waiters: O(1) push, shift and removal of any member. */
export class WaiterQueue {
  head: Waiter | null = null;
  tail: Waiter | null = null;
  size = 0;

  push(w: Waiter): void {
    w.queue = this;
    w.next = null;
    w.prev = this.tail;
    if (this.tail === null) this.head = w;
    else this.tail.next = w;
    this.tail = w;
    this.size++;
  }

  /** Unlinks and returns the oldest waiter, or null. */
  shift(): Waiter | null {
    const w = this.head;
    if (w === null) return null;
    this.head = w.next;
    if (this.head === null) this.tail = null;
    else this.head.prev = null;
    w.next = null;
    w.queue = null;
    this.size--;
    return w;
  }

  remove(w: Waiter): void {
    if (w.queue !== this) return;
    if (w.prev === null) this.head = w.next;
    else w.prev.next = w.next;
    if (w.next === null) this.tail = w.prev;
    else w.next.prev = w.prev;
    w.prev = null;
    w.next = null;
    w.queue = null;
    this.size--;
  }
}
