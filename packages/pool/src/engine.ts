/**
 * The pool's engine: the seed's Worker / Dispatcher / chan-chan-Job design on
 * gochan channels, with the seed's flaws fixed and its hot path made cheap.
 *
 * The parts are the seed's:
 * - `queue`: the job queue, a `Chan<Job>` of capacity maxQueue (the seed's
 *   `JobQueue`, but one per pool: flaw 8).
 * - `workerPool`: the job channel of every idle worker (the seed's
 *   `WorkerPool chan chan Job`, of capacity maxWorkers), oldest first.
 * - each worker owns an unbuffered job channel; when idle it registers it on
 *   `workerPool` and waits to receive a job from it.
 * - the dispatcher moves each job from the queue to an idle worker's channel.
 *
 * What differs, and why:
 * - The dispatcher is not a task parked on the queue. In Go it is a goroutine
 *   because Go has threads; in JavaScript a task that never blocks is just a
 *   synchronous function. So `dispatch()` runs right after a job is queued (and
 *   on resize): it pairs queued jobs with registered workers using try
 *   operations (Go's select with default) until one side is empty. No task per
 *   job (flaw 1), no job held in a task where order could be lost, and nothing
 *   to stop (flaw 4).
 * - A worker that finishes a job takes the next one straight from the queue
 *   (flaw 2: the chan-chan indirection costs a park and two wake-ups per job).
 *   It registers on `workerPool` only when the queue is empty. Jobs leave the
 *   queue in submission order either way.
 * - A job that arrives while a worker is idle (so the queue is empty: jobs
 *   arriving one at a time, a server's case) does not pass through the queue:
 *   the dispatcher takes the idle worker's job channel from `workerPool` and
 *   hands the job over at once. Putting it in the empty queue only to take it
 *   out again would change nothing anyone can observe, and costs two channel
 *   operations per job. Likewise a job that finds no idle worker but room for
 *   a new one (and nothing waiting) goes straight to a new worker.
 * - The idle worker waits in one receive on its job channel, not in a select
 *   over its job channel and a quit channel: the only quit is retirement, and
 *   retiring closes the job channel (Go's `for job := range jobs`). The parked
 *   receive is the worker itself, not a promise: the hand-off runs the worker
 *   (see job-channel.ts and pool-worker.ts).
 * - `workerPool` is a FIFO of job channels rather than a `Chan`, for the same
 *   reason each job channel is a slot: the engine only ever uses it with try
 *   operations, and it can never be full (at most maxWorkers workers, each
 *   registered at most once while idle), so a channel reduces to a FIFO.
 *   Every core channel operation pays for its closed and synctest-bubble
 *   checks, its waiter queues and, for a receive, a result record: on the
 *   idle path two such operations per job cost about a fifth of the pool's
 *   time per job, the difference between trailing fastq and leading it.
 *   Registration, the dispatcher taking the oldest idle worker's channel and
 *   the send on it are as in the seed, and the job start still counts on
 *   core's fairness budget (see `pace`).
 * - A job accepted while a worker is finishing its job (between the job
 *   function's return and the worker's next(): its outcome's call-outs, where
 *   a map takes its next item and an end hook may submit) goes straight to
 *   that worker when nothing waits before it, as it would to an idle worker:
 *   putting it in the queue only for that worker to take it out next costs
 *   two channel operations per job of a map, about a sixth of its
 *   instructions. The worker is free (its job function returned), so for
 *   stop, resize and the pool's signal the job is one handed to a worker,
 *   like an idle worker's. It starts when the worker's end step returns
 *   (next), never inside the call that accepted it.
 *
 * Starting inside submit. A job that `submit`, `trySubmit` or `go` hands to a
 * free worker (an idle one, or a new one; so nothing waits ahead of it) starts
 * inside that call: its start event is emitted and its function runs up to its
 * first `await` before the call returns, as in fastq, p-queue and a minimal
 * hand-written pool. Why: the alternative, starting it a microtask later,
 * costs every such job a promise turn (three turns from submit to result
 * instead of two) and kept this path about 1.4x fastq's cost; and no contract
 * is lost, since in Go too the worker may run the job before the submitter
 * goes on. The rules that keep it safe:
 * - Everything is in place before user code runs: the job is counted
 *   (submitted, running), its worker is busy and out of `workerPool`, its
 *   caller signal is watched, its own signal and timeout exist, then the
 *   start event, then the function. So the start event and the function may
 *   re-enter (submit, cancel the job or abort its signal, resize, stop, abort
 *   the pool's signal) and find the truth.
 * - The job's end (its counters, its end event, `onError`, its promise) never
 *   runs inside the call: the worker waits for the function's result as
 *   `await` does, and a synchronous throw becomes a rejection. So `submit`
 *   never throws the job's error, and returns before anything settles.
 * - No nesting: while a job starts inside a call (its start event, its
 *   function's synchronous part, a `then` getter of its result), jobs
 *   submitted meanwhile start a microtask later (`starting`). Starts inside
 *   calls never stack up, and start order stays submission order.
 * - Fairness: every start, inside a call or not, passes `pace`; when core's
 *   budget calls for a macrotask turn, the job waits for it instead of
 *   starting inside the call. A loop of submits that each start at once
 *   yields to timers and I/O as any busy chain does.
 * - Group and map jobs (acceptGroupJob) start a microtask later: they are
 *   accepted from inside the group's or map's own bookkeeping, which a job
 *   function run there would re-enter half-way.
 * - Submitters blocked on a full queue wait in the engine's own FIFO rather
 *   than as senders parked on the channel: the engine needs to know
 *   synchronously which job moved into the queue (for exact metrics and for
 *   cancellation), which a parked channel send does not tell, and it saves a
 *   promise and a reaction per blocked job. The queue channel itself is only
 *   ever used with try operations, so it never has parked waiters.
 * - A worker that retires while idle deregisters: its job channel leaves
 *   `workerPool` and is closed, so no job is ever handed to a stopped worker
 *   (flaw 3). Hand-offs use `trySend`, which cannot block, on a channel whose
 *   worker is parked in its receive by construction (registration and parking
 *   happen in one synchronous step).
 *
 * Invariants (checked by the property tests through the metrics):
 * - `idle === workerPool.length`: exactly the idle workers are registered.
 * - `idle > 0` implies `queuedLive === 0` (a queued job meets an idle worker at
 *   once), and `blocked > 0` implies the queue channel is full.
 * - `queuedLive > 0` implies `live >= 1`.
 * - `queuedLive + tombstones === queue.len <= maxQueue`.
 * - a job starts only while `live <= maxWorkers`, so `running <= maxWorkers`
 *   at every start.
 *
 * @internal
 * @module
 */
