/**
 * A worker of the pool's engine: the seed's Worker loop (run a job, then wait
 * idle in a select between its job channel and quit), plus the fast path that
 * takes the next queued job directly. The engine decides everything else.
 *
 * @internal
 * @module
 */
import { Chan, recv, select, type RecvCase } from "@gochan/core";
import type { Engine } from "./engine.js";
import type { Job } from "./job.js";
import type { JobFunction } from "./options.js";

/** Worker states. */
export const W_BUSY = 0;
export const W_IDLE = 1;
export const W_GONE = 2;

/** A worker's job channel: unbuffered, and it knows its worker. */
export class JobChannel extends Chan<Job> {
  readonly worker: PoolWorker;
  constructor(worker: PoolWorker) {
    super(0);
    this.worker = worker;
  }
}

/** The idle timer of a worker fired (a setTimeout callback with the worker as argument: no closure). */
export function onIdleTimeout(worker: PoolWorker): void {
  worker.timer = undefined;
  worker.engine.expire(worker);
}

/** Listeners added to one signal minus those removed (a set `onabort` counts as one). */
interface ListenerCount {
  n: number;
}

const addListener = EventTarget.prototype.addEventListener;
const removeListener = EventTarget.prototype.removeEventListener;
const onabort = Object.getOwnPropertyDescriptor(AbortSignal.prototype, "onabort");

/**
 * Counts the listeners that jobs add to a worker's signal, by giving that one
 * signal object its own addEventListener / removeEventListener / onabort that
 * count and then defer to the standard ones.
 */
function countListeners(signal: AbortSignal): ListenerCount {
  const count: ListenerCount = { n: 0 };
  Object.defineProperty(signal, "addEventListener", {
    configurable: true,
    writable: true,
    value: function addEventListener(this: AbortSignal, ...args: Parameters<AbortSignal["addEventListener"]>): void {
      count.n++;
      addListener.apply(this, args);
    },
  });
  Object.defineProperty(signal, "removeEventListener", {
    configurable: true,
    writable: true,
    value: function removeEventListener(this: AbortSignal, ...args: Parameters<AbortSignal["removeEventListener"]>): void {
      count.n--;
      removeListener.apply(this, args);
    },
  });
  const get = onabort?.get;
  const set = onabort?.set;
  if (get !== undefined && set !== undefined) {
    Object.defineProperty(signal, "onabort", {
      configurable: true,
      get(this: AbortSignal): unknown {
        return get.call(this);
      },
      set(this: AbortSignal, handler: unknown): void {
        count.n += (handler == null ? 0 : 1) - (get.call(this) == null ? 0 : 1);
        set.call(this, handler);
      },
    });
  }
  return count;
}

/** One worker: a loop that runs jobs, and waits idle between them in a select. */
export class PoolWorker {
  state = W_BUSY;
  /** The job it runs, from the hand-off until the job function returns. */
  job: Job | null = null;
  readonly engine: Engine;
  readonly jobs: JobChannel;
  readonly quit = new Chan<never>();
  readonly cases: readonly [RecvCase<Job>, RecvCase<never>];
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private ctl: AbortController | null = null;
  private sig: AbortSignal | null = null;
  /** Listeners that jobs added to `sig` and did not remove. */
  private listeners: ListenerCount | null = null;

  constructor(engine: Engine) {
    this.engine = engine;
    this.jobs = new JobChannel(this);
    this.cases = [recv(this.jobs), recv(this.quit)];
  }

  /**
   * The signal given to jobs with no signal or timeout of their own. Creating
   * an AbortSignal costs microseconds in Node (ten times a trivial job), so a
   * worker hands the same one to job after job, and only makes a new one when
   * the previous job left a listener on it (added without removing it, as
   * `addEventListener(..., { once: true })` does), so listeners never pile up
   * across jobs. It is aborted only for the job the worker is running (pool
   * aborted, fail-fast group failed); then the next job gets a new one too.
   */
  signal(): AbortSignal {
    if (this.sig === null || (this.listeners as ListenerCount).n !== 0) {
      const ctl = new AbortController();
      this.ctl = ctl;
      this.sig = ctl.signal;
      this.listeners = countListeners(this.sig);
    }
    return this.sig;
  }

  abort(reason: unknown): void {
    if (this.ctl !== null) {
      this.ctl.abort(reason);
      this.ctl = null;
      this.sig = null;
      this.listeners = null;
    }
  }

  async run(first: Job): Promise<void> {
    const e = this.engine;
    let job: Job = first;
    // Never run a job inside the submit call that started this worker.
    await undefined;
    for (;;) {
      if (++e.ops >= e.yieldEvery) await e.yieldTurn();
      const signal = e.begin(this, job);
      let ok = true;
      let value: unknown;
      if (signal !== null) {
        const fn = job.fn as JobFunction<unknown>;
        try {
          value = await fn(signal);
        } catch (error) {
          ok = false;
          value = error;
        }
      }
      e.end(this, job, ok, value);
      const next = e.next(this);
      if (next !== null) {
        job = next;
        continue;
      }
      if (this.state !== W_IDLE) return;
      // Idle: registered on workerPool by next(); wait for a job or quit.
      const r = await select(this.cases);
      if (r.index !== 0 || !r.ok) return;
      job = r.value;
    }
  }
}

