/**
 * A channel that tells its owner when receivers start and stop waiting on it.
 *
 * Timers, tickers and contexts use it to decide whether their host timer should
 * keep a Node process alive: referenced exactly while some receive (plain, a
 * select case, a `for await` loop) is blocked on the channel, unreferenced
 * otherwise. So a program waiting on a timer is never "drained", while a timer
 * nobody waits for does not hold the process open.
 *
 * The owner hears only the 0 -> 1 and 1 -> 0 transitions of the receive queue,
 * so the cost is one compare per push, shift and removal, on these channels only.
 *
 * @internal
 * @module
 */
import { Chan } from "./chan.js";
import { WaiterQueue, type Waiter } from "./waiter.js";

/** Told when a watched channel gains its first or loses its last blocked receiver. */
export interface Watcher {
  /** A receive is now blocked on the channel (there was none). */
  watched(): void;
  /** No receive is blocked on the channel any more. */
  unwatched(): void;
}

/** A waiter queue that reports its empty <-> non-empty transitions. */
class WatchedQueue extends WaiterQueue {
  private readonly owner: Watcher;

  constructor(owner: Watcher) {
    super();
    this.owner = owner;
  }

  override push(w: Waiter): void {
    super.push(w);
    if (this.size === 1) this.owner.watched();
  }

  override shift(): Waiter | null {
    const w = super.shift();
    if (w !== null && this.size === 0) this.owner.unwatched();
    return w;
  }

  override remove(w: Waiter): void {
    if (w.queue !== this) return;
    super.remove(w);
    if (this.size === 0) this.owner.unwatched();
  }
}

/**
 * Makes an unbuffered channel whose receive queue reports to `owner`. The owner
 * must not operate on the channel from inside `watched`/`unwatched` (they run in
 * the middle of a channel operation).
 */
export function watchedChan<T, Z = undefined>(owner: Watcher, name: string): Chan<T, Z> {
  const ch = new Chan<T, Z>(0, { name });
  ch._rq = new WatchedQueue(owner);
  return ch;
}
