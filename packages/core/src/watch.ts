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

const nativeThen = Promise.prototype.then;
let created = 0;

/** How many promise watches have been created: a select polls again if this moved. */
export function watchCreated(): number {
  return created;
}

/**
 * The watch of `c` if it is a promise or thenable, else null. The first time,
 * this reads `c.then` once (for a foreign thenable a getter, user code) and
 * subscribes; afterwards it is a WeakMap lookup that runs no user code.
 */
export function watchThenable(c: unknown): Watch | null {
  if (!((typeof c === "object" && c !== null) || typeof c === "function")) return null;
  const w = watches.get(c);
  if (w !== undefined) return w;
  const then = (c as { then?: unknown }).then;
  if (typeof then !== "function") return null;
  const watch = new Watch();
  watches.set(c, watch);
  created++;
  // A native promise is watched directly. A foreign thenable is adopted as
  // Promise.resolve would, but through the `then` already read: reading it
  // again could give another answer.
  const adopted =
    then === nativeThen && c instanceof Promise
      ? c
      : Promise.resolve({ then: (f: (v: unknown) => void, r: (e: unknown) => void) => then.call(c, f, r) });
  nativeThen.call(
    adopted,
    (v: unknown) => watch.settle(FULFILLED, v),
    (e: unknown) => watch.settle(REJECTED, e),
  );
  return watch;
}

/** The watch of promise case `p` (already known to be a thenable). */
export function watchPromise(p: PromiseLike<unknown>): Watch {
  return watchThenable(p) as Watch;
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
