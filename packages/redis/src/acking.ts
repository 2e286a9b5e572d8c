/**
 * The bridge from a plain job handler to deliveries: run the handler on the
 * value, ack on success, nack on failure.
 *
 * @module
 */
import type { Delivery } from "./delivery.js";

/**
 * Wraps a job handler so it takes {@link Delivery} objects: it runs `handler`
 * on the delivery's value, then acks the entry; if the handler throws or
 * rejects, it nacks the entry (delivered again later, dead-lettered after
 * `maxDeliveries`) and rethrows the handler's error, so a pool's `onError`
 * still sees it. The ack happens only after the handler succeeded: at least
 * once.
 *
 * @typeParam T - the values carried by the stream.
 *
 * @example
 * ```ts
 * import { Dispatcher } from "@gochan/pool";
 * import { RedisReceiver, acking } from "@gochan/redis";
 * interface Job { payload: { name: string } }
 * const JobQueue = new RedisReceiver<Job>({ redis: "redis://127.0.0.1:6379", key: "jobs" }).messages;
 * const dispatcher = new Dispatcher(JobQueue, 8, acking(async (job: Job) => console.log("upload", job.payload.name)));
 * dispatcher.run();
 * ```
 */
export function acking<T>(handler: (value: T) => unknown): (delivery: Delivery<T>) => Promise<void> {
  if (typeof handler !== "function") throw new TypeError(`acking: handler must be a function, got ${typeof handler}`);
  return async (delivery: Delivery<T>): Promise<void> => {
    try {
      await handler(delivery.value);
    } catch (error) {
      try {
        await delivery.nack();
      } catch (nackError) {
        // The entry is still pending: it comes back after claimIdleMs instead of at once.
        throw new AggregateError([error, nackError], `job failed (${String(error)}) and its nack failed too`);
      }
      throw error;
    }
    await delivery.ack();
  };
}
