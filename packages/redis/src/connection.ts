/**
 * Connections: every connection this package opens is an ioredis client with
 * the options that keep delivery honest, behind a Link that settles every
 * command, whatever happens to the connection.
 *
 * Why a Link: with `autoResendUnfulfilledCommands: false` (needed: a resent
 * XADD would add an entry twice), ioredis 6 drops the commands that were
 * written but unanswered when the connection closed, and their promises never
 * settle. The Link tracks its commands and rejects those with a
 * ConnectionLostError (`ambiguous`: Redis may have run them) on `close`. With
 * the offline queue off, every command is written at once, so "unanswered at
 * close" is exactly "may have run"; a command asked for while the connection
 * is down waits for it (up to `reconnectWaitMs`) before being written.
 * Auto-pipelining stays off: with it, commands batched while the connection
 * dropped were neither answered nor rejected (seen with ioredis 6.0.0 in the
 * restart test); ioredis writes each command at once anyway, so concurrent
 * commands still share the socket without waiting for each other's replies.
 *
 * @module
 */
import { Redis, type RedisOptions } from "ioredis";
import { ConnectionLostError, fromRedisError } from "./errors.js";

/**
 * Where Redis is: a URL (`redis://host:port/db`, `rediss://` for TLS) or
 * ioredis options. Each sender and receiver opens its own connections (a
 * receiver two: one blocks in XREADGROUP).
 *
 * @example
 * ```ts
 * import type { RedisConnection } from "@gochan/redis";
 * const byUrl: RedisConnection = "redis://127.0.0.1:6379";
 * const byOptions: RedisConnection = { host: "127.0.0.1", port: 6379, db: 0 };
 * ```
 */
export type RedisConnection = string | RedisOptions;

interface Command {
  readonly name: string;
  readonly reject: (error: unknown) => void;
}

/** One connection and the commands in flight on it. @internal */
export class Link {
  readonly client: Redis;
  readonly #reconnectWaitMs: number;
  readonly #inflight = new Set<Command>();
  #waiting: Promise<void> | null = null;

  constructor(connection: RedisConnection, name: string, reconnectWaitMs: number) {
    const forced = {
      autoResendUnfulfilledCommands: false,
      enableOfflineQueue: false,
      connectionName: name,
      replyMapping: "legacy",
    } as const;
    this.client = typeof connection === "string" ? new Redis(connection, forced) : new Redis({ ...connection, ...forced });
    this.#reconnectWaitMs = reconnectWaitMs;
    // Errors reach callers through their commands; without a listener ioredis
    // would also print every failed reconnection attempt.
    this.client.on("error", ignore);
    this.client.on("close", () => this.#cut());
  }

  /** Runs one command (or script call): its reply, or a typed error; never a promise left pending. */
  async run<T>(name: string, op: (client: Redis) => Promise<T>): Promise<T> {
    if (this.client.status !== "ready") await this.#ready(name);
    return new Promise<T>((resolve, reject) => {
      const command: Command = { name, reject };
      this.#inflight.add(command);
      op(this.client).then(
        (reply) => {
          if (this.#inflight.delete(command)) resolve(reply);
        },
        (error: unknown) => {
          if (this.#inflight.delete(command)) reject(fromRedisError(name, error, true));
        },
      );
    });
  }

  /** Closes the connection now; commands in flight reject. */
  disconnect(): void {
    this.client.disconnect();
  }

  /** Closes politely (QUIT) if connected, else at once. */
  async quit(): Promise<void> {
    if (this.client.status === "ready") {
      try {
        await this.client.quit();
        return;
      } catch {
        // already gone
      }
    }
    this.client.disconnect();
  }

  #cut(): void {
    const lost = [...this.#inflight];
    this.#inflight.clear();
    for (const c of lost) c.reject(new ConnectionLostError(c.name, true, new Error("the connection closed before Redis replied")));
  }

  #ready(name: string): Promise<void> {
    const client = this.client;
    if (client.status === "end") {
      return Promise.reject(new ConnectionLostError(name, false, new Error("the connection was closed")));
    }
    // Commands waiting for the same reconnection share one wait (one pair of listeners).
    if (this.#waiting === null) {
      this.#waiting = this.#waitReady(name);
      const clear = (): void => {
        this.#waiting = null;
      };
      this.#waiting.then(clear, clear);
    }
    return this.#waiting;
  }

  #waitReady(name: string): Promise<void> {
    const client = this.client;
    return new Promise<void>((resolve, reject) => {
      const done = (error?: unknown): void => {
        clearTimeout(timer);
        client.off("ready", onReady);
        client.off("end", onEnd);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onReady = (): void => done();
      const onEnd = (): void => done(new ConnectionLostError(name, false, new Error("the connection was closed")));
      const timer = setTimeout(
        () => done(new ConnectionLostError(name, false, new Error(`Redis unreachable for ${this.#reconnectWaitMs} ms`))),
        this.#reconnectWaitMs,
      );
      client.on("ready", onReady);
      client.on("end", onEnd);
    });
  }
}

function ignore(): void {}
