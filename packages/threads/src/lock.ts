/**
 * The lock word of a shared channel: a three-state futex mutex (0 free,
 * 1 locked, 2 locked with sleepers). Critical sections are a few hundred
 * nanoseconds of bookkeeping and never await, so a short spin usually wins;
 * after that a thread sleeps with `Atomics.wait` where the platform allows it
 * (Node's main thread and every worker; not a browser's main thread, which
 * keeps spinning).
 *
 * A thread that commits a parked peer inside a critical section does not wake
 * it there: {@link wakeAfterUnlock} defers the `Atomics.notify` until the
 * lock is released. Notifying is a system call (it posts a task to the
 * peer's event loop), and a peer woken while the lock is still held would
 * first run into it: measured on the unbuffered rendezvous, the waker held the
 * lock through the call and the woken thread slept on it (see docs/threads.md).
 * Every critical section ends in {@link unlock}, so no wake is ever dropped.
 *
 * @module
 */

const SPINS = 100;
let canSleep = true;

/** Takes the lock at `i32[at]`. */
export function lock(i32: Int32Array, at: number): void {
  let c = Atomics.compareExchange(i32, at, 0, 1);
  if (c === 0) return;
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(i32, at) === 0) {
      c = Atomics.compareExchange(i32, at, 0, 1);
      if (c === 0) return;
    }
  }
  if (c !== 2) c = Atomics.exchange(i32, at, 2);
  while (c !== 0) {
    sleep(i32, at);
    c = Atomics.exchange(i32, at, 2);
  }
}

/** Releases the lock at `i32[at]`, waking one sleeper if there may be one, then the deferred wakes. */
export function unlock(i32: Int32Array, at: number): void {
  if (Atomics.sub(i32, at, 1) !== 1) {
    Atomics.store(i32, at, 0);
    Atomics.notify(i32, at, 1);
  }
  if (wakes > 0) flushWakes();
}

// The deferred wakes: word `wakeAt[k]` of `wakeI32[k]`, for k < wakes.
const wakeI32: Int32Array[] = [];
const wakeAt: number[] = [];
let wakes = 0;

/** Notifies the waiters of `i32[at]` once the lock held now is released (the caller holds a lock). */
export function wakeAfterUnlock(i32: Int32Array, at: number): void {
  wakeI32[wakes] = i32;
  wakeAt[wakes] = at;
  wakes++;
}

function flushWakes(): void {
  // Taken one at a time from the end, so a wake recorded meanwhile is not lost.
  while (wakes > 0) {
    wakes--;
    Atomics.notify(wakeI32[wakes] as Int32Array, wakeAt[wakes] as number);
  }
}

function sleep(i32: Int32Array, at: number): void {
  if (canSleep) {
    try {
      Atomics.wait(i32, at, 2, 1);
      return;
    } catch {
      canSleep = false; // a browser's main thread: spin instead
    }
  }
}
