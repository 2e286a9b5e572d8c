/**
 * `@gochan/pool`: the Worker / Dispatcher / chan-chan-Job worker pool of
 * "Handling 1 Million Requests per Minute with Go", on `@gochan/core`
 * channels, with the published code's flaws fixed.
 *
 * - {@link Pool}: the pool to use: bounded queue with backpressure, typed
 *   results, `trySubmit`, fire-and-forget `go`, per-job cancellation and
 *   timeouts, groups, pull-based `map` / `mapStream` over any iterable,
 *   graceful shutdown, resizing, metrics and events.
 * - {@link Worker} and {@link Dispatcher}: the seed's two types, for writing
 *   the seed's program almost line for line.
 *
 * @example
 * ```ts
 * import { Pool, QueueFullError } from "@gochan/pool";
 * const pool = new Pool({ maxWorkers: 8, maxQueue: 1000 });
 * const sum = await pool.submit(async () => 1 + 1);
 * try {
 *   void pool.trySubmit(async () => "maybe").catch(console.error);
 * } catch (e) {
 *   if (e instanceof QueueFullError) console.log("busy: answer 503");
 * }
 * await pool.stopAndWait();
 * ```
 *
 * @packageDocumentation
 */
import "./internal-frames.js";
export { Pool } from "./pool.js";
export { Group } from "./group.js";
export { MapStream } from "./map.js";
export type { MapFunction, MapOptions, MapStreamOptions } from "./map.js";
export { Worker } from "./worker.js";
export type { JobHandler, WorkerOptions } from "./worker.js";
export { Dispatcher } from "./dispatcher.js";
export type { DispatcherOptions } from "./dispatcher.js";
export { PoolError, QueueFullError, PoolStoppedError, JobTimeoutError } from "./errors.js";
export type { PoolOptions, JobOptions, GroupOptions, JobFunction } from "./options.js";
export type { WaitOptions } from "./abortable.js";
export type { PoolMetrics, PoolEvent, JobStartEvent, JobEndEvent, JobInfo, JobKind, JobOutcome } from "./metrics.js";
