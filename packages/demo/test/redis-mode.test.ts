/**
 * The demo's Redis mode across processes, with kill -9: the HTTP server
 * (QUEUE=redis) and two worker processes (src/redis-worker.ts) on a real
 * redis-server (AOF, appendfsync everysec). A client posts payloads with ids,
 * retrying each request until it is answered 202. Mid-run, one worker and the
 * server are killed with SIGKILL and started again. At the end every
 * acknowledged payload is in the bucket exactly once: one object per id,
 * holding that payload.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisSender } from "@gochan/redis";
import { freePort, redisAvailable, startRedis, type RedisServer } from "../../redis/test/redis-server.js";
import { tempDir } from "./helpers.js";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const ROOT_TSCONFIG = fileURLToPath(new URL("../../../tsconfig.json", import.meta.url));
const SERVER = fileURLToPath(new URL("../src/server.ts", import.meta.url));
const WORKER = fileURLToPath(new URL("../src/redis-worker.ts", import.meta.url));
const KEY = "demo-chaos";
const REQUESTS = 40;
const PER_REQUEST = 50;

function post(port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/payloads", method: "POST", agent: false, headers: { "Content-Type": "application/json" } });
    req.on("error", reject);
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.end(body);
  });
}

describe.skipIf(!redisAvailable())("the demo's Redis mode under kill -9", () => {
  let redis: RedisServer;
  let bucket: { dir: string; remove: () => Promise<void> };
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    redis = await startRedis({ appendfsync: "everysec" });
    bucket = await tempDir();
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await redis.dispose();
    await bucket.remove();
  });

  async function start(program: string, env: Record<string, string>): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
    const child = spawn(process.execPath, ["--import", "tsx", program], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, TSX_TSCONFIG_PATH: ROOT_TSCONFIG, QUEUE: "redis", REDIS_URL: redis.url, REDIS_KEY: KEY, SINK_DIR: bucket.dir, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", () => resolve());
      void exited.then((code) => reject(new Error(`${program} exited (${String(code)}) before it was ready`)));
    });
    return { child, exited };
  }

  const stored = async (): Promise<string[]> =>
    (await readdir(join(bucket.dir, "payloads", "by-id")).catch(() => [] as string[])).filter((f) => !f.startsWith("."));

  it("every payload answered 202 is in the bucket exactly once", async () => {
    const port = await freePort();
    const serverEnv = { HOST: "127.0.0.1", PORT: String(port), REDIS_CAPACITY: "1000" };
    const workerEnv = { MAX_WORKERS: "16", CLAIM_IDLE_MS: "300" };
    let server = await start(SERVER, serverEnv);
    const victim = await start(WORKER, workerEnv);
    const survivor = await start(WORKER, workerEnv);

    const acknowledged = new Set<string>();
    let failures = 0;
    let next = 0;
    const client = async (): Promise<void> => {
      for (let r = next++; r < REQUESTS; r = next++) {
        const payloads = Array.from({ length: PER_REQUEST }, (_, j) => ({ id: `p${r * PER_REQUEST + j}`, body: `request ${r}` }));
        const body = JSON.stringify({ payloads });
        for (;;) {
          const status = await post(port, body).catch(() => 0);
          if (status === 202) break;
          failures++;
          await new Promise((res) => setTimeout(res, 20));
        }
        for (const p of payloads) acknowledged.add(p.id);
      }
    };
    const clients = Promise.all([client(), client(), client(), client()]);

    while ((await stored()).length < (REQUESTS * PER_REQUEST) / 5) await new Promise((r) => setTimeout(r, 10));
    victim.child.kill("SIGKILL");
    server.child.kill("SIGKILL");
    expect(await victim.exited).toBe(null);
    expect(await server.exited).toBe(null);
    server = await start(SERVER, serverEnv);
    const restarted = await start(WORKER, workerEnv);
    await clients;

    // Wait until every entry is acknowledged (the stream is empty), then stop the workers gracefully.
    const probe = new RedisSender<unknown>({ redis: redis.url, key: KEY });
    while ((await probe.length()) > 0) await new Promise((r) => setTimeout(r, 20));
    await probe.disconnect();
    for (const w of [survivor, restarted, server]) w.child.kill("SIGTERM");
    expect(await survivor.exited).toBe(0);
    expect(await restarted.exited).toBe(0);
    expect(await server.exited).toBe(0);

    const files = await stored();
    expect(acknowledged.size).toBe(REQUESTS * PER_REQUEST);
    expect(files.map((f) => f.replace(/\.ndjson$/, "")).sort()).toEqual([...acknowledged].sort());
    for (const f of files.slice(0, 50)) {
      const lines = (await readFile(join(bucket.dir, "payloads", "by-id", f), "utf8")).split("\n").filter((l) => l !== "");
      expect(lines).toHaveLength(1);
      expect((JSON.parse(lines[0] as string) as { id: string }).id).toBe(f.replace(/\.ndjson$/, ""));
    }
    // The kill really cut requests off.
    expect(failures).toBeGreaterThan(0);
  });
});
