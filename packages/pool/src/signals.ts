/**
 * The signals of jobs: the caller's signals the engine watches, and the
 * signal a job receives.
 *
 * A job's signal aborts only for that job's own reasons: its `signal`, its
 * `timeout`, its fail-fast group failing, the pool's `signal`. A job with a
 * signal or timeout of its own, or in a pool with a signal, gets an
 * AbortController of its own when it starts. Making one costs about 4.5 us on
 * Node 20 (the AbortSignal, not the controller, is the expensive part), some
 * ten times a trivial job, so the others do not: a job of a fail-fast group
 * gets its group's signal (aborted exactly when the group fails, a reason
 * every job of the group shares), and a job that nothing can cancel gets the
 * engine's quiet signal: one signal that never aborts. A listener added to it
 * could never run, so it is not kept: job after job may listen on it without
 * anything piling up, and there is no other job it could be aborted for.
 *
 * @internal
 * @module
 */
import type { Job } from "./job.js";

/** Cancels jobs whose signal aborted. */
export interface Canceller {
  cancelAll(jobs: readonly Job[], reason: unknown): void;
}

/**
 * The caller signals being watched: one abort listener per distinct signal,
 * shared by all the live jobs using it (a request's signal given to 1,000
 * jobs adds one listener, not 1,000, which would also trip Node's
 * MaxListenersExceededWarning).
 */
export class Watches {
  private readonly bySignal = new Map<AbortSignal, Watch>();
  private readonly canceller: Canceller;

  constructor(canceller: Canceller) {
    this.canceller = canceller;
  }

  add(job: Job, signal: AbortSignal): void {
    let watch = this.bySignal.get(signal);
    if (watch === undefined) {
      watch = new Watch(this, signal);
      this.bySignal.set(signal, watch);
      signal.addEventListener("abort", watch);
    }
    watch.jobs.add(job);
  }

  /** Stops watching `signal` for the job (it is settled, or has finished). */
  remove(job: Job, signal: AbortSignal): void {
    const watch = this.bySignal.get(signal);
    if (watch === undefined) return;
    watch.jobs.delete(job);
    if (watch.jobs.size === 0) this.drop(watch);
  }

  drop(watch: Watch): void {
    watch.signal.removeEventListener("abort", watch);
    this.bySignal.delete(watch.signal);
  }

  /** A watched signal aborted: its jobs are cancelled, after the watch is gone. */
  fire(watch: Watch): void {
    this.drop(watch);
    const jobs = [...watch.jobs];
    watch.jobs.clear();
    this.canceller.cancelAll(jobs, watch.signal.reason);
  }
}

/** The abort listener of one caller signal, and the live jobs that use it. */
class Watch {
  readonly jobs = new Set<Job>();
  readonly watches: Watches;
  readonly signal: AbortSignal;
  constructor(watches: Watches, signal: AbortSignal) {
    this.watches = watches;
    this.signal = signal;
  }
  handleEvent(): void {
    this.watches.fire(this);
  }
}

function ignore(): void {}

/**
 * A signal that never aborts and keeps no listener (a listener on it could
 * never run). It is a real AbortSignal, so `fetch`, `AbortSignal.any` and
 * `throwIfAborted` accept it.
 */
export function quietSignal(): AbortSignal {
  const signal = new AbortController().signal;
  Object.defineProperty(signal, "addEventListener", { value: ignore, configurable: true, writable: true });
  Object.defineProperty(signal, "removeEventListener", { value: ignore, configurable: true, writable: true });
  Object.defineProperty(signal, "onabort", { get: () => null, set: ignore, configurable: true });
  return signal;
}
