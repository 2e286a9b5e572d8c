/**
 * A real, throwaway `redis-server` for tests, demos and benchmarks.
 *
 * Invariants:
 * - One server per {@link startRedisServer} call, on 127.0.0.1 only, on a port
 *   that was free when it started, in its own directory (a temp directory this
 *   module removes on dispose, unless the caller passed `dir`).
 * - `Ready to accept connections` on the server's stdout is the one readiness
 *   signal: the promise settles on it, or rejects with the server's output when
 *   the process exits or fails to spawn first. Nothing polls.
 * - `kill` is idempotent, resolves only once the process has exited, and leaves
 *   the directory (and any AOF in it) for `restart`; `dispose` is `kill` plus
 *   removing a directory this module made. No server outlives its handle's
 *   dispose, and no handle leaks a child on a failed start.
 *
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Thrown by {@link startRedisServer} when the `redis-server` binary cannot be run.
 *
 * @example
 * ```ts
 * import { RedisServerUnavailableError, startRedisServer } from "@gochan/redis/testing";
 * try {
 *   await using server = await startRedisServer();
 *   console.log(server.url);
 * } catch (err) {
 *   if (err instanceof RedisServerUnavailableError) console.log(`install ${err.binary}`);
 *   else throw err;
 * }
 * ```
 */
export class RedisServerUnavailableError extends Error {
  /** The binary that could not be run. */
  readonly binary: string;

  /** @param binary the binary that could not be run. */
  constructor(binary: string) {
    super(`${JSON.stringify(binary)} cannot be run: install Redis (Debian: apt-get install redis-server) or pass { binary }`);
    this.name = "RedisServerUnavailableError";
    this.binary = binary;
  }
}

/**
 * Options of {@link startRedisServer}.
 *
 * @example
 * ```ts
 * import { startRedisServer, type RedisServerOptions } from "@gochan/redis/testing";
 * const options: RedisServerOptions = { appendfsync: "always" }; // every write on disk before the reply
 * await using server = await startRedisServer(options);
 * console.log(server.url);
 * ```
 */
export interface RedisServerOptions {
  /** Turns the append-only file on with this fsync policy; default: no persistence at all. */
  readonly appendfsync?: "always" | "everysec" | "no";
  /** The server's working directory (kept on dispose); default: a new temp directory, removed on dispose. */
  readonly dir?: string;
  /** The program to run; default `"redis-server"` from PATH. */
  readonly binary?: string;
  /** More `redis-server` arguments, e.g. `["--maxmemory", "64mb"]`; they come last, so they win. */
  readonly args?: readonly string[];
}

/**
 * A running `redis-server` started by {@link startRedisServer}.
 *
 * @example
 * ```ts
 * import { startRedisServer } from "@gochan/redis/testing";
 * const server = await startRedisServer({ appendfsync: "always" });
 * await server.kill(); // kill -9: only what the AOF holds survives
 * await server.restart(); // same port, same directory: it loads the AOF
 * await server.dispose();
 * ```
 */
export interface RedisServer {
  /** The TCP port on 127.0.0.1. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, for ioredis or the gochan senders and receivers. */
  readonly url: string;
  /** The server's working directory. */
  readonly dir: string;
  /** Kills the server (SIGKILL by default) and resolves once it has exited; idempotent. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Kills it if it runs, then starts it again on the same port and directory (loading its AOF, if any). */
  restart(): Promise<void>;
  /** Kills it and removes its directory if this module made it. */
  dispose(): Promise<void>;
  /** {@link RedisServer.dispose}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Whether `redis-server` (or `binary`) can be run on this machine.
 *
 * @example
 * ```ts
 * import { redisServerAvailable } from "@gochan/redis/testing";
 * if (!redisServerAvailable()) console.log("apt-get install redis-server");
 * ```
 */
export function redisServerAvailable(binary = "redis-server"): boolean {
  return spawnSync(binary, ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * A TCP port that is free on 127.0.0.1 right now.
 *
 * @internal
 */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/**
 * Starts a `redis-server` on 127.0.0.1 and a free port, in its own directory, and
 * resolves once it accepts connections. For tests, demos and benchmarks that need
 * a real Redis: no Docker, no shared server, kill -9 and restart on demand.
 *
 * @throws {@link RedisServerUnavailableError} when the binary cannot be run.
 * @example
 * ```ts
 * import { RedisSender } from "@gochan/redis";
 * import { startRedisServer } from "@gochan/redis/testing";
 * await using server = await startRedisServer();
 * const queue = new RedisSender<number>({ redis: server.url, key: "jobs" });
 * await queue.send(1);
 * await queue.disconnect();
 * ```
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? "redis-server";
  if (!redisServerAvailable(binary)) throw new RedisServerUnavailableError(binary);
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "gochan-redis-")));
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--daemonize", "no"];
  if (options.appendfsync === undefined) args.push("--appendonly", "no");
  else args.push("--appendonly", "yes", "--appendfsync", options.appendfsync);
  args.push(...(options.args ?? []));

  let child: ChildProcess | null = null;
  const kill = async (signal: NodeJS.Signals = "SIGKILL"): Promise<void> => {
    const running = child;
    child = null; // state first: a second kill, or a restart racing this one, sees no server
    if (running === null || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill(signal);
    await exited;
  };
  const dispose = async (): Promise<void> => {
    await kill();
    if (ownDir) await rm(dir, { recursive: true, force: true });
  };
  try {
    child = await launch(binary, args);
  } catch (err) {
    if (ownDir) await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    kill,
    async restart(): Promise<void> {
      await kill();
      child = await launch(binary, args);
    },
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}

/** Spawns the server; resolves on its ready line, rejects (with its output) if it exits or fails first. */
function launch(binary: string, args: readonly string[]): Promise<ChildProcess> {
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise<ChildProcess>((resolve, reject) => {
    let output = "";
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      reject(new Error(`redis-server exited (${signal ?? String(code)}) before it was ready:\n${output}`));
    const onStdout = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!output.includes("Ready to accept connections")) return;
      child.stdout?.off("data", onStdout);
      child.stdout?.resume(); // keep draining, so a chatty server never blocks on a full pipe
      child.off("exit", onExit);
      resolve(child);
    };
    child.stdout?.on("data", onStdout);
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", onExit);
    child.once("error", reject);
  });
}
