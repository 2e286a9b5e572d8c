/**
 * Watches for the promises and AbortSignals used as select cases.
 *
 * A select loop typically passes the same promise (a shutdown promise, a timeout)
 * on every iteration. Attaching a `then` per iteration would add a reaction to a
 * promise that may never settle, so memory grows with every iteration (the known
 * leak of Promise.race-based selects). Instead each promise or signal is watched
 * once, through a WeakMap, and a select parks a waiter in the watch's queue and
 * unlinks it in O(1) when another case fires: a loop stays flat in memory.
 *
 * @internal
 * @module
 */
import type { Waiter } from "./waiter.js";
import { WaiterQueue } from "./waiter.js";

export const PENDING = 0;
export const FULFILLED = 1;
export const REJECTED = 2;

export class Watch {
  state = PENDING;
  value: unknown = undefined;
  readonly waiters = new WaiterQueue();

  settle(state: number, value: unknown): void {
    if (this.state !== PENDING) return;
    this.state = state;
    this.value = value;
    let w: Waiter | null;
    while ((w = this.waiters.shift()) !== null) {
      if (state === FULFILLED) w.complete(value, true);
      else w.fail(value);
    }
  }

  /** AbortSignal listener: the signal "sends" its reason. */
  handleEvent(event: Event): void {
    this.settle(FULFILLED, (event.target as AbortSignal).reason);
  }
}

const watches = new WeakMap<object, Watch>();

export function watchPromise(p: PromiseLike<unknown>): Watch {
  let w = watches.get(p);
  if (w === undefined) {
    const watch = new Watch();
    watches.set(p, watch);
    // Promise.resolve adopts foreign thenables safely (their `then` runs later).
    Promise.resolve(p).then(
      (v) => watch.settle(FULFILLED, v),
      (e: unknown) => watch.settle(REJECTED, e),
    );
    w = watch;
  }
  return w;
}

export function watchSignal(s: AbortSignal): Watch {
  let w = watches.get(s);
  if (w === undefined) {
    w = new Watch();
    watches.set(s, w);
    if (s.aborted) w.settle(FULFILLED, s.reason);
    else s.addEventListener("abort", w, { once: true });
  }
  return w;
}
