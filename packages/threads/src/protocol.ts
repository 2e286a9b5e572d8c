/**
 * What a ThreadPool and its threads say to each other, through shared memory
 * only (ring.ts): no message per job.
 *
 * Each thread has one SharedArrayBuffer: header words, `depth` control words,
 * its job ring (pool -> thread) and its result ring (thread -> pool). A job
 * record is [control slot, function index, encoded arguments]; a record with
 * slot NAME_RECORD teaches the thread the name of a function index first. A
 * result record is [control slot, status, encoded value or [error, name]].
 * The pool hands jobs in order and a thread reports every job it was handed,
 * in order, so slot = hand-off number % depth is unique among a thread's jobs
 * in flight and a thread's reports arrive in hand-off order.
 *
 * Values that shared memory cannot hold (MessagePorts) travel beside the
 * rings: a job record whose function index has SIDE_ARGS set, and a report
 * with status DONE_SIDE, carry an empty payload and their value by
 * postMessage (side-transfer.ts has that path and its invariants).
 *
 * The control word of a slot settles every race over one job:
 * - QUEUED -> RUNNING: the thread, before it calls the function (only then);
 * - QUEUED -> CANCELLED: the pool, withdrawing a job not started (the thread
 *   then reports it SKIPPED without running it);
 * - a thread that dies leaves each of its unreported jobs QUEUED (never
 *   started: the pool hands it to another thread, so it runs exactly once) or
 *   RUNNING (it may have run: the pool rejects it with ThreadCrashedError,
 *   never runs it again).
 *
 * Waking, with no lost wake-up and at most one notify per sleep (each side
 * publishes, then checks the other's flag; the sleeper stores 1 in its flag,
 * then re-checks, then sleeps on a word whose value it read before
 * re-checking; a waker swaps the flag 1 -> 2 and notifies only if it won;
 * only the sleeper stores 0 or 1, after it wakes or before it sleeps):
 * - a thread with no job sets IDLE, reads WAKE, re-checks its ring and the
 *   CLOSED word, then sleeps on WAKE (Atomics.wait, blocking, for at most
 *   IDLE_BLOCK_MS; then Atomics.waitAsync so its event loop runs). The pool,
 *   after publishing jobs, bumps WAKE and notifies if it swaps IDLE 1 -> 2;
 *   after CLOSED, always.
 * - the pool's pump reads BELL, drains every result ring, sets
 *   MAIN_WAITING to SLEEPING, re-reads BELL and, if unchanged, sleeps on it
 *   with Atomics.waitAsync (the main thread never blocks): for at most
 *   WATCHDOG_MS, or, if results flowed or it then sees a thread's UNRUNG
 *   set, and swaps SLEEPING -> POLLING, for at most its poll interval
 *   (below). A thread, after
 *   publishing a result, bumps BELL and notifies if it swaps MAIN_WAITING
 *   SLEEPING or POLLING -> RUNG.
 * - a thread whose result ring is full sets RESULT_WAIT, rings BELL and
 *   sleeps on the ring's head word; the pool notifies it after draining.
 * - a thread that still holds jobs after the one it reports publishes the
 *   result and sets UNRUNG (a bell per result cost the pool a wake-up per
 *   job, as much CPU as a ~30 us job itself); it rings only if the pump is
 *   SLEEPING (a long sleep that would not see the flag), and always with the
 *   last job of its ring. The pump clears UNRUNG, then drains (so a result
 *   published before the flag is seen); it stores SLEEPING before it looks
 *   at the UNRUNG flags, and a thread stores UNRUNG before it looks at
 *   MAIN_WAITING, so either the pump sees the flag and polls, or the thread
 *   sees SLEEPING and rings: a result waits at most about one poll
 *   interval (POLL_MS_MAX at most), even behind a long job, and a busy
 *   thread's ring is refilled every interval.
 * - the poll interval (RESULT_POLL_MS to POLL_MS_MAX) follows the rings:
 *   after a drain, if a ring that reported holds fewer jobs than the most
 *   any ring reported (it would run dry before the next poll at that rate)
 *   the interval halves; if every ring that reported holds at least 3 times
 *   that, it doubles. Each wake-up of the main thread costs it about as
 *   much as a few jobs' promises; jobs of ~90 us filled 1 ms polls with ~10
 *   results per thread out of 64 queued. A ring that runs dry rings the
 *   bell anyway (its last job), so a long interval never strands a thread,
 *   and a lone job, always the last of its ring, is never polled for.
 *
 * @module
 */
import type { MessagePort } from "node:worker_threads";

/** Header words of a thread's buffer (Int32 indexes). */
export const JOB_HEAD = 0;
export const JOB_TAIL = 1;
export const RESULT_HEAD = 2;
export const RESULT_TAIL = 3;
export const IDLE = 4;
export const WAKE = 5;
export const CLOSED = 6;
export const RESULT_WAIT = 7;
/** Set by a thread that published a result without ringing the bell (see RESULT_POLL_MS); cleared by the pool before it drains. */
export const UNRUNG = 8;
/** Bytes of the header; the control words follow. */
export const HEADER_BYTES = 64;

/** The pool's words (Int32 indexes of its bell buffer). */
export const BELL = 0;
export const MAIN_WAITING = 1;

/** Values of MAIN_WAITING. */
export const AWAKE = 0;
export const SLEEPING = 1;
export const RUNG = 2;
export const POLLING = 3;

/** The slot of a record that names a function index instead of carrying a job. */
export const NAME_RECORD = -1;

/** Control word values. */
export const SLOT_QUEUED = 1;
export const SLOT_RUNNING = 2;
export const SLOT_CANCELLED = 3;

/** Report statuses. */
export const DONE = 0;
export const FAILED = 1;
export const SKIPPED = 2;

/** The shortest the pump sleeps while results flow or a thread has published results without ringing (UNRUNG); where its poll interval starts. */
export const RESULT_POLL_MS = 1;

/** The longest poll interval: how late, at most, a result published without a bell is seen (see the wake-up rules above). */
export const POLL_MS_MAX = 4;

/** How long an idle thread blocks in Atomics.wait before it lets its event loop run. */
export const IDLE_BLOCK_MS = 2;

/**
 * The longest a parked pump or idle thread sleeps before it re-checks
 * everything anyway. The protocol above loses no wake-up; this bounds the
 * stall if a platform ever did (one hang was seen once, in a run under
 * `--cpu-prof` on a machine with a load average of 24, and never again).
 */
export const WATCHDOG_MS = 1000;

/** workerData of a pool thread. */
export interface ThreadData {
  module: string;
  /** The thread's buffer (layout above). */
  shared: SharedArrayBuffer;
  /** The pool's bell words. */
  bell: SharedArrayBuffer;
  depth: number;
  /** Capacity of the job ring in bytes; the result ring has 4x. */
  bytes: number;
  /** Where the thread posts results holding MessagePorts (side-transfer.ts). */
  side: MessagePort;
}

/** Byte offsets of a thread's rings in its buffer. */
export function layout(depth: number, bytes: number): { jobs: number; results: number; total: number } {
  const jobs = HEADER_BYTES + ((4 * depth + 7) & ~7);
  const results = jobs + bytes;
  return { jobs, results, total: results + 4 * bytes };
}
