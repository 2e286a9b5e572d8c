/**
 * A worker of the pool's engine: the seed's Worker loop (run a job, then wait
 * idle on its job channel), plus the fast path that takes the next queued job
 * directly. Its host (the engine) decides everything else; this file does not
 * import it.
 *
 * The seed's idle worker selects between its job channel and a quit channel.
 * Here the only quit is retirement, and retiring closes the job channel (Go's
 * `for job := range jobs`), so an idle worker waits in one receive on its job
 * channel, and the close ends it.
 *
 * A busy spell is one call of {@link PoolWorker.run}: from the job that woke
 * the worker, through every job it then takes from the queue, until it goes
 * idle (or leaves). Going idle ends the call: the worker parks in its job
 * channel's receive with no frame left waiting, and the dispatcher's hand-off
 * calls {@link PoolWorker.receive}, which starts the next busy spell. So a job
 * handed to an idle worker can start inside the call that submitted it, with
 * no promise turn in between (engine.ts, "Starting inside submit"), and an
 * idle spell costs no promise at all.
 *
 * @internal
 * @module
 */
import { JobChannel } from "./job-channel.js";
import type { Job } from "./job.js";
import type { JobFunction } from "./options.js";

/** Worker states. */
export const W_BUSY = 0;
export const W_IDLE = 1;
export const W_GONE = 2;

/** What a worker needs from the engine that runs it. */
export interface WorkerHost {
  /** The job starts: its signal, or null if it was settled on the way (then it is not called). */
  begin(w: PoolWorker, job: Job): AbortSignal | null;
  /** The job function returned (or was skipped): the worker is free. */
  end(w: PoolWorker, job: Job, ok: boolean, value: unknown): void;
  /** The worker's next job, or null: then it is idle (registered, about to select) or gone. */
  next(w: PoolWorker): Job | null;
  /** The worker's idle timer fired. */
  expire(w: PoolWorker): void;
  /** Event-loop fairness: resolves at once, or on a later macrotask turn. */
  pace(): Promise<void> | null;
}

/** The idle timer of a worker fired (a setTimeout callback with the worker as argument: no closure). */
export function onIdleTimeout(worker: PoolWorker): void {
  worker.timer = undefined;
  worker.host.expire(worker);
}

/** One worker: a loop that runs jobs, and waits idle between them on its job channel. */
export class PoolWorker {
  state = W_BUSY;
  /** The job it runs, from the hand-off until the job function returns. */
  job: Job | null = null;
  readonly host: WorkerHost;
  /** Its job channel: registered on the engine's workerPool while idle; closed when it retires. */
  readonly jobs: JobChannel;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(host: WorkerHost) {
    this.host = host;
    this.jobs = new JobChannel(this);
  }

  /**
   * A job was sent on the worker's job channel (or the worker was just made
   * for it): its busy spell starts, inside this call if `now`.
   */
  receive(job: Job, now: boolean): void {
    void this.run(job, now);
  }

  /**
   * The worker's loop for one busy spell, from `job` (already assigned to it).
   * With `now` the job starts inside this call: its start event and the job
   * function's synchronous part run before the call returns, unless the
   * fairness budget makes it wait for a turn first. The rest of the job (its
   * end: counters, hooks, its promise) never runs inside this call, even for
   * a function that throws synchronously: the throw becomes a rejection that
   * the loop awaits like any other result.
   */
  async run(job: Job | null, now: boolean): Promise<void> {
    const host = this.host;
    if (!now) await undefined;
    while (job !== null) {
      const turn = host.pace();
      if (turn !== null) await turn;
      let signal = host.begin(this, job);
      let ok = true;
      let value: unknown = undefined;
      if (signal !== null) {
        try {
          value = await call(job.fn as JobFunction<unknown>, signal);
        } catch (error) {
          ok = false;
          value = error;
        }
      }
      signal = null;
      host.end(this, job, ok, value);
      value = undefined;
      job = host.next(this);
    }
    // Idle (registered on workerPool by next()): park in the job channel's
    // receive until the dispatcher sends a job, which calls receive(), or the
    // close that retires the worker. Nothing of the finished job is held: this
    // frame ends here. (Or gone: next() took it out of the pool.)
    if (this.state === W_IDLE) this.jobs.recv();
  }
}

/** Calls a job function; a synchronous throw becomes a rejected promise, so the caller always awaits. */
function call(fn: JobFunction<unknown>, signal: AbortSignal): unknown {
  try {
    return fn(signal);
  } catch (error) {
    return Promise.reject(error);
  }
}