import { afterFunc, Chan, getScheduling, sleep, type Timer } from "@gochan/core";
import { countOp } from "@gochan/core/internal";
import { JobTimeoutError, PoolStoppedError, QueueFullError, reportError, rethrow } from "./errors.js";
import { Fifo } from "./fifo.js";
import type { JobChannel } from "./job-channel.js";
import { onIdleTimeout, PoolWorker, W_BUSY, W_GONE, W_IDLE, type WorkerHost } from "./pool-worker.js";
import {
  admission,
  BLOCKED,
  DONE,
  extras,
  GroupJob,
  Job,
  JobExtras,
  KIND,
  KIND_GO,
  KIND_GROUP,
  KIND_SUBMIT,
  promiseFor,
  QUEUED,
  RUNNING,
  SETTLED,
  STARTED,
  type JobGroup,
} from "./job.js";
import { Outcomes, settle, type SettleHost } from "./lifecycle.js";
import type { JobInfo, JobOutcome, PoolEvent, PoolMetrics } from "./metrics.js";
import {
  checkDelay,
  checkJob,
  checkObject,
  checkSignal,
  type JobFunction,
  type JobOptions,
  type ResolvedPoolOptions,
} from "./options.js";
import { OwnSignal, quietSignal, Watches, type Canceller } from "./signals.js";

/** What must learn that the pool stopped taking jobs even if none of its jobs is in the pool (map.ts). */
export interface Closer {
  poolClosed(): void;
}

/** Engine states. */
const OPEN = 0; // accepting jobs
const DRAINING = 1; // stopAndWait: no new jobs; everything accepted runs
const STOPPING = 2; // stop: no new jobs; waiting and queued jobs dropped; running ones finish

