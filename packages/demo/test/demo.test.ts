/**
 * The demo command: its options, the sink check (which must be able to fail),
 * and one small end-to-end run as a process, as `pnpm demo` runs it.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { DeadLetterFile } from "../src/dead-letter.js";
import { checkSink, parseDemoArgs } from "../src/demo.js";
import { FsSink } from "../src/fs-sink.js";
import { PayloadState, quantile, type LoadResult } from "../src/load.js";
import { tempDir } from "./helpers.js";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const ROOT_TSCONFIG = fileURLToPath(new URL("../../../tsconfig.json", import.meta.url));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("parseDemoArgs", () => {
  it("has defaults sized for a 10-20 s run", () => {
    expect(parseDemoArgs([], {})).toEqual({
      payloads: 1_000_000,
      perRequest: 100,
      connections: 16,
      workers: 2048,
      queue: 20_000,
      batch: 1000,
      payloadBytes: 200,
      sinkDir: undefined,
      durationMs: undefined,
    });
  });

  it("reads a sustained-mode duration in ms, s or m, and refuses anything else", () => {
    expect(parseDemoArgs(["--duration", "60s"], {}).durationMs).toBe(60_000);
    expect(parseDemoArgs(["--duration=1500ms"], {}).durationMs).toBe(1500);
    expect(parseDemoArgs([], { DEMO_DURATION: "2m" }).durationMs).toBe(120_000);
    expect(() => parseDemoArgs(["--duration", "soon"], {})).toThrow('a duration must look like 60s, 1500ms or 2m, got "soon"');
  });

  it("reads flags in both forms and the environment; flags win", () => {
    const options = parseDemoArgs(["--payloads=5000", "--per-request", "50", "--sink-dir", "/tmp/b"], {
      DEMO_PAYLOADS: "1",
      DEMO_CONNECTIONS: "3",
      MAX_WORKERS: "9",
    });
    expect(options).toMatchObject({ payloads: 5000, perRequest: 50, connections: 3, workers: 9, sinkDir: "/tmp/b" });
  });

  it("names the bad flag or variable", () => {
    expect(() => parseDemoArgs(["--payloads", "many"], {})).toThrow('--payloads must be an integer >= 1, got "many"');
    expect(() => parseDemoArgs([], { DEMO_PER_REQUEST: "0" })).toThrow('DEMO_PER_REQUEST must be an integer >= 1, got "0"');
    expect(() => parseDemoArgs(["--fast"], {})).toThrow('unknown option "--fast"');
    expect(() => parseDemoArgs(["--queue"], {})).toThrow("option --queue needs a value");
  });
});

describe("quantile", () => {
  it("is the nearest-rank quantile", () => {
    const values = Float64Array.from([5, 1, 4, 2, 3]);
    expect([0.01, 0.5, 0.99, 1].map((q) => quantile(values, q))).toEqual([1, 3, 5, 5]);
    expect(quantile(new Float64Array(0), 0.5)).toBeNaN();
  });
});

describe("checkSink", () => {
  /** A bucket holding the given records, and a load result acknowledging `acked`. */
  async function scenario(
    records: readonly unknown[],
    acked: readonly number[],
    total: number,
    letters: readonly unknown[] = [],
  ): Promise<[string, LoadResult, string]> {
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    const sink = new FsSink({ dir: join(tmp.dir, "bucket"), batchSize: 4 });
    await Promise.all(records.map((r) => sink.put(r)));
    await sink.close();
    const deadLetters = new DeadLetterFile(join(tmp.dir, "dead-letter.ndjson"));
    await Promise.all(letters.map((p) => deadLetters.write(p, "test")));
    await deadLetters.close();
    const state = new Uint8Array(total).fill(PayloadState.Refused);
    for (const id of acked) state[id] = PayloadState.Acknowledged;
    const result: LoadResult = {
      state,
      acknowledged: acked.length,
      statuses: new Map(),
      refusals503: 0,
      networkErrors: 0,
      errorSamples: [],
      latenciesMs: new Float64Array(0),
      startedAt: 0,
      finishedAt: 0,
    };
    return [join(tmp.dir, "bucket"), result, deadLetters.path];
  }
  const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

  it("passes when the sink holds exactly the acknowledged payloads", async () => {
    const check = await checkSink(...(await scenario(ids(10).map((id) => ({ id })), ids(10), 12)));
    expect(check).toEqual({ ok: true, stored: 10, objects: 3, deadLettered: 0, missing: 0, unacknowledged: 0, duplicates: 0, malformed: 0 });
  });

  it("counts an acknowledged payload as not lost when it is read back from the dead-letter file", async () => {
    const records = ids(7).map((id) => ({ id }));
    const letters = [7, 8, 9].map((id) => ({ id }));
    expect(await checkSink(...(await scenario(records, ids(10), 10, letters)))).toMatchObject({
      ok: true,
      stored: 7,
      deadLettered: 3,
      missing: 0,
    });
    // Without the file (or with the payloads absent from it) they are missing.
    const [dir, result] = await scenario(records, ids(10), 10, letters);
    expect(await checkSink(dir, result)).toMatchObject({ ok: false, missing: 3 });
    expect(await checkSink(...(await scenario(records, ids(10), 10, [{ id: 7 }])))).toMatchObject({ ok: false, missing: 2 });
  });

  it("fails on a missing payload", async () => {
    const check = await checkSink(...(await scenario(ids(9).map((id) => ({ id })), ids(10), 10)));
    expect(check).toMatchObject({ ok: false, missing: 1 });
  });

  it("fails on a payload stored without a 202", async () => {
    const check = await checkSink(...(await scenario(ids(10).map((id) => ({ id })), ids(9), 10)));
    expect(check).toMatchObject({ ok: false, unacknowledged: 1 });
  });

  it("fails on a payload stored twice, and on a record without a valid id", async () => {
    expect(await checkSink(...(await scenario([...ids(5), 3].map((id) => ({ id })), ids(5), 5)))).toMatchObject({
      ok: false,
      duplicates: 1,
    });
    expect(await checkSink(...(await scenario([{ id: 0 }, { id: "1" }], [0, 1], 2)))).toMatchObject({
      ok: false,
      malformed: 1,
      missing: 1,
    });
  });
});

describe("pnpm demo", () => {
  it("runs end to end, prints the report and exits 0 when the check passes", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/demo.ts", "--payloads", "6000", "--per-request", "50", "--connections", "4", "--queue", "2000"],
      { cwd: PACKAGE_DIR, env: { ...process.env, TSX_TSCONFIG_PATH: ROOT_TSCONFIG }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/payloads acknowledged +6,000 of 6,000/);
    expect(stdout).toMatch(/throughput +[\d,]+ payloads\/minute end to end/);
    expect(stdout).toMatch(/request latency +p50 [\d.,]+ ms, p99 [\d.,]+ ms/);
    expect(stdout).toMatch(/server exit code +0 after SIGTERM/);
    expect(stdout).toMatch(/target +>= 1,000,000 payloads\/minute: (met|missed) over [\d.]+ s \(shorter than a minute/);
    expect(stdout).toContain("check                  OK: every one of the 6,000 acknowledged payloads is stored; nothing else stored, nothing twice");
    // stderr is not a terminal here: plain progress lines, no carriage returns.
    expect(stderr).toMatch(/^progress: 100% /m);
    expect(stderr).not.toContain("\r");
  }, 30_000);
});
