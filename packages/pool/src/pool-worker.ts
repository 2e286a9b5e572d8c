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
 * A busy spell starts as steps, each a method, rather than as one async
 * function: `start` (the fairness check), `call` (the job function), then,
 * when its result settles, `finish` (end the job, then go idle, or run the
 * rest of the spell, the jobs taken from the queue, in `loop`). An idle worker has no frame parked
 * anywhere: it parks in its job channel's receive, and the dispatcher's
 * hand-off calls {@link PoolWorker.receive}, which starts it again. So a job
 * handed to an idle worker can start inside the call that submitted it, with
 * no promise turn in between (engine.ts, "Starting inside submit"); an idle
 * spell costs no promise, and a job costs one reaction on its result with
 * handlers made once per worker. (One async function per busy spell, parked on
 * `await`, cost about a quarter more per job on the idle path, where every
 * job is a spell: its frame and promise are allocated per call. Long spells
 * use one: see `loop`.)
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

  /** The job function's outcome handlers, made once per worker: no closure per job. */
  private readonly onValue = (value: unknown): void => this.finish(true, value);
  private readonly onError = (error: unknown): void => this.finish(false, error);
  /** A deferred start of the job assigned to the worker, a microtask after its hand-off. */
  private readonly onLater = (): void => this.start(this.job as Job);
  /** The job assigned to the worker, once the fairness turn it waited for has come. */
  private readonly onTurn = (): void => this.call(this.job as Job);

  /**
   * A job was sent on the worker's job channel (or the worker was just made
   * for it, the job assigned): its busy spell starts, inside this call if
   * `now`, else a microtask later.
   */
  receive(job: Job, now: boolean): void {
    if (now) this.start(job);
    else void RESOLVED.then(this.onLater);
  }

  /** Starts the assigned job now, unless the fairness budget makes it wait for a turn first. */
  private start(job: Job): void {
    const turn = this.host.pace();
    if (turn !== null) void turn.then(this.onTurn);
    else this.call(job);
  }

  /**
   * Calls the job function (unless the job was settled on its way here),
   * then waits for its result as `await` would (a thenable is adopted, and a
   * `then` getter runs now, as part of the call). A synchronous throw becomes
   * a rejection: the job's end (counters, hooks, its promise) never runs
   * inside this call, so never inside the submit that started the job.
   */
  private call(job: Job): void {
    const signal = this.host.begin(this, job);
    if (signal === null) {
      this.finish(true, undefined);
      return;
    }
    void Promise.resolve(callJob(job.fn as JobFunction<unknown>, signal)).then(this.onValue, this.onError);
  }

  /**
   * The job function returned: the worker is free. It takes the next queued
   * job itself (the rest of its busy spell runs in `loop`),
   * or, registered on workerPool by next(), parks in its job channel's
   * receive until the dispatcher sends it a job (which calls receive) or the
   * close that retires it. Nothing of the finished job is held while it waits.
   */
  private finish(ok: boolean, value: unknown): void {
    this.host.end(this, this.job as Job, ok, value);
    const next = this.host.next(this);
    if (next !== null) void this.loop(next);
    else if (this.state === W_IDLE) this.jobs.recv();
  }

  /**
   * The rest of a busy spell: the jobs the worker takes from the queue itself,
   * the same steps as start, call and finish, as one async function. A long
   * spell (jobs waiting) pays for one async frame and then an `await` per
   * job; the steps above pay a derived promise per job (`then`), which the
   * garbage collector copies while a large queue keeps the young generation
   * full: with 100,000 jobs queued at once, the steps alone cost about 1.4x.
   */
  private async loop(job: Job | null): Promise<void> {
    const host = this.host;
    while (job !== null) {
      const turn = host.pace();
      if (turn !== null) await turn;
      let signal = host.begin(this, job);
      let ok = true;
      let value: unknown = undefined;
      if (signal !== null) {
        try {
          value = await callJob(job.fn as JobFunction<unknown>, signal);
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
    if (this.state === W_IDLE) this.jobs.recv();
  }
}

/** Calls a job function; a synchronous throw becomes a rejected promise, so the caller always waits for the result. */
function callJob(fn: JobFunction<unknown>, signal: AbortSignal): unknown {
  try {
    return fn(signal);
  } catch (error) {
    return Promise.reject(error);
  }
}

const RESOLVED: Promise<void> = Promise.resolve();
