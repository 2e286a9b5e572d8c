/**
 * Running an operation: the synchronous poll under all locks, and parking if
 * nothing is ready. Shared by the channel methods and select.
 *
 * @module
 */
import type { ChanState } from "./chan-state.js";
import { attempt, lockAll, NONE, Op, unlockAll, type OpCase, type OpResult } from "./op.js";

/** Polls and commits without waiting: a result, or NONE (Go's `default`). */
export function tryRun(cases: readonly OpCase[], chans: readonly ChanState[]): OpResult {
  lockAll(chans);
  try {
    return attempt(cases, null);
  } finally {
    unlockAll(chans);
  }
}

/**
 * Polls and commits, or parks until a case commits. Throws synchronously only
 * for what the caller turns into a rejection.
 */
export function run(
  cases: readonly OpCase[],
  chans: readonly ChanState[],
  signal: AbortSignal | null,
  holds = true,
): OpResult | Promise<OpResult> {
  let op: Op;
  lockAll(chans);
  try {
    const r = attempt(cases, null);
    if (r !== NONE) return r;
    op = new Op(cases, chans, signal, holds);
    op.register();
  } finally {
    unlockAll(chans);
  }
  return op.wait();
}