/** What accept() did with a job. */
const ACCEPTED = 0; // queued, or waiting for queue space
const CANCELLED = 1; // its signal was already aborted
const FULL = 2; // the queue was full and the caller would not wait
type Accepted = typeof ACCEPTED | typeof CANCELLED | typeof FULL;

const RESOLVED: Promise<void> = Promise.resolve();

function onJobTimeout(job: Job): void {
  const x = job.x as JobExtras;
  x.timer = undefined;
  x.host.timeout(job);
}

/**
 * A job's timeout runs on core's clock (afterFunc), not the host's setTimeout,
 * so inside a synctest bubble it is virtual like every other gochan timer.
 */
function armJobTimeout(job: Job, ms: number): Timer {
  return afterFunc(ms, () => onJobTimeout(job));
}

/** The pool's engine. Everything here is internal; `Pool` is its facade. */
export class Engine implements SettleHost, WorkerHost, Canceller {
  maxWorkers: number;
  readonly maxQueue: number;
  readonly idleTimeout: number;
  readonly onError: ((error: unknown, job: JobInfo) => void) | null;
  readonly onEvent: ((event: PoolEvent) => void) | null;

  readonly queue: Chan<Job>;
  readonly workerPool = new Fifo<JobChannel>();
  readonly workers = new Set<PoolWorker>();

  state = OPEN;
  live = 0;
  idle = 0;
  running = 0;
  queuedLive = 0;
  tombstones = 0;
  /** The worker whose job just returned, while its outcome is settled: the next job accepted may go straight to it. */
  private finishing: PoolWorker | null = null;
  /** Live blocked submitters. */
  blocked = 0;
  /** The FIFO of blocked submitters, with `lineDead` cancelled entries still in it. */
  private readonly line = new Fifo<Job>();
  private lineDead = 0;
  /** Nesting depth of bulk cancellations (compaction waits for the end). */
  private batch = 0;
  /**
   * A job is starting inside the call that submitted it (its start event and
   * its function's synchronous part are running): jobs submitted meanwhile
   * start later, never nested inside it.
   */
  private starting = false;

  readonly outcomes = new Outcomes();
  private nextId = 1;
  private readonly watches = new Watches(this);
  /** The signal of jobs that nothing can cancel (see signals.ts), made on first use. */
  private quiet: AbortSignal | null = null;

  /**
   * Event-loop fairness (see pace): job starts since the last checkpoint, the
   * checkpoint every worker waits for while it is pending, and core's
   * yieldEvery as of the last checkpoint.
   */
  private ops = 0;
  private yieldEvery: number;
  private turn: Promise<void> | null = null;
  private readonly endTurn = (): void => {
    this.turn = null;
    this.yieldEvery = getScheduling().yieldEvery;
  };

  /** Told once when the pool stops taking jobs (stop, stopAndWait, its signal): pull-based maps (map.ts). */
  readonly closers = new Set<Closer>();

  private stopped: Promise<void> | null = null;
  private stoppedResolve: (() => void) | null = null;
  private finished = false;
  /** The pool's signal. */
  private readonly signal: AbortSignal | null;

  constructor(options: ResolvedPoolOptions) {
    this.maxWorkers = options.maxWorkers;
    this.maxQueue = options.maxQueue;
    this.idleTimeout = options.idleTimeout;
    this.onError = options.onError;
    this.onEvent = options.onEvent;
    this.queue = new Chan<Job>(options.maxQueue, { name: "jobQueue" });
    this.yieldEvery = getScheduling().yieldEvery;
    this.signal = options.signal;
    if (this.signal !== null) {
      if (this.signal.aborted) this.abort(this.signal.reason);
      else this.signal.addEventListener("abort", this);
    }
  }

  // ---------------------------------------------------------------- submit

  /** Makes a job record, validating the job and its options. */
  private make(
    where: string,
    fn: unknown,
    options: JobOptions | undefined,
    kind: number,
    group: JobGroup | null = null,
    index = 0,
  ): Job {
    checkJob(where, fn);
    const job =
      group === null
        ? new Job(this.nextId++, kind, fn as JobFunction<unknown>)
        : new GroupJob(this.nextId++, fn as JobFunction<unknown>, group, index);
    if (options !== undefined) {
      checkObject(where, "options", options);
      const signal = checkSignal(where, options.signal);
      const timeout = checkDelay(where, "timeout", options.timeout);
      if (signal !== null || timeout !== Infinity) {
        const x = extras(job, this);
        x.signal = signal;
        x.timeout = timeout;
      }
    }
    return job;
  }

