/**
 * One thread of a ThreadPool: its Worker, its shared buffer (protocol.ts),
 * the pool's ends of its rings and the jobs handed to it, by slot. The entry
 * script is the built worker-entry.js next to this file (from sources under
 * test, the one in dist/).
 *
 * @module
 */
import { MessageChannel, Worker, type MessagePort, type ResourceLimits } from "node:worker_threads";
import type { Encoded } from "./codec.js";
import type { Job } from "./job.js";
import { CLOSED, IDLE, JOB_HEAD, JOB_TAIL, layout, RESULT_HEAD, RESULT_TAIL, RESULT_WAIT, SLOT_QUEUED, UNRUNG, WAKE, HEADER_BYTES, type ThreadData } from "./protocol.js";
import { RingReader, RingWriter } from "./ring.js";

const entry = import.meta.url.endsWith(".ts")
  ? new URL("../dist/worker-entry.js", import.meta.url)
  : new URL("./worker-entry.js", import.meta.url);

export class PoolThread {
  readonly worker: Worker;
  readonly threadId: number;
  /** Header and control words of its buffer. */
  readonly i32: Int32Array;
  readonly jobs: RingWriter;
  readonly results: RingReader;
  /** The job of each control slot handed off and not yet reported. */
  readonly slots: (Job | null)[];
  /** Jobs handed off, ever; the next one takes slot `handed % depth`. */
  handed = 0;
  /** Jobs handed off and not yet reported (or given back after an exit). */
  size = 0;
  /** Function indexes whose name this thread has been sent. */
  readonly known: boolean[] = [];
  /** Closing: it finishes what it has and exits. */
  retiring = false;
  /** Being terminated on purpose (a cancelled or timed-out job). */
  terminating = false;
  /** The uncaught error it reported before exiting, if any. */
  error: unknown = undefined;
  /** Where it posts results holding MessagePorts; read with receiveMessageOnPort only (side-transfer.ts). */
  readonly side: MessagePort;

  constructor(module: string, bell: SharedArrayBuffer, depth: number, bytes: number, resourceLimits: ResourceLimits | undefined) {
    const { jobs, results, total } = layout(depth, bytes);
    const shared = new SharedArrayBuffer(total);
    this.i32 = new Int32Array(shared);
    this.jobs = new RingWriter(shared, JOB_HEAD, JOB_TAIL, jobs, bytes);
    this.results = new RingReader(shared, RESULT_HEAD, RESULT_TAIL, results, 4 * bytes);
    this.slots = new Array<Job | null>(depth).fill(null);
    const { port1, port2 } = new MessageChannel();
    this.side = port1;
    const workerData: ThreadData = { module, shared, bell, depth, bytes, side: port2 };
    const transferList = [port2];
    this.worker = new Worker(entry, resourceLimits === undefined ? { workerData, transferList } : { workerData, transferList, resourceLimits });
    this.threadId = this.worker.threadId;
    this.worker.on("error", (e) => {
      this.error = e;
    });
  }

  /** Whether it can take one more job now (not counting ring memory). */
  get open(): boolean {
    return !this.retiring && !this.terminating && this.size < this.slots.length;
  }

  /**
   * Hands `job` (its arguments encoded as `args`, its function as index `fn`)
   * to the thread: false if the ring has no room for it now.
   */
  hand(job: Job, fn: number, args: Encoded): boolean {
    const slot = this.handed % this.slots.length;
    Atomics.store(this.i32, (HEADER_BYTES >> 2) + slot, SLOT_QUEUED);
    if (!this.jobs.write(slot, fn, args)) return false;
    this.handed++;
    this.size++;
    this.slots[slot] = job;
    job.slot = slot;
    return true;
  }

  /** Wakes the thread if it sleeps waiting for jobs (after handing it some, or closing). */
  wake(): void {
    // 1 -> 2: the first to see it sleeping wakes it; it clears the flag when it runs (protocol.ts).
    if (Atomics.compareExchange(this.i32, IDLE, 1, 2) === 1) {
      Atomics.add(this.i32, WAKE, 1);
      Atomics.notify(this.i32, WAKE);
    }
  }

  /** Lets a thread blocked on a full result ring go on (after draining it). */
  /** Whether it published results without ringing the bell (protocol.ts: UNRUNG). */
  get unrung(): boolean {
    return Atomics.load(this.i32, UNRUNG) === 1;
  }

  /** Clears UNRUNG: called before draining, so a result published before the flag is drained. */
  clearUnrung(): void {
    Atomics.store(this.i32, UNRUNG, 0);
  }

  drained(): void {
    if (Atomics.load(this.i32, RESULT_WAIT) === 1) Atomics.notify(this.i32, RESULT_HEAD);
  }

  /** The control word of `slot`. */
  control(slot: number): number {
    return Atomics.load(this.i32, (HEADER_BYTES >> 2) + slot);
  }

  /** Compare-and-swaps the control word of `slot`; returns the old value. */
  swap(slot: number, from: number, to: number): number {
    return Atomics.compareExchange(this.i32, (HEADER_BYTES >> 2) + slot, from, to);
  }

  /** The job reported now (the oldest handed off), removed from the slots. */
  take(slot: number): Job | null {
    const job = this.slots[slot] ?? null;
    this.slots[slot] = null;
    this.size--;
    return job;
  }

  /** The jobs handed off and not reported, oldest first, removed from the slots. */
  takeAll(): Job[] {
    const out: Job[] = [];
    const depth = this.slots.length;
    for (let k = this.handed - this.size; k < this.handed; k++) {
      const job = this.slots[k % depth];
      if (job != null) out.push(job);
      this.slots[k % depth] = null;
    }
    this.size = 0;
    return out;
  }

  retire(): void {
    if (this.retiring) return;
    this.retiring = true;
    Atomics.store(this.i32, CLOSED, 1);
    Atomics.add(this.i32, WAKE, 1);
    Atomics.notify(this.i32, WAKE);
  }
}
