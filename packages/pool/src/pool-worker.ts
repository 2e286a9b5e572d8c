/**
 * A worker of the pool's engine: the seed's Worker loop (run a job, then wait
 * idle in a select between its job channel and quit), plus the fast path that
 * takes the next queued job directly. Its host (the engine) decides
 * everything else; this file does not import it.
 *
 * @internal
 * @module
 */
import { Chan, recv, select, type RecvCase, type SelectResult } from "@gochan/core";
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
  worker.host.expire(worker);
}

/** One worker: a loop that runs jobs, and waits idle between them in a select. */
export class PoolWorker {
  state = W_BUSY;
  /** The job it runs, from the hand-off until the job function returns. */
  job: Job | null = null;
  readonly host: WorkerHost;
  readonly jobs: JobChannel;
  readonly quit = new Chan<never>();
  readonly cases: readonly [RecvCase<Job>, RecvCase<never>];
  timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(host: WorkerHost) {
    this.host = host;
    this.jobs = new JobChannel(this);
    this.cases = [recv(this.jobs), recv(this.quit)];
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
        // Idle: registered on workerPool by next(); wait for a job or quit.
        // Nothing of the finished job is held while waiting (job, signal and
        // value were cleared above, and r is cleared once read).
        let r: SelectResult<typeof this.cases> | null = await select(this.cases);
        job = r.index === 0 && r.ok ? r.value : null;
        r = null;
      }
    }
  }
}
