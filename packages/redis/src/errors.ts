/**
 * Errors raised by `@gochan/redis`. Each is a class usable with `instanceof`;
 * a send on a closed stream is also core's `SendOnClosedError` and carries
 * Go's message.
 *
 * @module
 */
import { SendOnClosedError } from "@gochan/core";

/**
 * Base class of the errors this package raises about Redis itself (as opposed
 * to misuse, which raises `TypeError` / `RangeError`).
 *
 * @example
 * ```ts
 * import { RedisChanError, RedisSender } from "@gochan/redis";
 * const sender = new RedisSender<number>({ redis: "redis://127.0.0.1:6379", key: "jobs" });
 * try {
 *   await sender.send(1);
 * } catch (e) {
 *   if (e instanceof RedisChanError) console.error("Redis trouble:", e.message);
 * }
 * await sender.disconnect();
 * ```
 */
export class RedisChanError extends Error {
  /** @internal */
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The connection to Redis was lost (or could not be made) while a command was
 * on its way. The client reconnects on its own; this error says what became of
 * the one command.
 *
 * - For a send, {@link ConnectionLostError.ambiguous} tells whether Redis may
 *   have added the entry before the connection dropped (the reply was lost).
 *   Sends are never resent silently: a retry by the caller may then add it
 *   twice, which is why consumers should be idempotent by payload id.
 * - For `ack`/`nack` this error is only raised once the receiver gives up
 *   (it is closed); until then an ack is retried after reconnection, which is
 *   safe because acknowledging is idempotent. An entry whose ack never landed
 *   stays pending and is delivered again: late, never lost.
 *
 * @example
 * ```ts
 * import { ConnectionLostError, RedisSender } from "@gochan/redis";
 * const sender = new RedisSender<string>({ redis: "redis://127.0.0.1:6379", key: "jobs" });
 * try {
 *   await sender.send("hello");
 * } catch (e) {
 *   if (e instanceof ConnectionLostError && e.ambiguous) console.warn("may have been queued");
 * }
 * await sender.disconnect();
 * ```
 */
export class ConnectionLostError extends RedisChanError {
  /** The Redis command that was interrupted (`"XADD"`, `"XACK"`, ...). */
  readonly command: string;
  /** True when Redis may have executed the command before its reply was lost. */
  readonly ambiguous: boolean;

  /** @internal */
  constructor(command: string, ambiguous: boolean, cause: unknown) {
    super(
      `redis: connection lost during ${command}${ambiguous ? " (it may have been executed)" : " (it was not executed)"}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.command = command;
    this.ambiguous = ambiguous;
  }
}

/**
 * A value that the codec cannot turn into a stream entry (or an entry it
 * cannot turn back into a value). The default JSON codec refuses, instead of
 * silently changing, anything JSON would not give back as it was: functions,
 * symbols, bigints, `undefined` outside an object property, non-finite
 * numbers, class instances (Date, Map, ...) and cycles. {@link SerializationError.path}
 * names where in the value the problem is.
 *
 * @example
 * ```ts
 * import { jsonCodec, SerializationError } from "@gochan/redis";
 * try {
 *   jsonCodec<unknown>().encode({ when: new Date(0) });
 * } catch (e) {
 *   if (e instanceof SerializationError) console.log(e.path); // "value.when"
 * }
 * ```
 */
export class SerializationError extends RedisChanError {
  /** Where in the value the offending part is, e.g. `value.payloads[3].when`. */
  readonly path: string;

  /** @internal */
  constructor(path: string, reason: string, cause?: unknown) {
    super(`redis: cannot serialize ${path}: ${reason}`, cause === undefined ? undefined : { cause });
    this.path = path;
  }
}

/**
 * Sending on a stream that was closed (by any sender, on any machine, with
 * `RedisSender.close`). It is core's `SendOnClosedError` ("send on closed
 * channel"), so code written for local channels catches it unchanged.
 *
 * @example
 * ```ts
 * import { SendOnClosedError } from "@gochan/core";
 * import { RedisSender, StreamClosedError } from "@gochan/redis";
 * const sender = new RedisSender<number>({ redis: "redis://127.0.0.1:6379", key: "closed-demo" });
 * await sender.close();
 * await sender.send(1).catch((e) => console.log(e instanceof StreamClosedError, e instanceof SendOnClosedError));
 * await sender.disconnect();
 * ```
 */
export class StreamClosedError extends SendOnClosedError {
  /** The key of the closed stream. */
  readonly key: string;

  /** @internal */
  constructor(key: string) {
    super();
    this.name = "StreamClosedError";
    this.key = key;
  }
}

/** Maps an ioredis failure to a typed error: Redis's own replies pass through. @internal */
export function fromRedisError(command: string, error: unknown, ambiguousIfSent: boolean): unknown {
  if (!(error instanceof Error) || error instanceof RedisChanError) return error;
  if (error.name === "ReplyError") return error;
  // Queued while offline and flushed after too many reconnect attempts: never sent.
  const neverSent = error.name === "MaxRetriesPerRequestError" || /enableOfflineQueue|isn't writeable/.test(error.message);
  return new ConnectionLostError(command, ambiguousIfSent && !neverSent, error);
}

/** Whether an error means the connection, not the command, failed. @internal */
export function isConnectionLost(error: unknown): error is ConnectionLostError {
  return error instanceof ConnectionLostError;
}
