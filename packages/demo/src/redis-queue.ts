/**
 * `QUEUE=redis`: the server's payloads go to a Redis stream (`@gochan/redis`)
 * instead of its in-process pool; worker processes (src/redis-worker.ts)
 * upload them. The server answers 202 only once Redis has every payload of
 * the request (one atomic add: all or none, 503 if the stream is full).
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `QUEUE` | `pool` | `redis` for this mode |
 * | `REDIS_URL` | `redis://127.0.0.1:6379` | where Redis is |
 * | `REDIS_KEY` | `gochan-demo:payloads` | the stream |
 * | `REDIS_CAPACITY` | `100000` | most payloads in the stream not yet uploaded (503 beyond) |
 *
 * Each payload must have an `id` (a string or an integer): the workers name
 * the object after it, so a payload delivered twice overwrites itself.
 *
 * @module
 */
import { RedisSender } from "@gochan/redis";
import type { DurableQueue } from "./durable-queue.js";

/**
 * The Redis side of the demo's configuration.
 *
 * @example
 * ```ts
 * const config = redisQueueConfig({ QUEUE: "redis", REDIS_URL: "redis://127.0.0.1:6380" });
 * console.log(config?.key); // "gochan-demo:payloads"
 * ```
 */
export interface RedisQueueConfig {
  readonly url: string;
  readonly key: string;
  readonly capacity: number;
}

/**
 * Reads the Redis queue's configuration: undefined unless `QUEUE=redis`.
 *
 * @throws RangeError naming a bad `QUEUE` or `REDIS_CAPACITY`.
 */
export function redisQueueConfig(env: Readonly<Record<string, string | undefined>>): RedisQueueConfig | undefined {
  const queue = env["QUEUE"] ?? "pool";
  if (queue === "pool") return undefined;
  if (queue !== "redis") throw new RangeError(`QUEUE=${JSON.stringify(queue)}: must be "pool" or "redis"`);
  const capacityText = env["REDIS_CAPACITY"] ?? "100000";
  const capacity = Number(capacityText);
  if (!/^\d+$/.test(capacityText) || capacity < 1 || capacity > 2 ** 31 - 1) {
    throw new RangeError(`REDIS_CAPACITY=${JSON.stringify(capacityText)}: must be an integer from 1 to 2^31-1`);
  }
  return { url: env["REDIS_URL"] ?? "redis://127.0.0.1:6379", key: env["REDIS_KEY"] ?? "gochan-demo:payloads", capacity };
}

/**
 * The server's queue on a Redis stream.
 *
 * @example
 * ```ts
 * const queue = new RedisPayloadQueue({ url: "redis://127.0.0.1:6379", key: "payloads", capacity: 100_000 });
 * console.log(await queue.offer([{ id: 1 }])); // true: Redis has it
 * await queue.close();
 * ```
 */
export class RedisPayloadQueue implements DurableQueue {
  readonly description: string;
  readonly #sender: RedisSender<unknown>;

  constructor(config: RedisQueueConfig) {
    this.description = `${config.url} ${config.key}`;
    this.#sender = new RedisSender<unknown>({ redis: config.url, key: config.key, capacity: config.capacity });
  }

  offer(payloads: readonly unknown[]): Promise<boolean> {
    for (let i = 0; i < payloads.length; i++) {
      const id = (payloads[i] as { id?: unknown }).id;
      if (!(typeof id === "string" && /^[\w.-]{1,200}$/.test(id)) && !(typeof id === "number" && Number.isSafeInteger(id) && id >= 0)) {
        return Promise.reject(new TypeError(`payloads[${i}].id must be a non-negative integer or a string of [A-Za-z0-9_.-], got ${JSON.stringify(id) ?? "nothing"}`));
      }
    }
    return this.#sender.trySendMany(payloads);
  }

  close(): Promise<void> {
    return this.#sender.disconnect();
  }
}
