/**
 * One ThreadPool job and its lifecycle: QUEUED (in the pool's queue) ->
 * DISPATCHED (in a thread's channel or running) -> SETTLED. `settle` is the
 * one place a job's promise is settled; it changes the job's state first and
 * calls user code (the promise's reactions run later anyway) last.
 *
 * @module
 */
import type { Encoded } from "./codec.js";
import type { PoolThread } from "./pool-thread.js";
import type { SideValue } from "./side-transfer.js";
import type { JobKind, JobOutcome } from "./thread-events.js";
import type { GroupCore } from "./thread-group.js";

export const QUEUED = 0;
export const DISPATCHED = 1;
export const SETTLED = 2;

export class Job {
  readonly id: number;
  readonly fn: string;
  readonly args: unknown[];
  state = QUEUED;
  /** Its arguments encoded, while it waits in the queue. */
  encoded: Encoded | null = null;
  /** Its arguments, when they hold MessagePorts or the like (side-transfer.ts): held here until its thread asks. */
  side: SideValue | null = null;
  /** Milliseconds from hand-off, if it has a timeout. */
  timeout: number | undefined = undefined;
  /** Control slot in its thread while dispatched, else -1. */
  slot = -1;
  thread: PoolThread | null = null;
  timer: ReturnType<typeof setTimeout> | null = null;
  signal: AbortSignal | null = null;
  onAbort: (() => void) | null = null;
  // What the API layer needs (thread-events.ts, thread-group.ts):
  kind: JobKind = "submit";
  /** Whether its thread called the job function (known once it reported, crashed or was cancelled running). */
  started = false;
  /** Its start event was queued (a job handed to a thread again, after its thread was terminated, has one). */
  announced = false;
  /** Its group and its index there, for a group job. */
  group: GroupCore | null = null;
  index = 0;
  /** How it ended, and its error, once settled. */
  outcome: JobOutcome | null = null;
  error: unknown = undefined;
  private readonly resolve: (v: unknown) => void;
  private readonly reject: (e: unknown) => void;

  constructor(id: number, fn: string, args: unknown[], resolve: (v: unknown) => void, reject: (e: unknown) => void) {
    this.id = id;
    this.fn = fn;
    this.args = args;
    this.resolve = resolve;
    this.reject = reject;
  }

  /** Settles the job once; false if it was settled already. */
  settle(ok: boolean, value: unknown): boolean {
    if (this.state === SETTLED) return false;
    this.state = SETTLED;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.signal !== null && this.onAbort !== null) this.signal.removeEventListener("abort", this.onAbort);
    this.signal = null;
    this.onAbort = null;
    if (ok) this.resolve(value);
    else this.reject(value);
    return true;
  }
}
