/**
 * The sending end of a stream: Go's `chan<- T` across processes. A send
 * resolves once Redis has added the entry (XADD); the stream's capacity bounds
 * the entries not yet acknowledged, so a full stream pushes back on senders as
 * a full buffered channel does.
 *
 * @module
 */
import type { Codec } from "./codec.js";
import { Link } from "./connection.js";
import { ConnectionLostError, StreamClosedError } from "./errors.js";
import { count, resolveStream, type SenderOptions } from "./options.js";
import { ADD, runScript } from "./scripts.js";
import { sleep } from "./sleep.js";

const CLOSED = -1;
const FULL = 0;

/**
 * Sends values into a Redis stream. Any number of senders, in any number of
 * processes, may share a stream.
 *
 * `close()` closes the stream itself, for every sender everywhere (a flag in
 * Redis that every add checks atomically); receivers end once they have
 * drained it. A process that only stops sending calls `disconnect()`, which
 * leaves the stream open.
 *
 * @typeParam T - the values carried by the stream.
 *
 * @example
 * ```ts
 * import { RedisSender } from "@gochan/redis";
 * const jobs = new RedisSender<{ id: string }>({ redis: "redis://127.0.0.1:6379", key: "jobs", capacity: 1000 });
 * await jobs.send({ id: "a" }); // resolves once Redis has the entry; waits while 1000 are unacknowledged
 * if (!(await jobs.trySend({ id: "b" }))) console.log("full: answer 503");
 * await jobs.disconnect();
 * ```
 */
export class RedisSender<T> {
  /** The stream's key. */
  readonly key: string;
  /** The most entries the stream holds before sends wait (see {@link SenderOptions.capacity}). */
  readonly capacity: number;
  readonly #closedKey: string;
  readonly #codec: Codec<T>;
  readonly #pollMs: number;
  readonly #link: Link;
  #disconnected = false;

  /**
   * Opens a connection to Redis for this sender.
   *
   * @throws TypeError or RangeError naming a bad option.
   */
  constructor(options: SenderOptions<T>) {
    const stream = resolveStream("new RedisSender", options);
    this.key = stream.key;
    this.#closedKey = stream.closedKey;
    this.#codec = stream.codec;
    this.capacity = count("new RedisSender", "capacity", options.capacity, 10_000, 1);
    this.#pollMs = count("new RedisSender", "pollMs", options.pollMs, 10, 1);
    this.#link = new Link(stream.redis, `gochan-sender:${stream.key}`, stream.reconnectWaitMs);
  }

  /**
   * Sends a value, waiting while the stream is full. Resolves with the entry's
   * id once Redis has added it.
   *
   * Rejects with {@link SerializationError} if the codec cannot encode the value
   * (nothing is sent), {@link StreamClosedError} if the stream is closed,
   * {@link ConnectionLostError} if Redis could not be reached (its `ambiguous`
   * says whether the entry may have been added; it is never resent silently).
   * Aborting `signal` while the send waits for room withdraws it (nothing is
   * added) and rejects with `signal.reason`.
   */
  async send(value: T, signal?: AbortSignal): Promise<string> {
    return (await this.sendMany([value], signal))[0] as string;
  }

  /**
   * Sends several values atomically: all are added, in order, or none (while
   * they do not all fit, it waits). Resolves with their ids. Rejects as
   * {@link RedisSender.send} does.
   *
   * @throws RangeError (as a rejection) if more values are given than the capacity.
   */
  async sendMany(values: readonly T[], signal?: AbortSignal): Promise<string[]> {
    const args = this.#encode("RedisSender.sendMany", values);
    for (;;) {
      signal?.throwIfAborted();
      const ids = await this.#add(args);
      if (ids !== null) return ids;
      await sleep(this.#pollMs, signal);
    }
  }

  /**
   * Sends without waiting: true once Redis has added the entry, false (nothing
   * added) if the stream is full. Rejects as {@link RedisSender.send} does.
   */
  async trySend(value: T): Promise<boolean> {
    return this.trySendMany([value]);
  }

  /** Sends several values atomically without waiting: true if all were added, false (none added) if they do not fit. */
  async trySendMany(values: readonly T[]): Promise<boolean> {
    return (await this.#add(this.#encode("RedisSender.trySendMany", values))) !== null;
  }

  /** The number of entries in the stream not yet acknowledged (Go's `len(ch)`, read from Redis). */
  async length(): Promise<number> {
    return this.#link.run("XLEN", (c) => c.xlen(this.key));
  }

  /**
   * Closes the stream, for every sender on every machine: later sends reject
   * with {@link StreamClosedError}; entries already added are still delivered,
   * and receivers end once all are acknowledged. Closing a closed stream is a
   * no-op (not Go's panic: several processes may race to close). The
   * connection stays open; call {@link RedisSender.disconnect} too.
   */
  async close(): Promise<void> {
    await this.#link.run("SET", (c) => c.set(this.#closedKey, "1"));
  }

  /** Closes this sender's connection; the stream stays open for other senders. Idempotent. */
  async disconnect(): Promise<void> {
    if (this.#disconnected) return;
    this.#disconnected = true;
    await this.#link.quit();
  }

  #encode(where: string, values: readonly T[]): (string | number)[] {
    if (!Array.isArray(values)) throw new TypeError(`${where}: values must be an array`);
    if (values.length > this.capacity) {
      throw new RangeError(`${where}: ${values.length} values can never fit a stream of capacity ${this.capacity}`);
    }
    const args: (string | number)[] = [this.key, this.#closedKey, this.capacity];
    for (const value of values) args.push(this.#codec.encode(value));
    return args;
  }

  /** One atomic attempt: the ids, or null if the stream is full. */
  async #add(args: readonly (string | number)[]): Promise<string[] | null> {
    if (this.#disconnected) throw new ConnectionLostError("XADD", false, new Error("the sender was disconnected"));
    const reply = await this.#link.run("XADD", (c) => runScript(c, ADD, args));
    if (reply === CLOSED) throw new StreamClosedError(this.key);
    if (reply === FULL) return null;
    return reply as string[];
  }
}
