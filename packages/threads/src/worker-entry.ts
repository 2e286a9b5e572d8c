/**
 * The program of a ThreadPool thread: import the jobs module, then run the
 * jobs of its channel one at a time until the channel is closed.
 *
 * @module
 */
import { workerData } from "node:worker_threads";
import { encode } from "./codec.js";
import { SharedChan } from "./shared-chan.js";
import { pumpStream, takeStream } from "./stream-pump.js";
import { released } from "./transfer.js";
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

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === "object" || typeof v === "function") && v !== null && typeof (v as { then?: unknown }).then === "function";
}

for (;;) {
  // Take what is already there without a promise hop; park only when idle.
  const r = jobs.tryRecv() ?? (await jobs.recvOk());
  if (!r.ok) break;
  const [id, slot, fn, args] = r.value;
  if (Atomics.compareExchange(control, slot, SLOT_QUEUED, SLOT_RUNNING) !== SLOT_QUEUED) {
    // Cancelled before it started: the pool settled it already.
    if (Atomics.load(control, slot) === SLOT_CANCELLED) {
      const skipped: JobReport = [id, slot, SKIPPED, undefined];
      if (!results.trySend(skipped)) await results.send(skipped);
    }
    continue;
  }
  let report: JobReport;
  try {
    const f = mod[fn];
    if (typeof f !== "function") throw new TypeError(`the jobs module ${data.module} has no exported function "${fn}"`);
    const stream = takeStream(args); // a stream job's values go to its channel (stream-pump.ts)
    let value = (f as (...a: unknown[]) => unknown)(...args);
    if (stream >= 0) value = pumpStream(fn, value, stream);
    if (isThenable(value)) value = await value; // a synchronous job costs no promise hop
    report = [id, slot, DONE, released(value)]; // released: a transfer() result moves its buffers
    encode(report[3]); // an uncloneable result fails the job, not the thread
  } catch (e) {
    // Structured clone keeps only built-in error names: the name travels beside the error.
    report = [id, slot, FAILED, [portable(e), e instanceof Error ? e.name : undefined]];
  }
  if (!results.trySend(report)) await results.send(report);
}
