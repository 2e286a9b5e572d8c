/**
 * The program of a ThreadPool thread: import the jobs module, then run the
 * jobs of its ring one at a time, in order, reporting each to its result
 * ring, until the pool closes it and the ring is empty. It drains every job
 * already there without waking anyone; when it has none it blocks briefly
 * (Atomics.wait, a thread may), then parks without blocking so timers and
 * I/O a finished job left behind still run (protocol.ts).
 *
 * @module
 */
import { workerData } from "node:worker_threads";
import { encode, type Encoded } from "./codec.js";
import { ValueTooLargeError } from "./errors.js";
import { holdThread, releaseThread } from "./keep-alive.js";
import {
  BELL,
  CLOSED,
  POLLING,
  RUNG,
  SLEEPING,
  DONE,
  FAILED,
  HEADER_BYTES,
  IDLE,
  IDLE_BLOCK_MS,
  JOB_HEAD,
  JOB_TAIL,
  layout,
  MAIN_WAITING,
  NAME_RECORD,
  RESULT_HEAD,
  RESULT_TAIL,
  RESULT_WAIT,
  SKIPPED,
  SLOT_QUEUED,
  SLOT_RUNNING,
  UNRUNG,
  WAKE,
  WATCHDOG_MS,
  type ThreadData,
} from "./protocol.js";
import { RingReader, RingWriter } from "./ring.js";
import { pumpStream, takeStream } from "./stream-pump.js";
import { released } from "./transfer.js";
import { ask as askSide, DONE_SIDE, SIDE_ARGS, sendResult as sendSideResult } from "./side-transfer.js";
import { marked } from "./transfer.js";

