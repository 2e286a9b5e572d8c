/**
 * The lock word of a shared channel: a three-state futex mutex (0 free,
 * 1 locked, 2 locked with sleepers). Critical sections are a few hundred
 * nanoseconds of bookkeeping and never await, so a short spin usually wins;
 * after that a thread sleeps with `Atomics.wait` where the platform allows it
 * (Node's main thread and every worker; not a browser's main thread, which
 * keeps spinning).
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

/** Releases the lock at `i32[at]`, waking one sleeper if there may be one. */
export function unlock(i32: Int32Array, at: number): void {
  if (Atomics.sub(i32, at, 1) !== 1) {
    Atomics.store(i32, at, 0);
    Atomics.notify(i32, at, 1);
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
