/**
 * `@gochan/threads`: Go channels shared across worker threads (with `select`),
 * and a thread pool for CPU-bound jobs, on `@gochan/core`.
 *
 * @example
 * ```ts
 * import { SharedChan, select, recv } from "@gochan/threads";
 * const ch = new SharedChan<number>(1);
 * await ch.send(42);
 * const r = await select([recv(ch)]);
 * console.log(r.value); // 42
 * ```
 *
 * @packageDocumentation
 */
export { SharedChan } from "./shared-chan.js";
export type { SharedChanOptions, SharedChanHandle, SharedSendOptions } from "./shared-chan.js";
export { select, trySelect, recv, send, SharedRecvCase, SharedSendCase } from "./select.js";
export type { SharedSelectCase, SharedSelectResult, SharedCaseResult, SharedSelectOptions } from "./select.js";
export { UncloneableValueError, ValueTooLargeError, WaiterLimitError, MovedValueError } from "./errors.js";
export { threadExited } from "./thread-exit.js";
export { ThreadPool } from "./thread-pool.js";
export type { ThreadPoolOptions, ThreadJobOptions, ThreadPoolMetrics, JobName, JobArgs, JobResult, StreamName, StreamYield } from "./thread-pool.js";
export { ThreadPoolError, ThreadQueueFullError, ThreadPoolStoppedError, ThreadCrashedError, ThreadJobTimeoutError, TransferError } from "./errors.js";
export type { ThreadPoolEvent, JobStartEvent, JobEndEvent, JobInfo, JobKind, JobOutcome } from "./thread-events.js";
export { ThreadGroup } from "./thread-group.js";
export type { ThreadGroupOptions, GroupJobOptions } from "./thread-group.js";
export { ThreadStream } from "./stream.js";
export type { ThreadStreamOptions } from "./stream.js";
export { transfer, Transferred } from "./transfer.js";