  submit(fn: unknown, options: JobOptions | undefined): Promise<unknown> {
    if (this.state !== OPEN) {
      checkJob("submit", fn);
      return Promise.reject(new PoolStoppedError("submit: the pool is stopped"));
    }
    const job = this.make("submit", fn, options, KIND_SUBMIT);
    const p = promiseFor<unknown>(job);
    this.accept(job, true, true);
    return p;
  }

  trySubmit(fn: unknown, options: JobOptions | undefined): Promise<unknown> {
    if (this.state !== OPEN) {
      checkJob("trySubmit", fn);
      throw new PoolStoppedError("trySubmit: the pool is stopped");
    }
    const job = this.make("trySubmit", fn, options, KIND_SUBMIT);
    const p = promiseFor<unknown>(job);
    if (this.accept(job, false, true) === FULL) {
      // Refused: its promise is never handed out, so it must not settle.
      job.resolve = null;
      const error = new QueueFullError(this.maxQueue, this.queuedLive, this.blocked);
      settle(this, job, "dropped", error);
      throw error;
    }
    return p;
  }

  go(fn: unknown, options: JobOptions | undefined): void {
    if (this.state !== OPEN) {
      checkJob("go", fn);
      throw new PoolStoppedError("go: the pool is stopped");
    }
    this.accept(this.make("go", fn, options, KIND_GO), true, true);
  }

  /** A job of a group, validated and numbered but not yet accepted. */
  groupJob(group: JobGroup, index: number, fn: unknown, options: JobOptions | undefined): Job {
    return this.make("group.submit", fn, options, KIND_GROUP, group, index);
  }

  /**
   * Accepts a job made by groupJob; the promise resolves once it is in the
   * queue. The job never starts inside this call: groups and maps accept
   * jobs from inside their own bookkeeping (a map's pull loop), which a job
   * function run there would re-enter half-way.
   */
  acceptGroupJob(job: Job): Promise<void> {
    const signal = job.x === null ? null : job.x.signal;
    const reason = signal !== null && signal.aborted ? signal.reason : undefined;
    if (this.accept(job, true, false) === CANCELLED) return Promise.reject(reason);
    if (job.state !== BLOCKED) return RESOLVED;
    return admission(job);
  }

  /**
   * Counts a new job and gives it to a free worker or puts it in the queue
   * or, if `wait`, in the FIFO of blocked submitters. With `now`, a job that
   * meets a free worker starts inside this call (see "Starting inside
   * submit"); it is watched and counted before, since its start event and its
   * function may cancel it, or re-enter the pool.
   */
  private accept(job: Job, wait: boolean, now: boolean): Accepted {
    this.outcomes.submitted++;
    const signal = job.x === null ? null : job.x.signal;
    if (signal !== null && signal.aborted) {
      settle(this, job, "cancelled", signal.reason);
      return CANCELLED;
    }
    const finishing = this.finishing;
    if (finishing !== null && this.queuedLive === 0 && this.blocked === 0 && this.live <= this.maxWorkers) {
      // Nothing waits before it, and the worker is within the limit: next() would take it from the queue.
      this.finishing = null;
      if (signal !== null) this.watches.add(job, signal);
      this.assign(finishing, job);
    } else if (this.idle > 0 && this.blocked === 0) {
      // An idle worker means an empty queue: the job goes straight to it.
      if (signal !== null) this.watches.add(job, signal);
      this.handOff(job, now);
    } else if (this.queuedLive === 0 && this.blocked === 0 && this.live < this.maxWorkers) {
      // Nothing waits and a worker may start: a new one takes the job (the
      // queue would hand it over at once).
      if (signal !== null) this.watches.add(job, signal);
      this.spawn(job, now);
    } else if (this.offer(job)) {
      if (signal !== null) this.watches.add(job, signal);
      if (this.live < this.maxWorkers) this.dispatch();
    } else if (wait) {
      if (signal !== null) this.watches.add(job, signal);
      this.block(job);
    } else {
      return FULL;
    }
    return ACCEPTED;
  }

