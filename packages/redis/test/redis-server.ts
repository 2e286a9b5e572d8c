/**
 * A real Redis for the tests: each test file starts its own `redis-server` on
 * 127.0.0.1 and a free port, in a temp directory, and can kill -9 and restart
 * it. Without the binary the tests are skipped locally and fail under CI=true.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Whether redis-server is installed; under CI=true a missing binary is an error, not a skip. */
export function redisAvailable(): boolean {
  const found = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).status === 0;
  if (!found && process.env.CI === "true") {
    throw new Error("redis-server is not installed: .ci/run installs it (apt-get install -y redis-server)");
  }
  return found;
}

export interface RedisServerOptions {
  /** appendonly yes with this appendfsync; default: no persistence at all. */
  readonly appendfsync?: "always" | "everysec" | "no";
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL by default: nothing is flushed beyond what appendfsync wrote). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory (loading its AOF, if any). */
  restart(): Promise<void>;
  /** Kills it and removes its directory. */
  dispose(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

function launch(port: number, dir: string, options: RedisServerOptions): Promise<ChildProcess> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--daemonize", "no"];
  if (options.appendfsync === undefined) args.push("--appendonly", "no");
  else args.push("--appendonly", "yes", "--appendfsync", options.appendfsync);
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise<ChildProcess>((resolve, reject) => {
    let out = "";
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (out.includes("Ready to accept connections")) {
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${out}`)));
    child.once("error", reject);
  });
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "gochan-redis-test-"));
  const port = await freePort();
  let child: ChildProcess | null = await launch(port, dir, options);
  const kill = async (signal: NodeJS.Signals = "SIGKILL"): Promise<void> => {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once("exit", () => resolve()));
    c.kill(signal);
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    async restart(): Promise<void> {
      await kill();
      child = await launch(port, dir, options);
    },
    async dispose(): Promise<void> {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
