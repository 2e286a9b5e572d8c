/**
 * `@gochan/redis/testing`: a real, throwaway `redis-server` for your tests.
 *
 * @example
 * ```ts
 * import { RedisReceiver, RedisSender } from "@gochan/redis";
 * import { startRedisServer } from "@gochan/redis/testing";
 * await using server = await startRedisServer();
 * const sender = new RedisSender<string>({ redis: server.url, key: "jobs" });
 * const receiver = new RedisReceiver<string>({ redis: server.url, key: "jobs" });
 * await sender.send("hello");
 * const delivery = await receiver.messages.recv(); // undefined once closed and drained
 * await delivery?.ack();
 * await Promise.all([sender.disconnect(), receiver.disconnect()]);
 * ```
 *
 * @module @gochan/redis/testing
 */
export { startRedisServer, redisServerAvailable, RedisServerUnavailableError } from "./redis-server.js";
export type { RedisServer, RedisServerOptions } from "./redis-server.js";
