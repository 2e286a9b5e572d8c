/**
 * kill -9 of a worker process mid-run: the payloads it held (read, not
 * acknowledged) are claimed by the other worker and by its restarted self;
 * at the end every payload Redis accepted is in the sink exactly once (a file
 * per payload id), nothing is left in the stream and nothing was dead-lettered.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { RedisSender } from "@gochan/redis";
import { redisAvailable, startRedis, type RedisServer } from "./redis-server.js";

const WORKER = fileURLToPath(new URL("./fixtures/worker.ts", import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const N = 1500;

describe.skipIf(!redisAvailable())("chaos: kill -9 a worker process mid-run", () => {
  let server: RedisServer;
  let dir: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    server = await startRedis({ appendfsync: "everysec" });
    dir = await mkdtemp(join(tmpdir(), "gochan-redis-chaos-"));
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await server.dispose();
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}.log`, { force: true });
  });

  async function worker(): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(ROOT, "tsconfig.json"), REDIS_URL: server.url, KEY: "chaos", SINK_DIR: dir, CLAIM_IDLE_MS: "300" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", () => resolve());
      void exited.then((code) => reject(new Error(`worker exited (${String(code)}) before it was ready`)));
    });
    return { child, exited };
  }

  const uploads = async (): Promise<string[]> => (await readFile(`${dir}.log`, "utf8").catch(() => "")).split("\n").filter((l) => l !== "");

  it("every accepted payload ends up in the sink exactly once", async () => {
    const sender = new RedisSender<{ id: string; body: string }>({ redis: server.url, key: "chaos", capacity: 500 });
    const redis = new Redis(server.url);
    const a = await worker();
    const b = await worker();
    const accepted: string[] = [];
    const produce = (async (): Promise<void> => {
      for (let i = 0; i < N; i += 50) {
        const batch = Array.from({ length: 50 }, (_, j) => ({ id: `p${i + j}`, body: `payload ${i + j}` }));
        await sender.sendMany(batch);
        accepted.push(...batch.map((p) => p.id));
      }
    })();
    // Mid-run, with entries in the victim's hands: kill -9.
    while ((await uploads()).length < N / 4) await new Promise((r) => setTimeout(r, 10));
    const held = (await redis.xpending("chaos", "gochan")) as [number, ...unknown[]];
    a.child.kill("SIGKILL");
    expect(await a.exited).toBe(null);
    const restarted = await worker();
    await produce;
    await sender.close();
    expect(await b.exited).toBe(0);
    expect(await restarted.exited).toBe(0);

    const files = (await readdir(dir)).filter((f) => !f.startsWith("."));
    expect(files.sort()).toEqual([...accepted].sort());
    for (const f of ["p0", `p${N - 1}`]) expect(await readFile(join(dir, f), "utf8")).toBe(`payload ${f.slice(1)}`);
    expect(await redis.xlen("chaos")).toBe(0);
    expect(await redis.xlen("chaos:dead")).toBe(0);
    // Something was really in flight when the worker died.
    expect(held[0]).toBeGreaterThan(0);
    expect((await uploads()).length).toBeGreaterThanOrEqual(N);
    redis.disconnect();
    await sender.disconnect();
  });
});
