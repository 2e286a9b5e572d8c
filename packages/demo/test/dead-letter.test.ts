/** The dead-letter file: durable group-committed appends, read back, torn lines, failures counted. */
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DeadLetterFile, readDeadLetters } from "../src/dead-letter.js";
import { tempDir } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
async function dir(): Promise<string> {
  const tmp = await tempDir();
  cleanups.push(tmp.remove);
  return tmp.dir;
}
async function readAll(path: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const letter of readDeadLetters(path)) out.push(letter);
  return out;
}

describe("DeadLetterFile", () => {
  it("appends one JSON line per payload, group-committed, and reads them back with their reasons", async () => {
    const path = join(await dir(), "sub", "dead.ndjson");
    const letters = new DeadLetterFile(path);
    await Promise.all(Array.from({ length: 500 }, (_, id) => letters.write({ id }, `reason ${id % 3}`)));
    await letters.write({ id: 500, nested: { a: [1] } }, "late");
    await letters.close();
    expect(letters.written).toBe(501);
    const read = (await readAll(path)) as { at: string; reason: string; payload: { id: number } }[];
    expect(read.map((l) => l.payload.id)).toEqual(Array.from({ length: 501 }, (_, i) => i));
    expect(read[4]).toMatchObject({ reason: "reason 1", payload: { id: 4 } });
    expect(read[500]).toMatchObject({ reason: "late", payload: { id: 500, nested: { a: [1] } } });
    expect(Number.isNaN(Date.parse(read[0]?.at ?? ""))).toBe(false);
    // Far fewer appends than payloads: the body has one line per payload.
    expect((await readFile(path, "utf8")).split("\n")).toHaveLength(502);
  });

  it("appends to an existing file, and skips a torn last line (a crash mid-append)", async () => {
    const path = join(await dir(), "dead.ndjson");
    await writeFile(path, `${JSON.stringify({ at: "t", reason: "old", payload: { id: 1 } })}\n`);
    const letters = new DeadLetterFile(path);
    await letters.write({ id: 2 }, "new");
    await letters.close();
    await appendFile(path, '{"at":"t","reason":"torn","payl');
    expect(((await readAll(path)) as { payload: { id: number } }[]).map((l) => l.payload.id)).toEqual([1, 2]);
  });

  it("reads a missing file as empty", async () => {
    expect(await readAll(join(await dir(), "none.ndjson"))).toEqual([]);
  });

  it("rejects and counts the payloads it could not write", async () => {
    const base = await dir();
    await writeFile(join(base, "file"), "");
    const letters = new DeadLetterFile(join(base, "file", "dead.ndjson")); // a file where a directory should be
    const results = await Promise.allSettled([letters.write({ id: 1 }, "x"), letters.write({ id: 2 }, "x")]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(letters.failed).toBe(2);
    expect(letters.written).toBe(0);
    await letters.close();
  });

  it("recovers once the directory becomes writable: a failed open is retried by the next write", async () => {
    const base = await dir();
    const path = join(base, "later", "dead.ndjson");
    await writeFile(join(base, "later"), ""); // blocks mkdir
    const letters = new DeadLetterFile(path);
    await expect(letters.write({ id: 1 }, "x")).rejects.toThrow();
    const { rm } = await import("node:fs/promises");
    await rm(join(base, "later"));
    await mkdir(join(base, "later"));
    await letters.write({ id: 2 }, "y");
    await letters.close();
    expect(((await readAll(path)) as { payload: { id: number } }[]).map((l) => l.payload.id)).toEqual([2]);
  });
});
