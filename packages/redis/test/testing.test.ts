import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { RedisServerUnavailableError, startRedisServer, type RedisServer } from "../src/testing/index.js";
import { redisAvailable } from "./redis-server.js";

describe("@gochan/redis/testing: startRedisServer", () => {
  it("refuses a binary that cannot run with a typed error naming it", async () => {
    const err = await startRedisServer({ binary: "/nonexistent/redis-server-xyz" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisServerUnavailableError);
    expect((err as RedisServerUnavailableError).binary).toBe("/nonexistent/redis-server-xyz");
    expect((err as Error).message).toContain('"/nonexistent/redis-server-xyz"');
  });

  describe.skipIf(!redisAvailable())("with redis-server installed", () => {
    let server: RedisServer | undefined;
    afterEach(async () => {
      await server?.dispose();
      server = undefined;
    });

    async function get(url: string, key: string): Promise<string | null> {
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on("error", () => {}); // the refusal reaches the caller through connect()
      try {
        await client.connect();
        return await client.get(key);
      } finally {
        client.disconnect();
      }
    }

    it("serves on 127.0.0.1, keeps the AOF across kill -9 and restart, and removes its own directory on dispose", async () => {
      server = await startRedisServer({ appendfsync: "always" });
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      const client = new Redis(server.url);
      await client.set("k", "v");
      client.disconnect();
      await server.kill();
      await server.kill(); // idempotent: resolves, kills nothing twice
      await expect(get(server.url, "k")).rejects.toThrow();
      await server.restart();
      expect(await get(server.url, "k")).toBe("v");
      const dir = server.dir;
      await server.dispose();
      server = undefined;
      expect(existsSync(dir)).toBe(false);
    });

    it("keeps a directory the caller passed, and disposes through await using", async () => {
      const dir = await mkdtemp(join(tmpdir(), "gochan-redis-own-"));
      try {
        let url = "";
        {
          await using s = await startRedisServer({ dir, appendfsync: "always" });
          url = s.url;
          const client = new Redis(url);
          await client.set("k", "v");
          client.disconnect();
        }
        await expect(get(url, "k")).rejects.toThrow(); // stopped at the end of the block
        expect((await readdir(dir)).length).toBeGreaterThan(0); // its AOF is still there
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("rejects with the server's output when it exits before it is ready, and leaves no directory behind", async () => {
      const before = (await readdir(tmpdir())).filter((n) => n.startsWith("gochan-redis-")).length;
      const err = await startRedisServer({ args: ["--no-such-option", "1"] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/exited .* before it was ready[\s\S]*no-such-option/i);
      const after = (await readdir(tmpdir())).filter((n) => n.startsWith("gochan-redis-")).length;
      expect(after).toBe(before);
    });
  });
});
