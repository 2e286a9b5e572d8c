/**
 * The hooks through which `run()` learns which operations are blocked and
 * starts {@link go} tasks, so that it can report Go's "all goroutines are
 * asleep - deadlock!" with each blocked operation and where its task was created.
 *
 * While no hook is installed (the default) parking an operation or spawning a
 * task costs one null check: tracking costs nothing unless `run()` enables it.
 *
 * @internal
 * @module
 */

// First statement: the module comment above attaches here, not to `BlockedKind`,
// which stripInternal would otherwise drop from the published declarations
// (trace.d.ts is reachable from run.d.ts, and would name a missing type).
const hooks: { hook: TraceHook | null; tasks: TaskHook | null } = { hook: null, tasks: null };

/** What kind of operation is parked. */
export type BlockedKind = "send" | "recv" | "select";

/** One blocked operation, as a hook reports it. */
export interface BlockedOp {
  readonly kind: BlockedKind;
  /** The channel (for a select: its cases). */
  readonly target: unknown;
  /** Where the operation started, if that was captured. */
  readonly site: Error | null;
}

/** A parked operation (a waiter, a select): the hook keeps its record of it here. */
export interface Traced {
  traced: object | null;
}

/**
 * Receives park/unpark events for every blocking operation. The hook keeps its
 * record in `op.traced`, so tracking needs no map lookup.
 */
export interface TraceHook {
  /**
   * A plain operation parking on a channel whose `_seen` equals this, while
   * {@link TraceHook.due} is false, is one the hook already knows how to find:
   * the channel operations skip the call to `park` for it, so that in the
   * common case the hook costs them a few loads and compares, and its body
   * none of V8's inlining budget. A hook that wants every park says -1 (a
   * channel's `_seen` is never negative). A select still calls `park`: doing
   * the same check in select() (its first channel's stamp, with its cases
   * stored there) gained nothing under run(): 427 against 435 ns a request on
   * the stateful goroutine, 719 against 732 ns a job on the seed's dispatcher
   * (CPU, fastest of 6 fresh processes alternating, 2 December 2026). An
   * earlier reading of ~30% slower was taken when the bench warmed up for one
   * run, and a compaction still deoptimized select (parked-chans.ts).
   */
  readonly stamp: number;
  /** Whether the hook wants the next park whatever its channel (a call site is due). */
  readonly due: boolean;
  /** `op` parked; `target` is the channel (or the cases of a select). */
  park(op: Traced, kind: BlockedKind, target: unknown): void;
  /**
   * `op`, whose `traced` the hook set when it parked, completed, failed or was
   * aborted. Never called for an operation whose `traced` is null: a hook that
   * keeps no record of an operation pays nothing when it completes.
   */
  unpark(op: Traced): void;
}

/** Starts {@link go} tasks in place of go()'s own start. */
export interface TaskHook {
  /**
   * Whether this spawn is recorded: its call site, or null (go() starts the
   * task itself). Asked first, so an unrecorded spawn costs no array of its
   * arguments.
   */
  sample(): Error | null;
  /** Starts `fn(...args)` as a recorded task created at `site` (from `sample`), on a later microtask. */
  spawn<A extends unknown[]>(fn: (...args: A) => unknown, args: A, site: Error): void;
}

/** The installed hooks, or null. */
export const trace: { hook: TraceHook | null; tasks: TaskHook | null } = hooks;