/** Atomics.waitAsync (ES2024; Node >= 16): typed here so the package builds against ES2022 libs. */
const waitAsync = (Atomics as unknown as {
  waitAsync(i32: Int32Array, index: number, value: number, timeout?: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

const data = workerData as ThreadData;
const i32 = new Int32Array(data.shared);
const bell = new Int32Array(data.bell);
const at = layout(data.depth, data.bytes);
const jobs = new RingReader(data.shared, JOB_HEAD, JOB_TAIL, at.jobs, data.bytes);
const results = new RingWriter(data.shared, RESULT_HEAD, RESULT_TAIL, at.results, 4 * data.bytes);
const control = HEADER_BYTES >> 2;
const mod = (await import(data.module)) as Record<string, unknown>;
/** The module's functions by the pool's function index. */
const fns: unknown[] = [];
const names: string[] = [];

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

/** The encoded failure report of `e` (structured clone keeps only built-in error names: the name travels beside it). */
function failure(e: unknown): Encoded {
  return encode([portable(e), e instanceof Error ? e.name : undefined]);
}

/** Publishes a report, waiting (blocking: the pool is draining) while the result ring is full, then rings the pool's bell. */
function report(slot: number, status: number, payload: Encoded): void {
  if (payload.size > results.maxPayload) {
    payload = failure(new ValueTooLargeError(payload.size, results.maxPayload));
    status = FAILED;
  }
  while (!results.write(slot, status, payload)) {
    Atomics.store(i32, RESULT_WAIT, 1);
    const head = Atomics.load(i32, RESULT_HEAD);
    if (!results.write(slot, status, payload)) {
      ring();
      Atomics.wait(i32, RESULT_HEAD, head);
      Atomics.store(i32, RESULT_WAIT, 0);
      continue;
    }
    Atomics.store(i32, RESULT_WAIT, 0);
    break;
  }
  if (jobs.empty) {
    ring();
    return;
  }
  // More jobs queued behind this one: a polling pool takes this result within
  // RESULT_POLL_MS instead of being woken for each, and only a pool in a long
  // sleep is woken (protocol.ts: UNRUNG is stored before MAIN_WAITING is read).
  Atomics.store(i32, UNRUNG, 1);
  if (Atomics.compareExchange(bell, MAIN_WAITING, SLEEPING, RUNG) === SLEEPING) {
    Atomics.add(bell, BELL, 1);
    Atomics.notify(bell, BELL);
  }
}

/** Bumps the bell and wakes the pool if it sleeps or polls: only the thread that swaps the flag to RUNG notifies. */
function ring(): void {
  Atomics.add(bell, BELL, 1);
  const was = Atomics.compareExchange(bell, MAIN_WAITING, SLEEPING, RUNG);
  if (was === SLEEPING || (was === POLLING && Atomics.compareExchange(bell, MAIN_WAITING, POLLING, RUNG) === POLLING)) Atomics.notify(bell, BELL);
}

/** Waits for a job or the close: blocking briefly, then parked with the event loop running. */
function idle(): Promise<unknown> | null {
  Atomics.store(i32, IDLE, 1);
  const wake = Atomics.load(i32, WAKE);
  if (!jobs.empty || Atomics.load(i32, CLOSED) === 1) {
    Atomics.store(i32, IDLE, 0);
    return null;
  }
  if (Atomics.wait(i32, WAKE, wake, IDLE_BLOCK_MS) !== "timed-out") {
    Atomics.store(i32, IDLE, 0);
    return null;
  }
  const r = waitAsync(i32, WAKE, wake, WATCHDOG_MS);
  if (!r.async) {
    Atomics.store(i32, IDLE, 0);
    return null;
  }
  holdThread(); // a pending waitAsync does not keep a thread alive
  return r.value.then(awake);
}

function awake(): void {
  releaseThread();
  Atomics.store(i32, IDLE, 0);
}

const UNDEFINED = encode(undefined);

/**
 * Runs the jobs of the ring, in order, while each one finishes synchronously:
 * the hot path, kept apart from the module's top level (an async module body
 * with awaits in its loop) so that V8 optimises a small function, once,
 * instead of recompiling the whole entry loop with everything inlined into it
 * in each fresh thread. Returns the unfinished job's promise (it reports it
 * when it settles; the caller awaits it before the next job), or null when the
 * ring is empty.
 */
function runReady(): Promise<void> | null {
  while (jobs.next()) {
    const slot = jobs.a;
    const fn = jobs.b & ~SIDE_ARGS;
    if (slot === NAME_RECORD) {
      names[fn] = jobs.value as string;
      fns[fn] = mod[names[fn]];
      continue;
    }
    if (Atomics.compareExchange(i32, control + slot, SLOT_QUEUED, SLOT_RUNNING) !== SLOT_QUEUED) {
      report(slot, SKIPPED, UNDEFINED); // cancelled before it started: the pool settled it already
      continue;
    }
    // Its arguments hold MessagePorts: asked for once started (side-transfer.ts).
    if ((jobs.b & SIDE_ARGS) !== 0) return runAsync(slot, fn, null);
    const args = jobs.value as unknown[];
    let value: unknown;
    try {
      value = call(fn, args);
    } catch (e) {
      report(slot, FAILED, failure(e));
      continue;
    }
    if (isThenable(value)) return runAsync(slot, fn, value); // a synchronous job costs no promise hop
    finish(slot, value);
  }
  return null;
}

/** Calls job function `fn` with `args` (a stream job's values go to its channel: stream-pump.ts). */
function call(fn: number, args: unknown[]): unknown {
  const f = fns[fn];
  if (typeof f !== "function") throw new TypeError(`the jobs module ${data.module} has no exported function "${names[fn]}"`);
  const stream = takeStream(args);
  const value: unknown = (f as (...a: unknown[]) => unknown)(...args);
  return stream >= 0 ? pumpStream(names[fn]!, value, stream) : value;
}

/** Reports a job's result (`value` settled). */
function finish(slot: number, value: unknown): void {
  let status = DONE;
  let payload: Encoded;
  try {
    // A transfer() result holding MessagePorts goes by the side port (side-transfer.ts).
    if (sendSideResult(data.side, marked(value))) [status, payload] = [DONE_SIDE, UNDEFINED];
    else payload = encode(released(value)); // released: a transfer() result moves its buffers; an uncloneable result fails the job, not the thread
  } catch (e) {
    status = FAILED;
    payload = failure(e);
  }
  report(slot, status, payload);
}

/** The rest of a job that does not finish synchronously: it waits for its moved arguments (`pending` null) or its result. */
async function runAsync(slot: number, fn: number, pending: unknown): Promise<void> {
  let value: unknown;
  try {
    value = pending === null ? call(fn, await askSide(slot)) : pending;
    if (isThenable(value)) value = await value;
  } catch (e) {
    report(slot, FAILED, failure(e));
    return;
  }
  finish(slot, value);
}

for (;;) {
  const unfinished = runReady();
  if (unfinished !== null) {
    await unfinished;
    continue;
  }
  if (Atomics.load(i32, CLOSED) === 1 && jobs.empty) break;
  const parked = idle();
  if (parked !== null) await parked;
}
