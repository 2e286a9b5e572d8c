/**
 * `pnpm demo --queue redis`: the payload server with its queue in Redis,
 * across processes, end to end.
 *
 * 1. Starts a redis-server (AOF on, `appendfsync` as asked) on a free port in a
 *    temporary directory, unless `REDIS_URL` names one to use.
 * 2. Starts the HTTP server (src/server.ts, `QUEUE=redis`: 202 only once Redis
 *    has every payload of the request) and N worker processes
 *    (src/redis-worker.ts), each uploading to the same bucket, one object per
 *    payload id.
 * 3. Drives the server with the load generator, waits until every payload is
 *    acknowledged in Redis (the stream is empty), stops the workers and the
 *    server with SIGTERM (each must exit 0).
 * 4. Checks the bucket holds exactly the payloads answered 202, and prints the
 *    end-to-end rate.
 *
 * Options (flag or environment variable):
 *   --payloads N        DEMO_PAYLOADS        payloads in all (default 200000)
 *   --per-request N     DEMO_PER_REQUEST     payloads per request (default 100)
 *   --connections N     DEMO_CONNECTIONS     concurrent connections (default 16)
 *   --redis-workers N   DEMO_REDIS_WORKERS   worker processes (default 2)
 *   --appendfsync MODE  DEMO_APPENDFSYNC     always | everysec | no (default everysec)
 *   --sink-dir PATH     DEMO_SINK_DIR        keep the bucket here
 *   (env only)          REDIS_URL            use this Redis instead of starting one
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { RedisSender } from "@gochan/redis";
import { redisServerAvailable, startRedisServer, type RedisServer } from "@gochan/redis/testing";
import { checkSink } from "./demo.js";
import { LoadGenerator } from "./load.js";

const SRC = dirname(fileURLToPath(import.meta.url));
const PACKAGE_DIR = resolve(SRC, "..");
const KEY = "gochan-demo:payloads";

/**
 * The Redis demo's options.
 *
 * @example
 * ```ts
 * const options = parseRedisDemoArgs(["--payloads", "1000", "--redis-workers", "3"], {});
 * console.log(options.workers); // 3
 * ```
 */
export interface RedisDemoOptions {
  readonly payloads: number;
  readonly perRequest: number;
  readonly connections: number;
  readonly workers: number;
  readonly appendfsync: "always" | "everysec" | "no";
  readonly sinkDir: string | undefined;
  readonly redisUrl: string | undefined;
}

const FLAGS: Record<string, string> = {
  "--payloads": "DEMO_PAYLOADS",
  "--per-request": "DEMO_PER_REQUEST",
  "--connections": "DEMO_CONNECTIONS",
  "--redis-workers": "DEMO_REDIS_WORKERS",
  "--appendfsync": "DEMO_APPENDFSYNC",
  "--sink-dir": "DEMO_SINK_DIR",
};

/**
 * Reads the options (flags win over environment variables).
 *
 * @throws RangeError naming a bad flag or value.
 */
export function parseRedisDemoArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): RedisDemoOptions {
  const values: Record<string, string | undefined> = {};
  for (const flag in FLAGS) values[FLAGS[flag] as string] = env[FLAGS[flag] as string];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (name === "--queue" && value === "redis") continue;
    const variable = FLAGS[name];
    if (variable === undefined) throw new RangeError(`demo --queue redis: unknown option ${JSON.stringify(arg)}`);
    values[variable] = value;
  }
  const int = (variable: string, fallback: number, min: number): number => {
    const text = values[variable];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min) throw new RangeError(`${variable}=${JSON.stringify(text)}: must be an integer >= ${min}`);
    return n;
  };
  const fsync = values["DEMO_APPENDFSYNC"] ?? "everysec";
  if (fsync !== "always" && fsync !== "everysec" && fsync !== "no") {
    throw new RangeError(`DEMO_APPENDFSYNC=${JSON.stringify(fsync)}: must be always, everysec or no`);
  }
  const sinkDir = values["DEMO_SINK_DIR"];
  return {
    payloads: int("DEMO_PAYLOADS", 200_000, 1),
    perRequest: int("DEMO_PER_REQUEST", 100, 1),
    connections: int("DEMO_CONNECTIONS", 16, 1),
    workers: int("DEMO_REDIS_WORKERS", 2, 1),
    appendfsync: fsync,
    sinkDir: sinkDir === undefined || sinkDir === "" ? undefined : resolve(sinkDir),
    redisUrl: env["REDIS_URL"],
  };
}

