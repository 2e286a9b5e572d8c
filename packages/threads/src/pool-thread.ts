/**
 * One thread of a ThreadPool: its Worker, its job channel and the jobs
 * handed to it. The entry script is the built worker-entry.js next to this
 * file (from sources under test, the one in dist/).
 *
 * @module
 */
import { Worker, type ResourceLimits } from "node:worker_threads";
import type { Job } from "./job.js";
import type { JobEnvelope, ThreadData } from "./protocol.js";
import { SharedChan } from "./shared-chan.js";

const entry = import.meta.url.endsWith(".ts")
  ? new URL("../dist/worker-entry.js", import.meta.url)
  : new URL("./worker-entry.js", import.meta.url);

export class PoolThread {
  readonly worker: Worker;
  readonly threadId: number;
  readonly jobs: SharedChan<JobEnvelope>;
  /** Jobs handed to this thread and not yet reported, in hand-off order. */
  readonly assigned = new Set<Job>();
  /** Closing: it finishes what it has and exits. */
  retiring = false;
  /** Being terminated on purpose (a cancelled or timed-out job). */
  terminating = false;
  /** The uncaught error it reported before exiting, if any. */
  error: unknown = undefined;

  constructor(data: Omit<ThreadData, "jobs">, depth: number, bytes: number, resourceLimits: ResourceLimits | undefined) {
    this.jobs = new SharedChan<JobEnvelope>(depth, { bytes, waiters: 4 });
    const workerData: ThreadData = { ...data, jobs: this.jobs.handle };
    this.worker = new Worker(entry, resourceLimits === undefined ? { workerData } : { workerData, resourceLimits });
    this.threadId = this.worker.threadId;
    this.worker.on("error", (e) => {
      this.error = e;
    });
  }

  retire(): void {
    if (this.retiring) return;
    this.retiring = true;
    if (!this.jobs.closed) this.jobs.close();
  }
}