  /**
   * Puts a job in the queue if there is space and nobody waits before it;
   * tombstones (cancelled queued jobs) are compacted away first if they are in
   * the way.
   */
  private offer(job: Job): boolean {
    if (this.blocked > 0) {
      if (this.tombstones === 0) return false;
      this.compact();
      if (this.blocked > 0) return false;
    }
    if (!this.queue.trySend(job)) {
      if (this.tombstones === 0) return false;
      this.compact();
      if (!this.queue.trySend(job)) return false;
    }
    job.state = QUEUED;
    this.queuedLive++;
    return true;
  }

  private block(job: Job): void {
    job.state = BLOCKED;
    this.line.push(job);
    this.blocked++;
  }

  /** Moves blocked submitters into the queue while it has space. */
  private admit(): void {
    if (this.state === STOPPING) return;
    const line = this.line;
    let job: Job | undefined;
    while ((job = line.peek()) !== undefined) {
      if (job.state !== BLOCKED) {
        line.shift();
        this.lineDead--;
        continue;
      }
      if (!this.queue.trySend(job)) return;
      line.shift();
      this.blocked--;
      job.state = QUEUED;
      this.queuedLive++;
      // A group job's resolve is its waiting group.submit (a submit job's is its result).
      if ((job.bits & KIND) === KIND_GROUP && job.resolve !== null) {
        const admitted = job.resolve;
        job.resolve = null;
        admitted(undefined);
      }
    }
  }

  /** Takes the oldest live job out of the queue, admitting a blocked submitter. */
  private dequeue(): Job | null {
    for (;;) {
      const r = this.queue.tryRecv();
      if (r === undefined) return null;
      const job = r.value as Job;
      if (job.state !== QUEUED) {
        this.tombstones--;
        continue;
      }
      this.queuedLive--;
      if (this.blocked > 0) this.admit();
      return job;
    }
  }

  /** Rebuilds the queue without its tombstones, then admits blocked submitters. */
  private compact(): void {
    const q = this.queue;
    const n = q.len;
    const keep: Job[] = [];
    for (let i = 0; i < n; i++) {
      const job = (q.tryRecv() as { value: Job }).value;
      if (job.state === QUEUED) keep.push(job);
    }
    for (let i = 0; i < keep.length; i++) q.trySend(keep[i] as Job);
    this.tombstones = 0;
    this.admit();
  }

  // -------------------------------------------------------------- dispatch

  /**
   * The dispatcher: hands queued jobs to idle workers (their registered job
   * channels), starting workers up to maxWorkers when none is idle.
   */
  private dispatch(): void {
    while (this.queuedLive > 0) {
      if (this.idle > 0) {
        this.handOff(this.dequeue() as Job, false);
      } else if (this.live < this.maxWorkers && this.state !== STOPPING) {
        this.spawn(this.dequeue() as Job, false);
      } else {
        return;
      }
    }
  }

  /**
   * Hands a job to an idle worker: through its job channel, taken from
   * workerPool. The job starts inside this call if `now` and no other job is
   * starting inside an outer call.
   */
  private handOff(job: Job, now: boolean): void {
    const jobs = this.workerPool.shift();
    if (jobs === undefined) throw new Error("@gochan/pool: internal error: an idle worker is not registered");
    this.assign(jobs.worker, job);
    // The worker is parked in its receive on this unbuffered channel, so the
    // hand-off completes now: it cannot block and cannot be lost.
    let sent: boolean;
    if (now && !this.starting) {
      this.starting = true;
      sent = jobs.trySend(job, true);
      this.starting = false;
    } else {
      sent = jobs.trySend(job, false);
    }
    if (!sent) throw new Error("@gochan/pool: internal error: a registered worker is not waiting");
  }

  /** Starts a worker for a job: inside this call on the same terms as handOff. */
  private spawn(job: Job, now: boolean): void {
    const w = new PoolWorker(this);
    this.workers.add(w);
    this.live++;
    this.assign(w, job);
    if (now && !this.starting) {
      this.starting = true;
      w.receive(job, true);
      this.starting = false;
    } else {
      w.receive(job, false);
    }
  }

