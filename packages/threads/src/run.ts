/**
 * Running an operation: the synchronous poll under all locks, and parking if
 * nothing is ready. Shared by the channel methods and select.
 *
 * @module
 */
import type { ChanState } from "./chan-state.js";
import { attempt, C_RECV, lockAll, NONE, Op, unlockAll, type OpCase, type OpResult } from "./op.js";
import { tryRefused } from "./port-hub.js";

/**
 * Polls and commits without waiting: a result, or NONE (Go's `default`).
 * Refuses, taking nothing, if a receive case's channel offers a value whose
 * ports were moved (a try operation cannot wait for them; port-hub.ts).
 */
export function tryRun(cases: readonly OpCase[], chans: readonly ChanState[]): OpResult {
  let ticket = false;
  lockAll(chans);
  try {
    for (let i = 0; i < cases.length && !ticket; i++) if (cases[i]!.kind === C_RECV && (cases[i]!.st as ChanState).frontIsTicket()) ticket = true;
    if (!ticket) return attempt(cases, null);
  } finally {
    unlockAll(chans);
  }
  throw tryRefused("trySelect");
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
