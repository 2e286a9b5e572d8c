/**
 * A job's life cycle, and the one function that settles a job.
 *
 *     NEW --accept--> BLOCKED --admit--> QUEUED --hand-off--> RUNNING --return--> DONE
 *      |                 |                  |                    |
 *      +-----------------+------------------+--- settle ---------+--------------> DONE
 *
 * - NEW: made and validated, not yet in any structure (a refused `trySubmit`,
 *   or a submit whose signal was already aborted, settles from here).
 * - BLOCKED: in the engine's line of blocked submitters. Settling it leaves a
 *   dead entry there, skipped and compacted away.
 * - QUEUED: in the queue channel. Settling it leaves a tombstone there,
 *   skipped on dequeue.
 * - RUNNING: a worker owns it, from the hand-off until the function returns.
 *   The function is called right after the hand-off, inside the submitting
 *   call, when the job met a free worker there (see engine.ts, "Starting
 *   inside submit"); otherwise a microtask or a fairness turn later, and a
 *   job settled in between is never called. Settling it early (its
 *   timeout, a cancel) does not free the worker: the job stays RUNNING until
 *   its function returns, and its end event comes then.
 * - DONE: the pool is finished with it.
 *
 * SETTLED is a flag beside the state: the outcome is decided. {@link settle}
 * is the only place that sets it, and the only place that counts an outcome,
 * settles a promise, records a group result or reports an error. It runs in
 * two steps:
 *
 * 1. State: set SETTLED (so nothing can settle the job again), count the
 *    outcome, take the job out of the engine's structures (line, queue,
 *    signal watch, timer) and record it in its group. No user code runs here.
 * 2. Call out: abort the job's own signal (if it is running: its listeners
 *    run now), emit its end event (unless it is still running), then settle
 *    its promise, let its group react (a fail-fast group cancels its other
 *    jobs), or report a `go()` job's error.
 *
 * Any of the calls in step 2 may re-enter the pool (abort the pool's signal,
 * cancel other jobs, stop, resize, submit): by then this job is settled and
 * every count is final, so a re-entrant call sees a consistent engine and
 * cannot settle this job twice.
 *
 * @internal
 * @module
 */
import {
  Failure,
  GroupJob,
  Job,
  KIND,
  KIND_GROUP,
  KIND_SUBMIT,
  RUNNING,
  SETTLED,
  STARTED,
  type JobHost,
} from "./job.js";
import { extras } from "./job.js";
import type { JobOutcome } from "./metrics.js";
import type { OwnSignal } from "./signals.js";

/** The outcome counters of a pool (metrics' counters besides `submitted`). */
export class Outcomes {
  submitted = 0;
  succeeded = 0;
  failed = 0;
  cancelled = 0;
  dropped = 0;
}

/** What settling a job needs from its engine. */
export interface SettleHost extends JobHost {
  readonly outcomes: Outcomes;
  /** Takes the job out of the line, the queue, its signal watch and its timer. State only. */
  unlink(job: Job): void;
  /** Emits the job's end event, if there is an onEvent hook. */
  ended(job: Job, outcome: JobOutcome, error: unknown): void;
  /** Reports a failed `go()` job's error (onError, or an uncaught exception). */
  report(error: unknown, job: Job): void;
}

/**
 * Settles a job: the one place a job's outcome is decided. Does nothing if the
 * job is already settled. See the module notes for the two steps.
 */
export function settle(host: SettleHost, job: Job, outcome: JobOutcome, value: unknown): void {
  if ((job.bits & SETTLED) !== 0) return;
  // 1. State.
  job.bits |= SETTLED;
  const counts = host.outcomes;
  if (outcome === "succeeded") counts.succeeded++;
  else if (outcome === "failed") counts.failed++;
  else if (outcome === "cancelled") counts.cancelled++;
  else counts.dropped++;
  const running = job.state === RUNNING;
  host.unlink(job);
  let ctl: OwnSignal | null = null;
  if (running) {
    // Settled before its function returned (timeout, cancel): remembered for
    // the end event that comes when the worker is free.
    const x = extras(job, host);
    x.outcome = outcome;
    x.error = value;
    if ((job.bits & STARTED) !== 0) ctl = x.ctl;
  }
  const kind = job.bits & KIND;
  const group = kind === KIND_GROUP ? (job as GroupJob).group : null;
  const first = group !== null ? group.record(job as GroupJob, outcome, value) : false;
  const ok = outcome === "succeeded";

  // 2. Call out.
  if (ctl !== null) ctl.abort(value);
  if (!running) host.ended(job, outcome, ok ? undefined : value);
  if (kind === KIND_SUBMIT) {
    const resolve = job.resolve;
    job.resolve = null;
    if (resolve !== null) resolve(ok ? value : new Failure(value));
  } else if (group !== null) {
    const refused = job.resolve;
    if (refused !== null) {
      // Its group.submit was still waiting for queue space: it never got there.
      job.resolve = null;
      refused(new Failure(value));
    }
    group.announce(first, outcome, value);
  } else if (outcome === "failed") {
    host.report(value, job);
  }
}
