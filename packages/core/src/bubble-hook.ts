/**
 * The one hook through which a synctest bubble (`@gochan/core/testing`) sees
 * core: which bubble is running now, its virtual clock and timers, its tasks
 * and its choices.
 *
 * JavaScript has no goroutine identity, so "which bubble does this operation
 * belong to" cannot be asked of the running task. Instead one bubble at a time
 * is *current* for as long as it runs: every channel, timer and context made
 * meanwhile is stamped with it, and an operation must come from the bubble its
 * channel was stamped with (both are null outside any bubble). So code that
 * never uses a bubble pays one compare of two nulls per operation.
 *
 * @internal
 * @module
 */
import type { WaiterQueue } from "./waiter.js";

/** A virtual timer's owner: the bubble calls `fire` when virtual time reaches it. */
export interface VirtualTimer {
  fire(): void;
}

/** What core asks of the running bubble. */
export interface BubbleHook {
  /** The bubble's virtual clock, in epoch milliseconds. */
  now(): number;
  /** Arms `timer` to fire `ms` (finite, >= 0) from the virtual now, replacing any pending arming. */
  arm(timer: VirtualTimer, ms: number): void;
  /** Disarms `timer` if it is pending. */
  disarm(timer: VirtualTimer): void;
  /** Select's random source inside the bubble: a float in [0, 1). */
  random(): number;
  /** A `go()` task was started; returns the token to hand to `exited`. */
  spawned(site: Error | null): object;
  /** A `go()` task returned or settled; `failed` with its error if it threw or rejected. */
  exited(task: object, failed: boolean, error: unknown): void;
  /** `close()` is about to wake the waiters of `queue`: the bubble may reorder them. */
  reorder(queue: WaiterQueue): void;
}

/**
 * The nil channel's stamp: a bubble that never runs. The nil channel belongs
 * to every bubble and to none, and stamping it with a bubble that is never
 * current lets a channel operation ask "nil, or not this bubble's?" with the
 * one compare it used to spend on "nil?". Its methods are never called.
 */
export const NIL_BUBBLE: BubbleHook = {
  now: () => Date.now(),
  arm: () => {},
  disarm: () => {},
  random: () => 0,
  spawned: () => NIL_BUBBLE,
  exited: () => {},
  reorder: () => {},
};

/** The running bubble, or null (outside any bubble). */
export let currentBubble: BubbleHook | null = null;

/** Makes `bubble` the running one (null: none). Only the testing entry calls this. */
export function setCurrentBubble(bubble: BubbleHook | null): void {
  currentBubble = bubble;
}
