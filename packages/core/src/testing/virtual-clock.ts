/**
 * A bubble's virtual clock and the timers armed on it.
 *
 * The clock never moves by itself: the bubble calls {@link VirtualClock.advance}
 * once every task is blocked, and the clock jumps straight to the earliest
 * pending timer and fires every timer due at that instant. Timers due at the
 * same instant fire in an order the bubble's {@link Choices} pick (in arming
 * order by default).
 *
 * Finding the next timer scans the pending ones: it happens once per advance,
 * never per channel operation, and a test rarely has more than a few timers.
 *
 * @internal
 * @module
 */
import type { VirtualTimer } from "../bubble-hook.js";
import type { Choices } from "./choices.js";

/** One arming of a timer: replaced, not mutated, when the timer is re-armed. */
interface Arming {
  readonly at: number;
}

export class VirtualClock {
  #now: number;
  /** Pending timers in arming order (a Map keeps insertion order). */
  readonly #pending = new Map<VirtualTimer, Arming>();
  /** Set once the bubble has ended: nothing arms any more. */
  #stopped = false;

  constructor(start: number) {
    this.#now = start;
  }

  /** The virtual time, in epoch milliseconds. */
  now(): number {
    return this.#now;
  }

  /** How many timers are pending. */
  get pending(): number {
    return this.#pending.size;
  }

  arm(timer: VirtualTimer, ms: number): void {
    if (this.#stopped) return;
    // Delete first so a re-armed timer moves to the end of the arming order.
    this.#pending.delete(timer);
    this.#pending.set(timer, { at: this.#now + ms });
  }

  disarm(timer: VirtualTimer): void {
    this.#pending.delete(timer);
  }

  /**
   * Moves the clock to the earliest pending timer and fires every timer due
   * then; false if no timer is pending.
   */
  advance(choices: Choices): boolean {
    let at = Infinity;
    for (const a of this.#pending.values()) if (a.at < at) at = a.at;
    if (at === Infinity) return false;
    if (at > this.#now) this.#now = at;
    const due: [VirtualTimer, Arming][] = [];
    for (const entry of this.#pending) if (entry[1].at <= at) due.push(entry);
    while (due.length > 0) {
      const [timer, arming] = due.splice(choices.choose(due.length), 1)[0] as [VirtualTimer, Arming];
      // An earlier timer's callback may have stopped or re-armed this one.
      if (this.#pending.get(timer) !== arming) continue;
      this.#pending.delete(timer);
      timer.fire();
    }
    return true;
  }

  /** Disarms every timer for good: the bubble has ended. */
  stop(): void {
    this.#stopped = true;
    this.#pending.clear();
  }
}
