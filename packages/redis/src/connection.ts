/**
 * Connections: every connection this package opens is an ioredis client with
 * the options that keep delivery honest, whatever the caller passed.
 *
 * @module
 */
import { Redis, type RedisOptions } from "ioredis";

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

/**
 * Opens a client. Forced options:
 * - `autoResendUnfulfilledCommands: false`: a command whose reply was lost is
 *   never resent behind the caller's back (a resent XADD would add the entry
 *   twice); the caller gets a ConnectionLostError saying it may have run.
 * - `enableAutoPipelining: true`: concurrent sends share round trips.
 * - `lazyConnect: false` so errors surface early; the client reconnects with
 *   ioredis's default backoff and commands issued meanwhile wait for it (up
 *   to `maxRetriesPerRequest` attempts, default 20).
 */
export function connect(connection: RedisConnection, name: string): Redis {
  // Legacy reply mapping: replies as arrays, which the scripts' callers expect.
  const forced = { autoResendUnfulfilledCommands: false, enableAutoPipelining: true, connectionName: name, replyMapping: "legacy" } as const;
  const client = typeof connection === "string" ? new Redis(connection, forced) : new Redis({ ...connection, ...forced });
  // Connection errors reach the caller through each command's promise; without a
  // listener ioredis would also print every reconnect failure.
  client.on("error", ignore);
  return client;
}

function ignore(): void {}

/** Closes a client: politely (QUIT) if it is connected, else at once. */
export async function disconnect(client: Redis): Promise<void> {
  if (client.status === "ready") {
    try {
      await client.quit();
      return;
    } catch {
      // fall through: the connection is already gone
    }
  }
  client.disconnect();
}
