/** The fs bucket sink: durability contract, group commit, layout, listing, errors. */
import fc from "fast-check";
import { readFile, writeFile, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FsSink, listObjects, readPayloads } from "../src/fs-sink.js";
import { SinkClosedError } from "../src/sink.js";
import { tempDir } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
async function bucket(): Promise<string> {
  const tmp = await tempDir();
  cleanups.push(tmp.remove);
  return tmp.dir;
}
async function all(dir: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const p of readPayloads(dir)) out.push(p);
  return out;
}
/** Every file under dir, temporary ones included. */
async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

describe("FsSink", () => {
  it("resolves put only once the payload is in a complete object on disk", async () => {
    const dir = await bucket();
    const sink = new FsSink({ dir });
    await sink.put({ id: 1, text: "hello" });
    expect(await all(dir)).toEqual([{ id: 1, text: "hello" }]); // no flush needed
    await sink.close();
  });

  it("lays objects out like a bucket: payloads/YYYY/MM/DD/<boot>-<seq>.ndjson", async () => {
    const dir = await bucket();
    const sink = new FsSink({ dir });
    await sink.put({ id: 1 });
    await sink.close();
    const keys = await listObjects(dir);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^payloads\/\d{4}\/\d{2}\/\d{2}\/[0-9a-z]+-[0-9a-f]{6}-00000001\.ndjson$/);
    const body = await readFile(join(dir, ...(keys[0] as string).split("/")), "utf8");
    expect(body).toBe('{"id":1}\n');
  });

  it("groups puts of one turn into objects of at most batchSize payloads", async () => {
    const dir = await bucket();
    const sink = new FsSink({ dir, batchSize: 100, concurrency: 2 });
    await Promise.all(Array.from({ length: 500 }, (_, id) => sink.put({ id })));
    await sink.close();
    const keys = await listObjects(dir);
    expect(keys).toHaveLength(5);
    expect(sink.stats()).toMatchObject({ payloads: 500, objects: 5, failedPayloads: 0 });
    const ids = (await all(dir)).map((p) => (p as { id: number }).id).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it("writes one .json object per payload with batchSize 1", async () => {
    const dir = await bucket();
    const sink = new FsSink({ dir, batchSize: 1, prefix: "in/" });
    await Promise.all(Array.from({ length: 20 }, (_, id) => sink.put({ id })));
    await sink.close();
    const keys = await listObjects(dir);
    expect(keys).toHaveLength(20);
    expect(keys.every((k) => k.startsWith("in/") && k.endsWith(".json"))).toBe(true);
    const expectedBytes = Array.from({ length: 20 }, (_, id) => JSON.stringify({ id }).length + 1).reduce((a, b) => a + b, 0);
    expect(sink.stats()).toMatchObject({ payloads: 20, objects: 20, bytes: expectedBytes });
  });

  it("leaves no temporary file behind and lists only complete objects", async () => {
    const dir = await bucket();
    const sink = new FsSink({ dir, batchSize: 3 });
    await Promise.all(Array.from({ length: 10 }, (_, id) => sink.put({ id })));
    await sink.close();
    expect((await allFiles(dir)).filter((name) => name.startsWith(".tmp-"))).toEqual([]);
    // A crashed write leaves a temporary file: it is not an object.
    await mkdir(join(dir, "payloads", "x"), { recursive: true });
    await writeFile(join(dir, "payloads", "x", ".tmp-crashed.ndjson"), '{"id":');
    expect(await listObjects(dir)).toHaveLength(4);
    expect(await all(dir)).toHaveLength(10);
  });

  it("rejects puts after close with SinkClosedError, and non-JSON values with TypeError", async () => {
    const dir = await bucket();
    const sink = new FsSink({ dir });
    await expect(sink.put(undefined)).rejects.toBeInstanceOf(TypeError);
    await expect(sink.put(10n)).rejects.toBeInstanceOf(TypeError);
    await sink.close();
    await expect(sink.put({ id: 1 })).rejects.toBeInstanceOf(SinkClosedError);
    await expect(sink.put({ id: 1 })).rejects.toThrow(`sink fs:${dir} is closed`);
  });

  it("rejects the puts of an object it cannot write, counts them, and still flushes", async () => {
    const dir = await bucket();
    const file = join(dir, "not-a-directory");
    await writeFile(file, "");
    const sink = new FsSink({ dir: file, batchSize: 2 });
    const results = await Promise.allSettled([sink.put({ id: 1 }), sink.put({ id: 2 }), sink.put({ id: 3 })]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    await sink.close();
    expect(sink.stats()).toMatchObject({ payloads: 0, objects: 0, failedPayloads: 3 });
  });

  it("validates its options", () => {
    expect(() => new FsSink({ dir: "/tmp/x", batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => new FsSink({ dir: "/tmp/x", concurrency: 1.5 })).toThrow(/concurrency must be a positive integer, got 1.5/);
    expect(() => new FsSink({ dir: "/tmp/x", prefix: "../up/" })).toThrow(/relative key prefix/);
  });

  it("stores every payload exactly once under any interleaving of bursts, turns and flushes; readers never see a partial object (property)", async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant("burst" as const), size: fc.integer({ min: 1, max: 25 }) }),
      fc.record({ kind: fc.constant("turn" as const) }),
      fc.record({ kind: fc.constant("flush" as const) }),
      fc.record({ kind: fc.constant("read" as const) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(step, { minLength: 1, maxLength: 12 }),
        async (batchSize, concurrency, steps) => {
          const tmp = await tempDir();
          try {
            const sink = new FsSink({ dir: tmp.dir, batchSize, concurrency });
            const puts: Promise<void>[] = [];
            let next = 0;
            for (const s of steps) {
              if (s.kind === "burst") for (let i = 0; i < s.size; i++) puts.push(sink.put({ id: next++ }));
              else if (s.kind === "turn") await new Promise((resolve) => setImmediate(resolve));
              else if (s.kind === "flush") {
                const before = puts.length;
                await sink.flush();
                // flush covers every put started before it
                const settled = await Promise.allSettled(puts.slice(0, before));
                expect(settled.every((r) => r.status === "fulfilled")).toBe(true);
                expect(sink.stats().payloads).toBeGreaterThanOrEqual(before);
              } else {
                // Concurrent reads parse every object fully: objects appear atomically.
                const seen = await all(tmp.dir);
                expect(seen.length).toBeLessThanOrEqual(next);
              }
            }
            await sink.close();
            await Promise.all(puts);
            const ids = (await all(tmp.dir)).map((p) => (p as { id: number }).id).sort((a, b) => a - b);
            expect(ids).toEqual(Array.from({ length: next }, (_, i) => i));
            const keys = await listObjects(tmp.dir);
            expect(sink.stats()).toMatchObject({ payloads: next, objects: keys.length, failedPayloads: 0 });
            for (const key of keys) {
              const lines = (await readFile(join(tmp.dir, ...key.split("/")), "utf8")).split("\n").filter((l) => l !== "");
              expect(lines.length).toBeGreaterThanOrEqual(1);
              expect(lines.length).toBeLessThanOrEqual(batchSize);
            }
          } finally {
            await tmp.remove();
          }
        },
      ),
      { numRuns: 25, seed: 424242 },
    );
  }, 30_000);
});