  private assign(w: PoolWorker, job: Job): void {
    if (w.state === W_IDLE) {
      this.idle--;
      if (w.timer !== undefined) {
        clearTimeout(w.timer);
        w.timer = undefined;
      }
    }
    w.state = W_BUSY;
    w.job = job;
    job.state = RUNNING;
    this.running++;
  }

  // ------------------------------------------------------------- running

  /** The job starts: its signal, or null if it was settled on the way (it is not called then). */
  begin(_w: PoolWorker, job: Job): AbortSignal | null {
    if ((job.bits & SETTLED) !== 0) return null;
    // The signal exists before any user code learns that the job started, so
    // a cancel from the start event aborts it (the function then runs with
    // its signal already aborted).
    let signal: AbortSignal;
    if (this.cancellable(job)) {
      const x = extras(job, this);
      const own = new OwnSignal();
      x.ctl = own;
      signal = own.lazy();
      if (x.timeout !== Infinity) x.timer = armJobTimeout(job, x.timeout);
    } else if ((job.bits & KIND) === KIND_GROUP && (job as GroupJob).group.failFast) {
      // Only its group's failure can cancel it: the group's signal is exactly that.
      signal = (job as GroupJob).group.signal();
    } else {
      signal = this.quiet ?? (this.quiet = quietSignal());
    }
    job.bits |= STARTED;
    if (this.onEvent !== null) this.emit({ type: "start", job });
    return signal;
  }

  /**
   * Whether something of the job's own or the pool's signal may cancel it
   * while it runs (its signal, its timeout, the pool's signal): then it gets a
   * signal of its own.
   */
  private cancellable(job: Job): boolean {
    if (this.signal !== null) return true;
    const x = job.x;
    return x !== null && (x.signal !== null || x.timeout !== Infinity);
  }

  /** The job function returned (or the job was skipped): the worker is free. */
  end(w: PoolWorker, job: Job, ok: boolean, value: unknown): void {
    this.running--;
    w.job = null;
    job.state = DONE;
    job.fn = null;
    const x = job.x;
    if (x !== null) {
      this.unlink(job);
      x.ctl = null;
    }
    this.finishing = w;
    try {
      if ((job.bits & SETTLED) === 0) {
        settle(this, job, ok ? "succeeded" : "failed", value);
      } else if (x !== null) {
        // Settled earlier (timeout, cancel): its end event comes now, with the worker free.
        this.ended(job, x.outcome, x.error);
      }
    } finally {
      this.finishing = null;
    }
  }

  /** The worker's next job (fast path), or null: then it is idle (registered) or gone. */
  next(w: PoolWorker): Job | null {
    // Handed a job while it finished (accept): it runs it, as a worker handed a job while idle does.
    if (w.job !== null) return w.job;
    if (this.state === STOPPING || this.live > this.maxWorkers) {
      this.exit(w);
      return null;
    }
    if (this.queuedLive > 0) {
      const job = this.dequeue() as Job;
      this.assign(w, job);
      return job;
    }
    if (this.state === DRAINING) {
      this.exit(w);
      return null;
    }
    // Registration and parking happen in one synchronous step: the worker's
    // loop receives on its job channel right after this returns, before
    // anything else runs.
    w.state = W_IDLE;
    this.idle++;
    this.workerPool.push(w.jobs);
    if (this.idleTimeout !== Infinity) {
      const t = setTimeout(onIdleTimeout, this.idleTimeout, w);
      (t as { unref?: () => void }).unref?.();
      w.timer = t;
    }
    return null;
  }

  /** A busy worker leaves (stop, drain, shrink). */
  private exit(w: PoolWorker): void {
    w.state = W_GONE;
    this.workers.delete(w);
    this.live--;
    this.checkStopped();
  }

  /**
   * An idle worker retires: it deregisters (its job channel leaves workerPool,
   * unless the caller already took it out) and its job channel closes, so its
   * receive returns and no job can ever be handed to it.
   */
  private retire(w: PoolWorker, registered: boolean): void {
    this.idle--;
    w.state = W_GONE;
    this.workers.delete(w);
    this.live--;
    if (w.timer !== undefined) {
      clearTimeout(w.timer);
      w.timer = undefined;
    }
    if (registered) {
      const pool = this.workerPool;
      const n = pool.length;
      for (let i = 0; i < n; i++) {
        const other = pool.shift() as JobChannel;
        if (other !== w.jobs) pool.push(other);
      }
    }
    w.jobs.close();
    this.checkStopped();
  }

