/**
 * The tests' Redis: `@gochan/redis/testing`'s throwaway server, plus the CI rule.
 * Without the binary the tests are skipped locally and fail under CI=true.
 */
import { redisServerAvailable, startRedisServer, type RedisServer, type RedisServerOptions } from "../src/testing/index.js";

export { freePort } from "../src/testing/redis-server.js";
export type { RedisServer };

/** Whether redis-server is installed; under CI=true a missing binary is an error, not a skip. */
export function redisAvailable(): boolean {
  const found = redisServerAvailable();
  if (!found && process.env.CI === "true") {
    throw new Error("redis-server is not installed: .ci/run installs it (apt-get install -y redis-server)");
  }
  return found;
}

/** A server for one test file (see `startRedisServer`). */
export function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  return startRedisServer(options);
}
