/**
 * A worker's job channel: the seed's unbuffered `chan Job`, in the one shape
 * the engine uses it, where a channel reduces to a slot for one parked
 * receive.
 *
 * The protocol (engine.ts) guarantees:
 * - one receiver, the worker that owns the channel, and it parks in its
 *   receive only right after registering the channel on `workerPool` (one
 *   synchronous step), so a registered channel always has its receiver parked;
 * - one sender, the dispatcher, which sends only to a channel it has just
 *   taken from `workerPool`, with `trySend`: the send always finds the
 *   receiver parked and completes as a direct hand-off;
 * - closing it is the worker's quit (retirement): the parked receive ends and
 *   no job can be sent any more.
 *
 * The parked receive is not a promise. A parked worker has no frame waiting
 * anywhere: its loop ended when it went idle, and the hand-off itself calls
 * the worker's `receive`, which runs its loop again from the job
 * it was sent, inside the sender's call (`now`) or a microtask later. Resuming
 * a frame parked on a promise would always cost a promise turn before the job
 * could start, and the job could never start inside `submit` (see
 * "Starting inside submit" in engine.ts). Under these rules a general `Chan`
 * would also cost a waiter queue, a waiter record per receive and the
 * scheduler's per-operation accounting. The pool's event-loop fairness does
 * not depend on this channel: it counts job starts itself (see `pace` in
 * engine.ts).
 *
 * @internal
 * @module
 */
import type { Job } from "./job.js";
import type { PoolWorker } from "./pool-worker.js";

export class JobChannel {
  /** The receiver: the worker that owns the channel. */
  readonly worker: PoolWorker;
  /** Whether the receiver is parked in its receive. */
  private parked = false;
  private shut = false;

  constructor(worker: PoolWorker) {
    this.worker = worker;
  }

  /** The worker's receive: it parks until a job is sent (or the channel closes). */
  recv(): void {
    if (this.parked) throw new Error("@gochan/pool: internal error: a job channel has two receivers");
    if (!this.shut) this.parked = true;
  }

  /**
   * Hands `job` to the parked receiver, which runs it inside this call if
   * `now`; false if none is parked (or the channel is closed).
   */
  trySend(job: Job, now: boolean): boolean {
    if (!this.parked) return false;
    this.parked = false;
    this.worker.receive(job, now);
    return true;
  }

  /** Closes the channel: the parked receive ends, and no job can be sent any more. */
  close(): void {
    this.shut = true;
    this.parked = false;
  }

  get closed(): boolean {
    return this.shut;
  }
}