  /** Retires every idle worker. */
  private retireIdle(): void {
    while (this.idle > 0) {
      this.retire((this.workerPool.shift() as JobChannel).worker, false);
    }
  }

  /** The idle timer of a worker fired. */
  expire(w: PoolWorker): void {
    if (w.state === W_IDLE) this.retire(w, true);
  }

  // ----------------------------------------------------------- outcomes

  /** Takes a settled (or finished) job out of the line, the queue, its signal watch and its timer. */
  unlink(job: Job): void {
    const x = job.x;
    if (x !== null) {
      if (x.timer !== undefined) {
        x.timer.stop();
        x.timer = undefined;
      }
      if (x.signal !== null) {
        this.watches.remove(job, x.signal);
        x.signal = null;
      }
    }
    switch (job.state) {
      case BLOCKED:
        // A dead entry in the line from now on.
        this.blocked--;
        this.lineDead++;
        break;
      case QUEUED:
        // A tombstone in the queue channel from now on, skipped by dequeue.
        this.queuedLive--;
        this.tombstones++;
        break;
      case RUNNING:
        return; // its worker ends it
      default:
    }
    job.state = DONE;
    job.fn = null;
  }

  /** Cancels a job wherever it is: its signal aborted, its fail-fast group failed, or the pool was aborted. */
  cancel(job: Job, reason: unknown): void {
    if ((job.bits & SETTLED) !== 0 || job.state === DONE) return;
    settle(this, job, "cancelled", reason);
    if (this.batch === 0) this.tidy();
  }

  /** Cancels many jobs at once (a failed fail-fast group, a shared signal): one compaction at the end. */
  cancelAll(jobs: readonly Job[], reason: unknown): void {
    this.batch++;
    try {
      for (let i = 0; i < jobs.length; i++) this.cancel(jobs[i] as Job, reason);
    } finally {
      this.batch--;
    }
    if (this.batch === 0) this.tidy();
  }

  /**
   * After cancellations: compacts dead entries away when they are in the way
   * of blocked submitters or outnumber the living, and hands out what moved.
   */
  private tidy(): void {
    if (this.lineDead > 32 && this.lineDead > this.blocked) {
      this.line.compact(isBlocked);
      this.lineDead = 0;
    }
    if (this.blocked > 0 && this.tombstones > 0) {
      this.compact();
      if (this.state !== STOPPING && (this.idle > 0 || this.live < this.maxWorkers)) this.dispatch();
    }
    this.checkStopped();
  }

  /** A running job's timeout elapsed: it fails now; its signal is aborted with the error. */
  timeout(job: Job): void {
    if ((job.bits & SETTLED) !== 0) return;
    settle(this, job, "failed", new JobTimeoutError(job.id, (job.x as JobExtras).timeout));
  }

  /** Reports the error of a go() job: to onError, or as an uncaught exception. */
  report(error: unknown, job: Job): void {
    reportError(this.onError, error, job);
  }

  /** Emits a job's end event. */
  ended(job: Job, outcome: JobOutcome, error: unknown): void {
    if (this.onEvent === null) return;
    const started = (job.bits & STARTED) !== 0;
    this.emit(
      outcome === "succeeded"
        ? { type: "end", job, outcome, started }
        : { type: "end", job, outcome, started, error },
    );
  }

  private emit(event: PoolEvent): void {
    try {
      (this.onEvent as (event: PoolEvent) => void)(event);
    } catch (hookError) {
      rethrow(hookError);
    }
  }

  // ------------------------------------------------------------ fairness

  /**
   * Counts a job start; what the worker waits for before starting it, if
   * anything. A chain of jobs that never waits for I/O would run on
   * microtasks alone and starve timers and I/O, so the pool takes part in
   * core's fairness policy (scheduling.ts) rather than keeping one of its
   * own: every job start counts as one operation against core's budget
   * (`countOp`, as core's own try operations do), and every `yieldEvery`
   * starts the pool passes a checkpoint, a zero `sleep`, which core completes
   * like any other operation: at once while its budget or its time slice
   * lasts, else after the macrotask turn core takes for every chain (one
   * turn, one clock, one count in `getScheduling().yields` for channels and
   * pools alike). While a checkpoint is pending every worker waits for it, as
   * every chain waits for core's pending turn.
   */
  pace(): Promise<void> | null {
    countOp();
    if (this.turn !== null) return this.turn;
    if (++this.ops < this.yieldEvery) return null;
    this.ops = 0;
    return (this.turn = sleep(0).then(this.endTurn));
  }