/** Spawns a program and resolves with its first stdout line (its "ready" line). */
async function startChild(command: string, args: string[], env: Record<string, string>, log: (line: string) => void): Promise<{ child: ChildProcess; first: string; exited: Promise<number | null> }> {
  const child = spawn(command, args, { cwd: PACKAGE_DIR, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", log);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolveLine, reject) => {
    lines.once("line", resolveLine);
    void exited.then((code) => reject(new Error(`${args.at(-1) ?? command} exited (${String(code)}) before it was ready`)));
  });
  return { child, first, exited };
}

/**
 * Runs the Redis demo; resolves with the exit code (0: the bucket holds exactly
 * the acknowledged payloads and every process exited 0).
 */
export async function runRedisDemo(options: RedisDemoOptions): Promise<number> {
  const out = (line = ""): void => void process.stdout.write(`${line}\n`);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const dir = options.sinkDir ?? (await mkdtemp(join(tmpdir(), "gochan-demo-redis-")));
  const children: ChildProcess[] = [];
  process.on("exit", () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  });
  let redisServer: RedisServer | undefined;
  process.on("exit", () => void redisServer?.kill()); // kill() signals synchronously
  let url = options.redisUrl;
  if (url === undefined) {
    if (!redisServerAvailable()) {
      log("redis-server is not installed (Debian: apt-get install redis-server), or set REDIS_URL");
      return 2;
    }
    redisServer = await startRedisServer({ appendfsync: options.appendfsync });
    url = redisServer.url;
  }
  out(`gochan demo, Redis mode: ${options.payloads} payloads, ${options.workers} worker processes, Redis ${url} (appendfsync ${options.appendfsync}), bucket ${dir}`);
  const env = { QUEUE: "redis", REDIS_URL: url, REDIS_KEY: KEY, SINK_DIR: dir, HOST: "127.0.0.1", PORT: "0" };
  const tsx = ["--import", "tsx"];
  const server = await startChild(process.execPath, [...tsx, join(SRC, "server.ts")], env, log);
  children.push(server.child);
  const workers = await Promise.all(Array.from({ length: options.workers }, () => startChild(process.execPath, [...tsx, join(SRC, "redis-worker.ts")], env, log)));
  for (const w of workers) children.push(w.child);

  const t0 = performance.now();
  const result = await new LoadGenerator({
    url: (JSON.parse(server.first) as { url: string }).url,
    totalPayloads: options.payloads,
    payloadsPerRequest: options.perRequest,
    connections: options.connections,
  }).run();
  const accepted = performance.now();
  const probe = new RedisSender<unknown>({ redis: url, key: KEY });
  while ((await probe.length()) > 0) await new Promise((r) => setTimeout(r, 50));
  await probe.disconnect();
  const done = performance.now();
  for (const c of [...workers, server]) c.child.kill("SIGTERM");
  const codes = await Promise.all([...workers, server].map((c) => c.exited));
  const check = await checkSink(dir, result);
  const perMinute = (n: number, ms: number): string => Math.round((n / ms) * 60_000).toLocaleString("en-US");
  out(`  answered 202: ${result.acknowledged} payloads in ${((accepted - t0) / 1000).toFixed(1)} s (${perMinute(result.acknowledged, accepted - t0)}/min into Redis)`);
  out(`  uploaded end to end in ${((done - t0) / 1000).toFixed(1)} s: ${perMinute(result.acknowledged, done - t0)} payloads/min`);
  out(`  bucket: ${check.stored} payloads, ${check.missing} missing, ${check.unacknowledged} not acknowledged, ${check.duplicates} twice`);
  out(`  exit codes: workers ${codes.slice(0, -1).join(", ")}, server ${String(codes.at(-1))}`);
  await redisServer?.dispose();
  if (options.sinkDir === undefined) await rm(dir, { recursive: true, force: true });
  const ok = check.ok && codes.every((c) => c === 0);
  out(ok ? "  OK: every payload answered 202 is in the bucket exactly once" : "  FAILED");
  return ok ? 0 : 1;
}
