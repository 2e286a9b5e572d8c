/**
 * Transferables that shared memory cannot carry (a MessagePort, a stream),
 * moved into ThreadPool jobs and out of them beside the rings, by
 * postMessage. A job whose transfer list holds only ArrayBuffers never comes
 * here (transfer.ts moves those into the bytes the ring carries).
 *
 * Arguments, pool -> thread: `take` moves the value and its list at submit
 * (one structuredClone with the list as its transfer list) into a
 * {@link SideValue} the job holds on this thread; the ring carries the job
 * with an empty argument list and SIDE_ARGS set on its function index. The
 * thread, once it has won its slot's QUEUED -> RUNNING (protocol.ts), asks
 * for the value over its parentPort and waits for the answer; the pool posts
 * the value to that one thread, moved (`answer`).
 *
 * Results, thread -> pool: a job that returns `transfer(value, list)` with a
 * list holding anything but ArrayBuffers has its value posted, moved, on the
 * thread's side port (a MessageChannel made with the thread, read with
 * receiveMessageOnPort only, never listened to) and then reports DONE_SIDE
 * with an empty payload; the pool, reading that report from the ring,
 * receives the value from the side port synchronously.
 *
 * Invariants:
 * - Moved or untouched: `take` checks the value (codec.ts, the listed objects
 *   allowed) and the list before it moves anything, and structuredClone
 *   moves all of the list or, throwing, none of it; the caller's objects are
 *   detached at submit (as ArrayBuffers are), or, on a TransferError or
 *   UncloneableValueError, still the caller's and usable.
 * - One owner at a time: a moved object is held by exactly one of the job on
 *   this thread, one message in flight to one thread, the job's function,
 *   one message in flight back, the caller. Nothing is copied, so nothing is
 *   delivered twice.
 * - Only a thread that started the job gets its arguments: the pool answers
 *   an ask only for a job that thread holds and that is not settled, and a
 *   thread asks only after it won RUNNING. So a job that a dying thread never
 *   started still holds its value on this thread and runs once elsewhere,
 *   with it.
 * - Every object without an owner is closed (`discard`: a MessagePort is
 *   closed, its peer sees `close`; a ReadableStream is cancelled, a
 *   WritableStream aborted), never left in limbo: a job settled before its
 *   thread asked (cancelled while queued or before it started, dropped by
 *   stop, its thread dead before the answer) has its value discarded when it
 *   settles; a value posted to a thread that exits dies with it (Node closes
 *   the ports of a dead thread and of messages nobody will read); a result
 *   value the pool receives for a job already settled (cancelled while
 *   running), or finds on the side port of a thread that died before
 *   reporting it, is discarded.
 * - In order: a thread posts its side result before it publishes the
 *   DONE_SIDE report (postMessage queues the message before it returns), and
 *   the pool reads reports in order, so the value is on the side port when
 *   the pool reads the report, and the n-th DONE_SIDE report owns the n-th
 *   side message.
 *
 * @module
 */
import { MessagePort, parentPort, receiveMessageOnPort, type TransferListItem, type Worker } from "node:worker_threads";
import { holdThread, releaseThread } from "./keep-alive.js";
import { discard, SideValue, take } from "./moved-value.js";

export { discard, SideValue, take };

/** Set on a job record's function index: the arguments come by message, asked for once the job has started. */
export const SIDE_ARGS = 1 << 30;

/** A report status (beside protocol.ts's DONE, FAILED, SKIPPED): done, its value on the side port. */
export const DONE_SIDE = 3;

const SIDE_ASK = "gochan:side-ask";
const SIDE_ANSWER = "gochan:side-answer";

/** Whether `list` holds anything an ArrayBuffer-only move cannot take. */
export function needsSide(list: readonly unknown[]): boolean {
  for (const x of list) if (!(x instanceof ArrayBuffer)) return true;
  return false;
}

/** The side value a thread posted before the report just read, or null if there is none. */
export function receive(port: MessagePort): SideValue | null {
  const m = receiveMessageOnPort(port) as { message: [unknown, TransferListItem[]] } | undefined;
  return m === undefined ? null : new SideValue(m.message[0], m.message[1]);
}

/** Discards every side value a dead thread left unreported on `port`, and closes the port. */
export function drain(port: MessagePort): void {
  for (let s = receive(port); s !== null; s = receive(port)) discard(s);
  port.close();
}

/** A job as far as answering its thread's ask goes. */
interface AskedJob {
  side: SideValue | null;
  state: number;
}

/**
 * Answers a thread's ask for the arguments of the job in `slot` (false if
 * `m` is not an ask): the value, moved, if the job is `live` and still holds
 * it; else null (the job was settled, its value discarded).
 */
export function answer(worker: Worker, slots: readonly (AskedJob | null)[], live: (job: AskedJob) => boolean, m: unknown): boolean {
  if (!Array.isArray(m) || m[0] !== SIDE_ASK) return false;
  const slot = m[1] as number;
  const job = slots[slot] ?? null;
  const side = job !== null && live(job) ? job.side : null;
  if (side === null || side.sent) worker.postMessage([SIDE_ANSWER, slot, null, []]);
  else side.postTo(worker, [SIDE_ANSWER, slot]);
  return true;
}

// ---- The thread's end ----

/** Asks the pool for the arguments of the job in `slot`, which this thread has started. */
export function ask(slot: number): Promise<unknown[]> {
  const port = parentPort as NonNullable<typeof parentPort>;
  holdThread(); // the thread waits for the answer even if user code unref'd its parentPort
  return new Promise((resolve, reject) => {
    const onAnswer = (m: unknown): void => {
      if (!Array.isArray(m) || m[0] !== SIDE_ANSWER || m[1] !== slot) return;
      port.off("message", onAnswer);
      releaseThread();
      if (m[2] === null) reject(new Error("the job's moved arguments were discarded: it was settled before it started"));
      else resolve(m[2] as unknown[]);
    };
    port.on("message", onAnswer);
    port.postMessage([SIDE_ASK, slot]);
  });
}

/**
 * Posts a job's result on the side port if it is a {@link Transferred} whose
 * list needs the side path (the job's objects are detached): true, and the
 * caller reports DONE_SIDE. False for any other result.
 */
export function sendResult(port: MessagePort, marked: { value: unknown; list: readonly TransferListItem[] } | null): boolean {
  if (marked === null || !needsSide(marked.list)) return false;
  take(marked.value, marked.list).postTo(port, []);
  return true;
}

