/**
 * The hook through which `run()` learns which operations are blocked, so that it
 * can report Go's "all goroutines are asleep - deadlock!" with each of them.
 *
 * While no hook is installed (the default) parking an operation costs one null
 * check: blocked-operation tracking costs nothing unless enabled.
 *
 * @internal
 * @module
 */

/** What kind of operation is parked. */
export type BlockedKind = "send" | "recv" | "select";

/** Receives park/unpark events for every blocking operation. */
export interface TraceHook {
  /** `op` parked; `target` is the channel (or the cases of a select). */
  park(op: object, kind: BlockedKind, target: unknown): void;
  /** `op` completed, failed or was aborted. */
  unpark(op: object): void;
}

/** The installed hook, or null. */
export const trace: { hook: TraceHook | null } = { hook: null };
