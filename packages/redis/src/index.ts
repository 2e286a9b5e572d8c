/**
 * `@gochan/redis`: gochan channels across processes, on Redis Streams.
 *
 * - {@link RedisSender}: `send` resolves once Redis has the entry; a bounded
 *   stream pushes back; `close` closes the stream for everyone.
 * - {@link RedisReceiver}: a consumer group read as a core `RecvChan` of
 *   {@link Delivery} objects (select, for await, AbortSignal, the pool's job
 *   queue), at least once: ack after success, dead consumers' entries claimed,
 *   retries, a dead-letter stream.
 *
 * @example
 * ```ts
 * import { Dispatcher } from "@gochan/pool";
 * import { RedisReceiver, RedisSender, acking } from "@gochan/redis";
 * const redis = "redis://127.0.0.1:6379";
 * const queue = new RedisSender<{ name: string }>({ redis, key: "uploads", capacity: 10_000 });
 * await queue.send({ name: "a.json" }); // Redis has it: safe to answer 202
 *
 * // in each worker process:
 * const receiver = new RedisReceiver<{ name: string }>({ redis, key: "uploads" });
 * const dispatcher = new Dispatcher(receiver.messages, 8, acking(async (p: { name: string }) => console.log(p.name)));
 * dispatcher.run();
 * ```
 *
 * @module @gochan/redis
 */
export { RedisSender } from "./sender.js";
export { RedisReceiver } from "./receiver.js";
export { Delivery } from "./delivery.js";
export type { NackOptions } from "./delivery.js";
export { acking } from "./acking.js";
export { jsonCodec } from "./codec.js";
export type { Codec } from "./codec.js";
export type { RedisConnection } from "./connection.js";
export type { StreamOptions, SenderOptions, ReceiverOptions } from "./options.js";
export { RedisChanError, ConnectionLostError, SerializationError, StreamClosedError } from "./errors.js";