  // ----------------------------------------------------------- lifecycle

  resize(n: number): void {
    this.maxWorkers = n;
    while (this.live > n && this.idle > 0) {
      this.retire((this.workerPool.shift() as JobChannel).worker, false);
    }
    if (this.state !== STOPPING) this.dispatch();
  }

  stop(): Promise<void> {
    if (this.state !== STOPPING) {
      this.state = STOPPING;
      this.dropWaiting();
      this.retireIdle();
      this.checkStopped();
      this.close();
    }
    return this.whenStopped();
  }

  stopAndWait(): Promise<void> {
    if (this.state === OPEN) {
      this.state = DRAINING;
      // Idle workers exist only while the queue is empty: nothing to wait for.
      this.retireIdle();
      this.checkStopped();
      this.close();
    }
    return this.whenStopped();
  }

  /** Tells the closers (after every structure is consistent: they run user code). */
  private close(): void {
    for (const c of [...this.closers]) c.poolClosed();
  }

  /** The pool's signal aborted: stop, and abort the running jobs. */
  handleEvent(): void {
    const signal = this.signal as AbortSignal;
    signal.removeEventListener("abort", this);
    this.abort(signal.reason);
  }

  /** Stops the pool and cancels its running jobs (their signals abort with the reason). */
  private abort(reason: unknown): void {
    void this.stop();
    const running: Job[] = [];
    for (const w of this.workers) if (w.job !== null) running.push(w.job);
    this.cancelAll(running, reason);
  }

  /**
   * Drops every queued and blocked job (stop), oldest first. Each leaves its
   * structure before it is settled, so user code run by the settling (which
   * may cancel other waiting jobs) finds the queue and the line consistent.
   */
  private dropWaiting(): void {
    let r;
    while ((r = this.queue.tryRecv()) !== undefined) {
      const job = r.value as Job;
      if (job.state !== QUEUED) {
        this.tombstones--;
        continue;
      }
      this.queuedLive--;
      job.state = DONE;
      settle(this, job, "dropped", dropped(job));
    }
    let job: Job | undefined;
    while ((job = this.line.shift()) !== undefined) {
      if (job.state !== BLOCKED) {
        this.lineDead--;
        continue;
      }
      this.blocked--;
      job.state = DONE;
      settle(this, job, "dropped", dropped(job));
    }
  }

  private checkStopped(): void {
    if (this.state === OPEN || this.finished) return;
    if (this.live === 0 && this.queuedLive === 0 && this.blocked === 0) {
      this.finished = true;
      if (this.signal !== null) this.signal.removeEventListener("abort", this);
      if (this.stoppedResolve !== null) this.stoppedResolve();
    }
  }

  private whenStopped(): Promise<void> {
    if (this.stopped === null) {
      this.stopped = this.finished
        ? RESOLVED
        : new Promise<void>((resolve) => {
            this.stoppedResolve = resolve;
          });
    }
    return this.stopped;
  }

  get isStopped(): boolean {
    return this.state !== OPEN;
  }

  metrics(): PoolMetrics {
    const o = this.outcomes;
    return {
      maxWorkers: this.maxWorkers,
      maxQueue: this.maxQueue,
      running: this.running,
      idle: this.live - this.running,
      queued: this.queuedLive,
      blockedSubmitters: this.blocked,
      submitted: o.submitted,
      succeeded: o.succeeded,
      failed: o.failed,
      cancelled: o.cancelled,
      dropped: o.dropped,
      completed: o.succeeded + o.failed,
    };
  }
}

function isBlocked(job: Job): boolean {
  return job.state === BLOCKED;
}

function dropped(job: Job): PoolStoppedError {
  return new PoolStoppedError(`job ${job.id} dropped: the pool was stopped before it ran`);
}
