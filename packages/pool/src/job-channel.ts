/**
 * A worker's job channel: the seed's unbuffered `chan Job`, in the one shape
 * the engine uses it, where a channel reduces to a slot for one parked
 * receive.
 *
 * The protocol (engine.ts) guarantees:
 * - one receiver, the worker that owns the channel, and it receives only
 *   right after registering the channel on `workerPool` (one synchronous
 *   step), so a registered channel always has its receiver parked;
 * - one sender, the dispatcher, which sends only to a channel it has just
 *   taken from `workerPool`, with `trySend`: the send always finds the
 *   receiver parked and completes as a direct hand-off;
 * - closing it is the worker's quit (retirement): a parked receive ends with
 *   `undefined`, as a receive from a closed Go channel yields the zero value.
 *
 * Under those rules a general `Chan` would do exactly this with a waiter
 * queue, a waiter record per receive and the scheduler's per-operation
 * accounting: jobs handed one at a time to a worker parked in a channel
 * receive cost about 1.8x the CPU of the same loop with the worker parked on
 * a plain promise (Node 20). The pool's event-loop fairness does not depend
 * on this channel: it counts job starts itself (see `pace` in engine.ts).
 *
 * @internal
 * @module
 */
import type { Job } from "./job.js";
import type { PoolWorker } from "./pool-worker.js";

type Receive = (job: Job | undefined) => void;

export class JobChannel {
  readonly worker: PoolWorker;
  /** The parked receive, or null. */
  private receiver: Receive | null = null;
  private shut = false;

  constructor(worker: PoolWorker) {
    this.worker = worker;
  }

  /** Waits for a job; `undefined` once the channel is closed. */
  recv(): Promise<Job | undefined> {
    if (this.shut) return Promise.resolve(undefined);
    if (this.receiver !== null) throw new Error("@gochan/pool: internal error: a job channel has two receivers");
    return new Promise<Job | undefined>((resolve) => {
      this.receiver = resolve;
    });
  }

  /** Hands `job` to the parked receiver; false if none is parked (or the channel is closed). */
  trySend(job: Job): boolean {
    const receive = this.receiver;
    if (receive === null) return false;
    this.receiver = null;
    receive(job);
    return true;
  }

  /** Closes the channel: a parked receive ends with undefined, and so does every later one. */
  close(): void {
    this.shut = true;
    const receive = this.receiver;
    if (receive === null) return;
    this.receiver = null;
    receive(undefined);
  }

  get closed(): boolean {
    return this.shut;
  }
}
