/**
 * The signals of jobs: the caller's signals the engine watches, and the
 * signal a job receives.
 *
 * A job's signal aborts only for that job's own reasons: its `signal`, its
 * `timeout`, its fail-fast group failing, the pool's `signal`. Making an
 * AbortSignal costs about 4.5 us on Node 20 (the signal, not its controller,
 * is the expensive part), some ten times a trivial job, so:
 * - a job with a signal or timeout of its own, or in a pool with a signal,
 *   gets a signal of its own ({@link OwnSignal}), but its AbortSignal is made
 *   only when something first uses it (reads a property, adds a listener,
 *   passes it to `fetch` or `AbortSignal.any`). A job that never looks at its
 *   signal costs a small record and a Proxy instead;
 * - a job of a fail-fast group gets its group's signal (aborted exactly when
 *   the group fails, a reason every job of the group shares);
 * - a job that nothing can cancel gets the engine's quiet signal: one signal
 *   that never aborts. A listener added to it could never run, so it is not
 *   kept: job after job may listen on it without anything piling up, and
 *   there is no other job it could be aborted for.
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

/**
 * Whether a Proxy can stand for an AbortSignal on the host `globals` describes.
 * Node's AbortSignal, and Node's APIs that take one (fetch, timers, streams,
 * `AbortSignal.any`), are JavaScript that reads the signal's properties, which
 * the Proxy forwards. Where AbortSignal is native (browsers, Deno, Bun), fetch
 * and friends check an internal slot that a Proxy lacks, so there a job gets
 * its real signal at once: slower, never wrong.
 */
export function proxyStandsIn(globals: object): boolean {
  const g = globals as { process?: { versions?: { node?: unknown; bun?: unknown } }; Deno?: unknown };
  const versions = g.process?.versions;
  return typeof versions?.node === "string" && versions.bun === undefined && g.Deno === undefined;
}

const PROXY_STANDS_IN = proxyStandsIn(globalThis);

/**
 * A job's own signal, made on first use. The job receives a Proxy of this
 * record that stands for the AbortSignal: the first use of the Proxy (any
 * property read or write, `in`, listing its keys) makes the real signal and
 * from then on every operation goes to it, so the job sees an ordinary
 * AbortSignal (`instanceof AbortSignal`, its listeners and `onabort`,
 * `throwIfAborted`, Node's APIs that take a signal, `AbortSignal.any`).
 *
 * - Aborting before first use records the reason; the signal is then made
 *   already aborted, with that reason (no listener can exist to miss it).
 * - The record belongs to one job. The engine aborts it only while that job
 *   runs, so a signal kept (or first looked at) after its job finished never
 *   aborts. A Proxy kept without being used makes nothing until it is used.
 */
export class OwnSignal {
  /** The controller of the real signal, once made. */
  private ctl: AbortController | null = null;
  private aborted = false;
  private reason: unknown = undefined;

  /** The signal handed to the job: a Proxy that makes the real one on first use (the real one where a Proxy cannot stand in). */
  lazy(): AbortSignal {
    return PROXY_STANDS_IN ? (new Proxy(this, FORWARD) as unknown as AbortSignal) : this.real();
  }

  /** The real signal, made now if it was not. */
  real(): AbortSignal {
    let ctl = this.ctl;
    if (ctl === null) {
      ctl = this.ctl = new AbortController();
      if (this.aborted) {
        // Before anything could listen: nothing runs.
        ctl.abort(this.reason);
        this.reason = undefined;
      }
    }
    return ctl.signal;
  }

  /** Aborts the signal (its listeners run now, if it was made). */
  abort(reason: unknown): void {
    if (this.ctl !== null) {
      this.ctl.abort(reason);
    } else if (!this.aborted) {
      this.aborted = true;
      this.reason = reason;
    }
  }

  /** util.inspect (console.log) of the job's signal shows the real signal. */
  [Symbol.for("nodejs.util.inspect.custom")](depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    return inspect(this.real(), options);
  }
}

/**
 * Every trap goes to the real signal, with the real signal as the receiver
 * (its getters check what `this` is). Methods called on the Proxy run with
 * the Proxy as `this`, and reach the real signal's internals through these
 * same traps.
 */
const FORWARD: ProxyHandler<OwnSignal> = {
  get: (own, key) => {
    const signal = own.real();
    return Reflect.get(signal, key, signal) as unknown;
  },
  set: (own, key, value) => {
    const signal = own.real();
    return Reflect.set(signal, key, value, signal);
  },
  has: (own, key) => Reflect.has(own.real(), key),
  deleteProperty: (own, key) => Reflect.deleteProperty(own.real(), key),
  defineProperty: (own, key, descriptor) => Reflect.defineProperty(own.real(), key, descriptor),
  getOwnPropertyDescriptor: (own, key) => Reflect.getOwnPropertyDescriptor(own.real(), key),
  ownKeys: (own) => Reflect.ownKeys(own.real()),
  getPrototypeOf: (own) => Reflect.getPrototypeOf(own.real()),
};
