/**
 * The shutdown guarantee, end to end, with the server as a real process:
 * send a burst, SIGTERM the server while its queue is full, wait for exit code
 * 0, then compare the bucket with the 202s: one object per acknowledged payload,
 * exactly the acknowledged ids.
 *
 * The child runs src/server.ts with tsx; TSX_TSCONFIG_PATH points at the root
 * tsconfig so `@gochan/*` resolve to the packages' sources, as in the other tests.
 */
import { spawn } from "node:child_process";
import { get } from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { checkSink } from "../src/demo.js";
import { listObjects } from "../src/fs-sink.js";
import { LoadGenerator, PayloadState } from "../src/load.js";
import { tempDir, until } from "./helpers.js";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const SERVER = fileURLToPath(new URL("../src/server.ts", import.meta.url));
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
  const child = spawn(process.execPath, ["--import", "tsx", SERVER], {
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
    const server = await startChild({ SINK_DIR: tmp.dir, SINK_BATCH_SIZE: "1", MAX_WORKERS: "1", MAX_QUEUE: "1000" });
    const total = 20_000;
    const generator = new LoadGenerator({
      url: server.url,
      totalPayloads: total,
      payloadsPerRequest: 20,
      connections: 8,
      retry: false, // a 503 is final here: its payloads must not be in the bucket
    });
    const load = generator.run();
    await until(() => generator.progress().acknowledged >= 1000, "1000 payloads were acknowledged");
    const before = await scrape(server.url);
    expect(before.get("gochan_pool_jobs_queued")).toBeGreaterThan(0);
    server.kill("SIGTERM");
    const [result, code] = await Promise.all([load, server.exited]);

    expect(code, server.stderr()).toBe(0);
    expect(server.stderr()).toMatch(/SIGTERM received/);
    expect(server.stderr()).toMatch(/pool drained/);
    // The signal landed mid-burst: some payloads were acknowledged, some not.
    expect(result.acknowledged).toBeGreaterThanOrEqual(1000);
    expect(result.acknowledged).toBeLessThan(total);
    expect(result.state.some((s) => s !== PayloadState.Acknowledged)).toBe(true);
    // One object per payload: count the objects against the 202s ...
    expect(await listObjects(tmp.dir)).toHaveLength(result.acknowledged);
    // ... and compare the ids: none missing, none extra, none twice.
    const check = await checkSink(tmp.dir, result);
    expect(check).toMatchObject({ ok: true, missing: 0, unacknowledged: 0, duplicates: 0, malformed: 0 });
  }, 30_000);

  it("exits 2 with a message naming the bad variable and value when the configuration is invalid", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", SERVER], {
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
