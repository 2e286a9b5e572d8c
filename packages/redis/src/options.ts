/**
 * Options of senders and receivers, their defaults in one place, and their
 * validation (a RangeError or TypeError naming the bad value).
 *
 * @module
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { jsonCodec, type Codec } from "./codec.js";
import type { RedisConnection } from "./connection.js";

/**
 * What senders and receivers of one stream share.
 *
 * @typeParam T - the values carried by the stream.
 *
 * @example
 * ```ts
 * import type { StreamOptions } from "@gochan/redis";
 * const options: StreamOptions<{ id: string }> = { redis: "redis://127.0.0.1:6379", key: "uploads" };
 * ```
 */
export interface StreamOptions<T> {
  /** Where Redis is: a URL or ioredis options. */
  readonly redis: RedisConnection;
  /**
   * The stream's key. Two more keys sit beside it: `<key>:closed` (the close
   * flag) and the dead-letter stream (default `<key>:dead`). On Redis Cluster
   * write the key as `{name}` so all three share a slot.
   */
  readonly key: string;
  /** How values become entries and back. Default: {@link jsonCodec} (strict JSON). */
  readonly codec?: Codec<T>;
  /**
   * While the connection is down, how long a command waits for it to come
   * back before failing with a `ConnectionLostError` (not executed). Default 10,000.
   */
  readonly reconnectWaitMs?: number;
}

/**
 * Options of a {@link RedisSender}.
 *
 * @typeParam T - the values carried by the stream.
 *
 * @example
 * ```ts
 * import type { SenderOptions } from "@gochan/redis";
 * const options: SenderOptions<string> = { redis: "redis://127.0.0.1:6379", key: "jobs", capacity: 50_000 };
 * ```
 */
export interface SenderOptions<T> extends StreamOptions<T> {
  /**
   * The stream's buffer size: how many entries may be in it, not yet
   * acknowledged (waiting or being processed), before `send` waits and
   * `trySend` refuses. Every sender of a stream should use the same value.
   * Default 10,000.
   */
  readonly capacity?: number;
  /** While the stream is full, how often a blocked `send` looks again, in ms. Default 10. */
  readonly pollMs?: number;
}

/**
 * Options of a {@link RedisReceiver}.
 *
 * @typeParam T - the values carried by the stream.
 *
 * @example
 * ```ts
 * import type { ReceiverOptions } from "@gochan/redis";
 * const options: ReceiverOptions<string> = {
 *   redis: "redis://127.0.0.1:6379",
 *   key: "jobs",
 *   prefetch: 100,
 *   claimIdleMs: 60_000,
 *   maxDeliveries: 3,
 * };
 * ```
 */
export interface ReceiverOptions<T> extends StreamOptions<T> {
  /** The consumer group; receivers of one group share the work. Default `"gochan"`. */
  readonly group?: string;
  /** This receiver's name in the group; must be unique. Default `<hostname>-<pid>-<random>`. */
  readonly consumer?: string;
  /**
   * Size of the local buffer (the `messages` channel's capacity), which is
   * also the most entries one read fetches. Default 64.
   */
  readonly prefetch?: number;
  /**
   * An entry delivered to a consumer that has neither acknowledged it nor
   * shown it is alive for this long is claimed by another receiver (the
   * consumer is presumed dead). While a delivery is outstanding its receiver
   * refreshes it every `claimIdleMs / 3`, so long jobs are not stolen.
   * Default 30,000.
   */
  readonly claimIdleMs?: number;
  /** How often this receiver looks for entries to claim, in ms. Default 1,000. */
  readonly claimIntervalMs?: number;
  /**
   * Deliveries an entry gets before it is moved to the dead-letter stream
   * instead of being delivered again. Default 5.
   */
  readonly maxDeliveries?: number;
  /** The dead-letter stream's key. Default `<key>:dead`. */
  readonly deadLetterKey?: string;
  /** How long one XREADGROUP waits for new entries, in ms. Default 1,000. */
  readonly blockMs?: number;
  /**
   * Called with errors the receiver's background loop meets (a
   * `ConnectionLostError` while Redis is away; it keeps retrying). Default:
   * `console.warn`.
   */
  readonly onError?: (error: unknown) => void;
}

/** @internal */
export interface ResolvedStream<T> {
  readonly redis: RedisConnection;
  readonly key: string;
  readonly closedKey: string;
  readonly codec: Codec<T>;
  readonly reconnectWaitMs: number;
}

/** @internal */
export function resolveStream<T>(where: string, options: StreamOptions<T>): ResolvedStream<T> {
  if (typeof options !== "object" || options === null) throw new TypeError(`${where}: options must be an object, got ${String(options)}`);
  const { redis, key, codec } = options;
  if (typeof redis !== "string" && (typeof redis !== "object" || redis === null)) {
    throw new TypeError(`${where}: redis must be a URL string or ioredis options, got ${describe(redis)}`);
  }
  if (typeof key !== "string" || key === "") throw new TypeError(`${where}: key must be a non-empty string, got ${describe(key)}`);
  if (codec !== undefined && (typeof codec?.encode !== "function" || typeof codec.decode !== "function")) {
    throw new TypeError(`${where}: codec must have encode and decode functions, got ${describe(codec)}`);
  }
  const reconnectWaitMs = count(where, "reconnectWaitMs", options.reconnectWaitMs, 10_000, 0);
  return { redis, key, closedKey: `${key}:closed`, codec: codec ?? jsonCodec<T>(), reconnectWaitMs };
}

/** @internal */
export function count(where: string, name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > 2 ** 31 - 1) {
    throw new RangeError(`${where}: ${name} must be an integer from ${min} to 2^31-1, got ${describe(value)}`);
  }
  return value;
}

/** @internal */
export function text(where: string, name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value === "") throw new TypeError(`${where}: ${name} must be a non-empty string, got ${describe(value)}`);
  return value;
}

/** A unique consumer name: a restarted process must not inherit a dead one's entries as its own. @internal */
export function defaultConsumer(): string {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** @internal */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && value !== null) return Array.isArray(value) ? "an array" : "an object";
  return `${String(value)} (${typeof value})`;
}
