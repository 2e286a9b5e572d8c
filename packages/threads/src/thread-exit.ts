/**
 * Telling shared channels that a thread is gone.
 *
 * @module
 */
import { Domain } from "./domain.js";

/**
 * Tells every shared channel this thread knows that the worker thread with
 * Node thread id `threadId` has exited or crashed, so nothing waits for it:
 * its parked operations are dropped, and a value a sender handed to one of its
 * receives (not yet picked up) goes to the next receiver instead of being
 * lost. A ThreadPool calls it for its threads; call it from your own Worker's
 * `exit` event (`worker.threadId` read before the exit).
 *
 * A thread terminated while inside a channel operation's critical section (a
 * few microseconds with the channel's lock held) leaves that channel locked;
 * terminate threads that are parked or computing, not mid-operation.
 *
 * @returns whether that thread had used shared channels.
 *
 * @example
 * ```ts
 * import { Worker } from "node:worker_threads";
 * import { threadExited } from "@gochan/threads";
 * const w = new Worker(new URL("./stage.js", import.meta.url));
 * const id = w.threadId;
 * w.on("exit", () => threadExited(id));
 * ```
 */
export function threadExited(threadId: number): boolean {
  return Domain.exited(threadId);
}
