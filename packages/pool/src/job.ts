/**
 * The record the engine keeps for one submitted job. Its life cycle (the
 * transitions, and the one function that settles a job) is in lifecycle.ts.
 *
 * @internal
 * @module
 */
import type { Timer } from "@gochan/core";
import type { JobInfo, JobKind, JobOutcome } from "./metrics.js";
import type { JobFunction } from "./options.js";
import type { OwnSignal } from "./signals.js";

/** Made, not yet accepted (or refused before it was). */
export const NEW = 0;
/** Its submitter waits for queue space, in the engine's line of blocked submitters. */
export const BLOCKED = 1;
/** In the queue channel. */
export const QUEUED = 2;
/** A worker owns it: from the hand-off until the job function returns. */
export const RUNNING = 3;
/** The pool is finished with it (a dead entry if still in the line or the queue). */
export const DONE = 4;

type Resolve = (value: unknown) => void;
type Reject = (reason: unknown) => void;

/** What a job's extras need from the engine that owns the job. */
export interface JobHost {
  /** The job's timeout elapsed. */
  timeout(job: Job): void;
}

/**
 * What a job needs from the group it belongs to. Settling a group job is two
 * calls: `record` changes the group's state only (no user code), `announce`
 * runs what follows (the group's signal, cancelling its other jobs, answering
 * `wait()`), after every other structure is consistent.
 */
export interface JobGroup {
  /** Records the job's outcome; true if it is the group's first failure (fail-fast). */
  record(job: GroupJob, outcome: JobOutcome, value: unknown): boolean;
  /** Runs what the outcome calls for; `first` is what `record` returned. */
  announce(first: boolean, outcome: JobOutcome, value: unknown): void;
  /** Whether the group cancels its jobs on its first failure. */
  readonly failFast: boolean;
  /** The group's signal: aborted, with the error, when a fail-fast group fails. */
  signal(): AbortSignal;
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

/**
 * The promise of a group submission that has to wait for queue space. A group
 * job has no result promise, so its `resolve` holds the admission's: resolved
 * when the job enters the queue, resolved with a {@link Failure} (rejected)
 * if it is settled first. In a batch whose producer outruns its workers
 * (I/O-like jobs) nearly every submission waits, so this is the batch's hot
 * path: no extras record, one closure.
 */
export function admission(job: Job): Promise<void> {
  return new Promise<void>((resolve) => {
    job.resolve = resolve as Resolve;
  });
}

/**
 * Job.bits packs what a job is into one small integer, to keep the record
 * small: the state in bits 0-2, the kind in bits 3-4, then two flags.
 */
export const STATE = 7;
export const KIND_SUBMIT = 0 << 3;
export const KIND_GO = 1 << 3;
export const KIND_GROUP = 2 << 3;
export const KIND = 3 << 3;
/** The outcome has been decided (counted, unlinked); set once, before any user code learns of it. */
export const SETTLED = 32;
/** The job has started: its signal exists, its start event was emitted, its function is (about to be) called. */
export const STARTED = 64;

const KINDS: readonly JobKind[] = ["submit", "go", "group"];

/**
 * What only some jobs need: a signal or timeout, its own controller, an
 * outcome decided before the job function returned. Kept apart so that the common job (no options) stays
 * small: with 200,000 jobs queued at once, the size of the job record is what
 * the garbage collector pays for.
 */
export class JobExtras {
  readonly host: JobHost;
  /** The caller's signal (watched while the job is alive; null once it is not). */
  signal: AbortSignal | null = null;
  /** Milliseconds from start, or Infinity. */
  timeout = Infinity;
  /** The job's own signal, from its start while it runs, when something may cancel it (see signals.ts). */
  ctl: OwnSignal | null = null;
  /** The running job's timeout (core's clock, so a synctest bubble makes it virtual). */
  timer: Timer | undefined = undefined;
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
  // The fields are `declare`d and set in the constructor: a field declaration
  // compiles (ES2022) to a define per field on every instance, which for a
  // record made per job costs about 6% of a trivial group job's instructions.
  declare readonly id: number;
  /** State, kind and flags: see STATE, KIND, SETTLED, STARTED. */
  declare bits: number;
  declare fn: JobFunction<unknown> | null;
  /**
   * Resolves the job's promise (submit/trySubmit, see promiseFor), or, for a
   * group job waiting for queue space, its group.submit promise (see admission).
   */
  declare resolve: Resolve | null;
  declare x: JobExtras | null;

  constructor(id: number, kind: number, fn: JobFunction<unknown>) {
    this.id = id;
    this.bits = kind | NEW;
    this.fn = fn;
    this.resolve = null;
    this.x = null;
  }

  get state(): number {
    return this.bits & STATE;
  }

  set state(state: number) {
    this.bits = (this.bits & ~STATE) | state;
  }

  get kind(): JobKind {
    return KINDS[(this.bits & KIND) >> 3] as JobKind;
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
  // Declared, not defined: see Job.
  declare readonly group: JobGroup;
  /** Position in its group (submission order). */
  declare readonly index: number;

  constructor(id: number, fn: JobFunction<unknown>, group: JobGroup, index: number) {
    super(id, KIND_GROUP, fn);
    this.group = group;
    this.index = index;
  }
}

/** The job's extras, made on first need. */
export function extras(job: Job, host: JobHost): JobExtras {
  if (job.x === null) job.x = new JobExtras(host);
  return job.x;
}
