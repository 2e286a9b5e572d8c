/**
 * The record the engine keeps for one submitted job, and its life cycle:
 *
 *     BLOCKED --admit--> QUEUED --dequeue--> RUNNING --end--> DONE
 *        |                  |                   |
 *        +---- cancel / drop (settled) ---------+--> DONE
 *
 * - BLOCKED: its submitter waits for queue space, in the engine's FIFO of
 *   blocked submitters (cancelling it leaves a dead entry there, skipped and
 *   compacted away).
 * - QUEUED: it sits in the queue channel. Cancelling it turns it into a
 *   tombstone (state DONE while still in the channel), skipped on dequeue.
 * - RUNNING: a worker owns it (from the hand-off, a microtask before the job
 *   function is called, until the function returns).
 * - DONE: the pool is finished with it.
 *
 * SETTLED is separate from the state: a running job that times out or is
 * cancelled is settled (its promise rejected, its outcome counted) at once,
 * but stays RUNNING until its function returns and the worker is free.
 *
 * @internal
 * @module
 */
import type { JobInfo, JobKind, JobOutcome } from "./metrics.js";
import type { JobFunction } from "./options.js";

export const BLOCKED = 0;
export const QUEUED = 1;
export const RUNNING = 2;
export const DONE = 3;

type Resolve = (value: unknown) => void;
type Reject = (reason: unknown) => void;

/** What a job needs from the engine that owns it. */
export interface JobHost {
  /** The job's own signal was aborted. */
  cancel(job: Job, reason: unknown): void;
}

/** What a job needs from the group it belongs to. */
export interface JobGroup {
  readonly failFast: boolean;
  /** The job settled: record its result or error. */
  settle(job: Job, ok: boolean, value: unknown): void;
}


/**
 * Creates the promise of a job and keeps only its resolve function: a job
 * record is alive from submit to end, and with 200,000 jobs queued every
 * retained byte is paid for by the garbage collector. A failure resolves the
 * promise with a {@link Failure} thenable, which rejects it.
 */
export function promiseFor<R>(job: Job): Promise<R> {
  // An inline executor: V8 inlines it into the Promise constructor, measurably
  // faster on Node 20 than a shared executor writing module variables.
  return new Promise<R>((resolve) => {
    job.resolve = resolve as Resolve;
  });
}

/**
 * A thenable that rejects whoever adopts it: `resolve(new Failure(e))` rejects
 * a promise with `e` (two microtasks later than `reject(e)` would), without
 * keeping the reject function around and without an unhandled rejected promise.
 */
export class Failure {
  private readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
  then(_resolve: unknown, reject: Reject): void {
    reject(this.error);
  }
}

/** The promise of a group submission that has to wait for queue space. */
export function admission(x: JobExtras): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    x.admitted = resolve as Resolve;
    x.refused = reject as Reject;
  });
}

/**
 * Job.bits packs what a job is into one small integer, to keep the record
 * small: the state in bits 0-1, the kind in bits 2-3, then two booleans.
 */
export const STATE = 3;
export const KIND_SUBMIT = 0 << 2;
export const KIND_GO = 1 << 2;
export const KIND_GROUP = 2 << 2;
export const KIND = 3 << 2;
/** The outcome has been decided and reported (promise settled, counter added). */
export const SETTLED = 16;
/** The job function has been called. */
export const STARTED = 32;

const KINDS: readonly JobKind[] = ["submit", "go", "group"];

/**
 * What only some jobs need: a signal or timeout, a group submission waiting
 * for queue space, an outcome decided before the job function returned. Kept apart so that the common job (no
 * options) stays small: with 200,000 jobs queued at once, the size of the job
 * record is what the garbage collector pays for.
 */
export class JobExtras {
  readonly host: JobHost;
  /** The caller's signal (watched while the job is alive; null once it is not). */
  signal: AbortSignal | null = null;
  /** Milliseconds from start, or Infinity. */
  timeout = Infinity;
  /** The job's own controller, when it has a signal or a timeout. */
  ctl: AbortController | null = null;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** The group.submit promise, while the job waits for queue space. */
  admitted: Resolve | null = null;
  refused: Reject | null = null;
  /** Outcome and error decided while the job was still running (for its end event). */
  outcome: JobOutcome = "succeeded";
  error: unknown = undefined;

  constructor(host: JobHost) {
    this.host = host;
  }
}

/**
 * One submitted job. Five fields: with 200,000 jobs queued at once, every
 * byte of this record is copied by the garbage collector's scavenges.
 */
export class Job implements JobInfo {
  readonly id: number;
  /** State, kind and flags: see STATE, KIND, SETTLED, STARTED. */
  bits: number;
  fn: JobFunction<unknown> | null;
  /** Resolves the job's promise (submit/trySubmit); see promiseFor. */
  resolve: Resolve | null = null;
  x: JobExtras | null = null;

  constructor(id: number, kind: number, fn: JobFunction<unknown>) {
    this.id = id;
    this.bits = kind | BLOCKED;
    this.fn = fn;
  }

  get state(): number {
    return this.bits & STATE;
  }

  set state(state: number) {
    this.bits = (this.bits & ~STATE) | state;
  }

  get kind(): JobKind {
    return KINDS[(this.bits & KIND) >> 2] as JobKind;
  }

  /** The job's public view, for logging a JobInfo. */
  toJSON(): JobInfo {
    return { id: this.id, kind: this.kind };
  }

  /** util.inspect (console.log) shows the public view only. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Job { id: ${this.id}, kind: '${this.kind}' }`;
  }
}

/** A job of a group: it knows where its result goes. */
export class GroupJob extends Job {
  readonly group: JobGroup;
  /** Position in its group (submission order). */
  readonly index: number;

  constructor(id: number, fn: JobFunction<unknown>, group: JobGroup, index: number) {
    super(id, KIND_GROUP, fn);
    this.group = group;
    this.index = index;
  }
}
