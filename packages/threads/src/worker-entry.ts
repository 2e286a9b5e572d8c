/**
 * The program of a ThreadPool thread: import the jobs module, then run the
 * jobs of its channel one at a time until the channel is closed.
 *
 * @module
 */
import { workerData } from "node:worker_threads";
import { encode } from "./codec.js";
import { SharedChan } from "./shared-chan.js";
import { DONE, FAILED, SKIPPED, SLOT_CANCELLED, SLOT_QUEUED, SLOT_RUNNING, type JobEnvelope, type JobReport, type ThreadData } from "./protocol.js";

const data = workerData as ThreadData;
const jobs = SharedChan.from<JobEnvelope>(data.jobs);
const results = SharedChan.from<JobReport>(data.results);
const control = new Int32Array(data.control);
const mod = (await import(data.module)) as Record<string, unknown>;

/** An error as it crosses back: itself if cloneable, else its name, message and stack. */
function portable(e: unknown): unknown {
  try {
    encode(e);
    return e;
  } catch {
    if (e instanceof Error) {
      const copy = new Error(e.message);
      copy.name = e.name;
      copy.stack = e.stack ?? "";
      return copy;
    }
    return new Error(String(e));
  }
}

for await (const [id, slot, fn, args] of jobs) {
  if (Atomics.compareExchange(control, slot, SLOT_QUEUED, SLOT_RUNNING) !== SLOT_QUEUED) {
    // Cancelled before it started: the pool settled it already.
    if (Atomics.load(control, slot) === SLOT_CANCELLED) await results.send([id, slot, SKIPPED, undefined]);
    continue;
  }
  let report: JobReport;
  try {
    const f = mod[fn];
    if (typeof f !== "function") throw new TypeError(`the jobs module ${data.module} has no exported function "${fn}"`);
    report = [id, slot, DONE, await (f as (...a: unknown[]) => unknown)(...args)];
    encode(report[3]); // an uncloneable result fails the job, not the thread
  } catch (e) {
    // Structured clone keeps only built-in error names: the name travels beside the error.
    report = [id, slot, FAILED, [portable(e), e instanceof Error ? e.name : undefined]];
  }
  await results.send(report);
}
