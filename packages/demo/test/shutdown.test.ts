/**
 * The shutdown guarantee, end to end, with the server as a real process started
 * by the documented command (`node bin/server.js`, the process that receives the
 * signals): send a burst, SIGTERM the server while its queue is full, wait for
 * exit code 0, then compare the bucket (and the dead-letter file) with the 202s.
 *
 * TSX_TSCONFIG_PATH points tsx at the root tsconfig so `@gochan/*` resolve to
 * the packages' sources, as in the other tests.
 */
import { spawn } from "node:child_process";
import { get } from "node:http";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { checkSink } from "../src/demo.js";
import { listObjects } from "../src/fs-sink.js";
import { LoadGenerator, PayloadState } from "../src/load.js";
import { tempDir, until } from "./helpers.js";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const START = fileURLToPath(new URL("../bin/server.js", import.meta.url));
const ROOT_TSCONFIG = fileURLToPath(new URL("../../../tsconfig.json", import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts the server program; resolves with its URL, its exit and its stderr. */
async function startChild(env: Record<string, string>): Promise<{
  url: string;
  pid: number;
  exited: Promise<number | null>;
  stderr: () => string;
  kill: (signal: NodeJS.Signals) => void;
}> {
  const child = spawn(process.execPath, [START], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, TSX_TSCONFIG_PATH: ROOT_TSCONFIG, HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    void exited.then((code) => reject(new Error(`server exited with ${String(code)} before listening:\n${stderr}`)));
  });
  const { url } = JSON.parse(firstLine) as { url: string };
  return { url, pid: child.pid as number, exited, stderr: () => stderr, kill: (signal) => child.kill(signal) };
}

function scrape(url: string): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    get(`${url}/metrics`, { agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        const samples = new Map<string, number>();
        for (const line of text.split("\n")) {
          if (line !== "" && !line.startsWith("#")) samples.set(line.slice(0, line.lastIndexOf(" ")), Number(line.slice(line.lastIndexOf(" ") + 1)));
        }
        resolve(samples);
      });
    }).on("error", reject);
  });
}

describe("SIGTERM", () => {
  it("drains the queue, flushes the sink and exits 0: the bucket holds exactly the payloads acknowledged with 202", async () => {
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    // One worker writing one fsynced object per payload: the sink is far slower
    // than the HTTP side, so the queue is full when the signal arrives.
    const server = await startChild({
      SINK_DIR: join(tmp.dir, "bucket"),
      DEAD_LETTER_FILE: join(tmp.dir, "dead-letter.ndjson"),
      SINK_BATCH_SIZE: "1",
      MAX_WORKERS: "1",
      MAX_QUEUE: "100",
    });
    const total = 20_000;
    const generator = new LoadGenerator({
      url: server.url,
      totalPayloads: total,
      payloadsPerRequest: 20,
      connections: 8,
      // A 503 is retried (after Retry-After at most); once the server stops, the
      // retries fail without a response: those payloads must not be in the bucket.
    });
    const load = generator.run();
    await until(() => generator.progress().acknowledged >= 150, "150 payloads were acknowledged");
    const before = await scrape(server.url);
    expect(before.get("gochan_pool_jobs_queued")).toBeGreaterThan(0);
    server.kill("SIGTERM");
    const [result, code] = await Promise.all([load, server.exited]);

    expect(code, server.stderr()).toBe(0);
    expect(server.stderr()).toMatch(/SIGTERM received/);
    expect(server.stderr()).toMatch(/pool drained/);
    // The signal landed mid-burst: some payloads were acknowledged, some not.
    expect(result.acknowledged).toBeGreaterThanOrEqual(150);
    expect(result.acknowledged).toBeLessThan(total);
    expect(result.state.some((s) => s !== PayloadState.Acknowledged)).toBe(true);
    // One object per payload: count the objects against the 202s ...
    expect(await listObjects(join(tmp.dir, "bucket"))).toHaveLength(result.acknowledged);
    // ... and compare the ids: none missing, none extra, none twice, none dead-lettered.
    const check = await checkSink(join(tmp.dir, "bucket"), result, join(tmp.dir, "dead-letter.ndjson"));
    expect(check).toMatchObject({ ok: true, missing: 0, unacknowledged: 0, duplicates: 0, malformed: 0, deadLettered: 0 });
  }, 30_000);

  it("at the drain deadline dead-letters what is left and still exits 0: every 202'd payload is stored or in the dead-letter file", async () => {
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    const deadLetterFile = join(tmp.dir, "dead-letter.ndjson");
    const server = await startChild({
      SINK_DIR: join(tmp.dir, "bucket"),
      DEAD_LETTER_FILE: deadLetterFile,
      SINK_BATCH_SIZE: "1",
      MAX_WORKERS: "1",
      MAX_QUEUE: "2000",
      DRAIN_DEADLINE_MS: "200",
    });
    const generator = new LoadGenerator({ url: server.url, totalPayloads: 4000, payloadsPerRequest: 50, connections: 4, retry: false });
    const load = generator.run();
    await until(() => generator.progress().acknowledged >= 1500, "1500 payloads were acknowledged");
    server.kill("SIGTERM");
    const [result, code] = await Promise.all([load, server.exited]);
    expect(code, server.stderr()).toBe(0);
    expect(server.stderr()).toMatch(/drain deadline reached/);
    const check = await checkSink(join(tmp.dir, "bucket"), result, deadLetterFile);
    expect(check).toMatchObject({ ok: true, missing: 0, unacknowledged: 0, duplicates: 0 });
    // One fsynced object per payload cannot drain ~1,500 payloads in 200 ms: the rest went to the file.
    expect(check.deadLettered).toBeGreaterThan(0);
    expect(check.stored + check.deadLettered).toBe(result.acknowledged);
  }, 30_000);

  it("exits 2 with a message naming the bad variable and value when the configuration is invalid", async () => {
    const child = spawn(process.execPath, [START], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, TSX_TSCONFIG_PATH: ROOT_TSCONFIG, MAX_WORKERS: "lots", PORT: "0" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('MAX_WORKERS="lots": must be an integer from 1 to 100000');
  }, 30_000);
});
