/**
 * A worker of the pool's engine: the seed's Worker loop (run a job, then wait
 * idle on its job channel), plus the fast path that takes the next queued job
 * directly. Its host (the engine) decides everything else; this file does not
 * import it.
 *
 * The seed's idle worker selects between its job channel and a quit channel.
 * Here the only quit is retirement, and retiring closes the job channel (Go's
 * `for job := range jobs`), so an idle worker waits in one receive on its job
 * channel: the dispatcher's hand-off completes that receive directly (one
 * promise, no select to build and withdraw per job), and the close ends it.
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

  /** The worker's loop, from its first job (already assigned to `job`). */
  async run(): Promise<void> {
    const host = this.host;
    // Never run a job inside the submit call that started this worker.
    await undefined;
    let job: Job | null = this.job;
    while (job !== null) {
      const turn = host.pace();
      if (turn !== null) await turn;
      let signal = host.begin(this, job);
      let ok = true;
      let value: unknown = undefined;
      if (signal !== null) {
        try {
          value = await (job.fn as JobFunction<unknown>)(signal);
        } catch (error) {
          ok = false;
          value = error;
        }
      }
      signal = null;
      host.end(this, job, ok, value);
      value = undefined;
      job = host.next(this);
      if (job === null && this.state === W_IDLE) {
        // Idle: registered on workerPool by next(); wait for a job, or for
        // the close that retires it (then the receive yields undefined).
        // Nothing of the finished job is held while waiting (job, signal and
        // value were cleared above).
        job = (await this.jobs.recv()) ?? null;
      }
    }
  }
}
