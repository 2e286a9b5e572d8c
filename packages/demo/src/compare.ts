/**
 * `pnpm --filter @gochan/demo compare`: our server against the seed's own Go
 * server (packages/demo/go, a runnable port of the article's handler,
 * Dispatcher and Worker with an fs sink laid out and batched like ours), both
 * driven by the same independent load generator, autocannon, in one run.
 *
 * For every round, batch size (payloads per request) and server, in turn: a
 * fresh server process on a fresh temporary bucket (MAX_WORKERS 2048,
 * MAX_QUEUE 20000 for both); autocannon posts the same body over `connections`
 * keep-alive connections for `duration`; the payloads stored by the end of the
 * load are read from the server's counters; then the server gets up to 60 s to
 * store what it acknowledged; its peak resident memory (VmHWM) is read; ours
 * is stopped with SIGTERM (graceful drain), the seed's with SIGKILL (it has no
 * shutdown). The table gives the median over the rounds.
 *
 * Go rows appear only when `go` is on PATH (the binary is built into a
 * temporary directory). Not part of the tests: it takes minutes.
 *
 * Options: --duration 20s, --rounds 3, --connections 32, --per-request 1,10,100,
 * --quick (2 s, 1 round, 8 connections), --no-go.
 *
 * @module
 */
import autocannon from "autocannon";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseDuration } from "./demo.js";

const PACKAGE_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * Settings of a comparison run.
 *
 * @example
 * ```ts
 * const options: CompareOptions = parseCompareArgs(["--quick"]);
 * ```
 */
export interface CompareOptions {
  readonly durationMs: number;
  readonly rounds: number;
  readonly connections: number;
  readonly perRequest: readonly number[];
  readonly go: boolean;
}

/**
 * Reads the comparison's flags; throws a `RangeError` naming a bad one.
 *
 * @example
 * ```ts
 * parseCompareArgs(["--duration", "5s", "--per-request", "10"]); // 5 s, only 10 per request
 * ```
 */
export function parseCompareArgs(argv: readonly string[]): CompareOptions {
  let options: { -readonly [K in keyof CompareOptions]: CompareOptions[K] } = {
    durationMs: 20_000,
    rounds: 3,
    connections: 32,
    perRequest: [1, 10, 100],
    go: true,
  };
  const positive = (flag: string, raw: string | undefined): number => {
    const n = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${flag} must be a positive integer, got ${JSON.stringify(raw)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const value = (): string | undefined => (eq === -1 ? argv[++i] : arg.slice(eq + 1));
    switch (name) {
      case "--":
        break;
      case "--quick":
        options = { ...options, durationMs: 2000, rounds: 1, connections: 8 };
        break;
      case "--no-go":
        options.go = false;
        break;
      case "--duration": {
        const raw = value();
        if (raw === undefined) throw new RangeError("--duration needs a value");
        options.durationMs = parseDuration(raw);
        break;
      }
      case "--rounds":
        options.rounds = positive(name, value());
        break;
      case "--connections":
        options.connections = positive(name, value());
        break;
      case "--per-request":
        options.perRequest = (value() ?? "").split(",").map((part) => positive(name, part.trim()));
        break;
      default:
        throw new RangeError(`unknown option ${JSON.stringify(arg)}`);
    }
  }
  return options;
}

/** Which server a measurement is of. */
type ServerKind = "gochan" | "seed";

/**
 * One measurement: one server at one batch size for one round.
 *
 * @example
 * ```ts
 * const perMinute = (m: Measurement): number => m.storedPerMinute;
 * ```
 */
export interface Measurement {
  readonly server: ServerKind;
  readonly perRequest: number;
  readonly requestsPerMinute: number;
  readonly acknowledgedPerMinute: number;
  /** Payloads stored during the load window, per minute of load. */
  readonly storedPerMinute: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Peak resident set size of the server process, in bytes (NaN where /proc is missing). */
  readonly peakRssBytes: number;
  readonly acknowledged: number;
  /** Stored once the server was given up to 60 s after the load. */
  readonly storedAfterDrain: number;
  /** Seconds from the end of the load until stored stopped changing or matched acknowledged. */
  readonly drainSeconds: number;
  readonly loadSeconds: number;
}

interface Child {
  readonly child: ChildProcess;
  readonly url: string;
  readonly pid: number;
  readonly exited: Promise<number | null>;
}

async function startChild(command: string, args: readonly string[], env: Record<string, string>): Promise<Child> {
  const child = spawn(command, args, { cwd: PACKAGE_DIR, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    if (stderr.length < 10_000) stderr += chunk;
  });
  const line = await new Promise<string>((resolveLine, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", resolveLine);
    void exited.then((code) => reject(new Error(`${command} exited with ${String(code)} before listening:\n${stderr}`)));
  });
  const { url, pid } = JSON.parse(line) as { url: string; pid: number };
  return { child, url, pid, exited };
}

function fetchText(url: string): Promise<string> {
  return new Promise((resolveText, reject) => {
    get(url, { agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolveText(text));
      res.on("error", reject);
    }).on("error", reject);
  });
}

/** Payloads acknowledged and stored so far, from the server's own counters. */
async function countersOf(server: ServerKind, url: string): Promise<{ acknowledged: number; stored: number }> {
  if (server === "seed") return JSON.parse(await fetchText(`${url}/stats`)) as { acknowledged: number; stored: number };
  const text = await fetchText(`${url}/metrics`);
  const sample = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
  return { acknowledged: sample("demo_payloads_accepted_total"), stored: sample("demo_sink_payloads_total") };
}

function peakRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) * 1024;
  } catch {
    return Number.NaN;
  }
}

/** The request body: `perRequest` payloads of about 200 bytes, as the demo's load generator sends. */
export function bodyOf(perRequest: number): string {
  const filler = "x".repeat(140);
  const payloads: string[] = [];
  for (let id = 0; id < perRequest; id++) payloads.push(`{"id":${id},"version":"1.0","token":"t-${id}","data":"${filler}"}`);
  return `{"payloads":[${payloads.join(",")}]}`;
}

async function measure(server: ServerKind, perRequest: number, options: CompareOptions, seedBinary: string | undefined): Promise<Measurement> {
  const root = await mkdtemp(join(tmpdir(), "gochan-compare-"));
  const env = {
    HOST: "127.0.0.1",
    PORT: "0",
    SINK_DIR: join(root, "bucket"),
    DEAD_LETTER_FILE: join(root, "dead-letter.ndjson"),
    MAX_WORKERS: "2048",
    MAX_QUEUE: "20000",
  };
  const child =
    server === "gochan"
      ? await startChild(process.execPath, [join(PACKAGE_DIR, "bin", "server.js")], env)
      : await startChild(seedBinary as string, [], env);
  try {
    const load = (seconds: number): Promise<autocannon.Result> =>
      autocannon({
        url: `${child.url}/payloads`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: bodyOf(perRequest),
        connections: options.connections,
        duration: seconds,
      });
    // A warm-up (JIT, connection set-up); once its payloads are stored, the counters' baseline.
    await load(Math.min(3, options.durationMs / 4000));
    // (Settled: both counters unchanged for 500 ms, as the seed's handlers may still be pushing.)
    let before = await countersOf(server, child.url);
    for (let waited = 0, still = 0; (before.stored < before.acknowledged || still < 5) && waited < 30_000; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
      const now = await countersOf(server, child.url);
      still = now.stored === before.stored && now.acknowledged === before.acknowledged ? still + 1 : 0;
      before = now;
    }
    const result = await load(options.durationMs / 1000);
    // The server's counters, not autocannon's 2xx: a request answered after the
    // window closed is acknowledged too.
    const atEnd = await countersOf(server, child.url);
    const storedAtEnd = atEnd.stored - before.stored;
    const acknowledged = atEnd.acknowledged - before.acknowledged;
    const loadEnded = performance.now();
    let stored = storedAtEnd;
    let changedAt = loadEnded;
    while (stored < acknowledged && performance.now() - changedAt < 5000 && performance.now() - loadEnded < 60_000) {
      await new Promise((r) => setTimeout(r, 200));
      const now = (await countersOf(server, child.url)).stored - before.stored;
      if (now !== stored) changedAt = performance.now();
      stored = now;
    }
    const drainSeconds = (changedAt - loadEnded) / 1000;
    const peakRssBytes = peakRss(child.pid);
    const minutes = result.duration / 60;
    return {
      server,
      perRequest,
      requestsPerMinute: result.requests.total / minutes,
      acknowledgedPerMinute: acknowledged / minutes,
      storedPerMinute: storedAtEnd / minutes,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      peakRssBytes,
      acknowledged,
      storedAfterDrain: stored,
      drainSeconds,
      loadSeconds: result.duration,
    };
  } finally {
    child.child.kill(server === "gochan" ? "SIGTERM" : "SIGKILL");
    const timer = setTimeout(() => child.child.kill("SIGKILL"), 60_000);
    await child.exited;
    clearTimeout(timer);
    await rm(root, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "n/a";
const millions = (n: number): string => (Number.isFinite(n) ? `${(n / 1e6).toFixed(2)}M` : "n/a");

/**
 * The median of each figure over the rounds, per batch size and server, as a
 * Markdown table, with ours-to-seed ratios of stored payloads per minute.
 *
 * @example
 * ```ts
 * console.log(renderTable(measurements));
 * ```
 */
export function renderTable(measurements: readonly Measurement[]): string {
  const sizes = [...new Set(measurements.map((m) => m.perRequest))].sort((a, b) => a - b);
  const lines = [
    "| per request | server | requests/min | acknowledged payloads/min | stored payloads/min | x seed (stored) | p50 ms | p99 ms | peak memory | stored / acknowledged (drain) |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const size of sizes) {
    const seedRows = measurements.filter((m) => m.perRequest === size && m.server === "seed");
    const seedStored = seedRows.length === 0 ? Number.NaN : median(seedRows.map((m) => m.storedPerMinute));
    for (const server of ["gochan", "seed"] as const) {
      const rows = measurements.filter((m) => m.perRequest === size && m.server === server);
      if (rows.length === 0) continue;
      const med = (pick: (m: Measurement) => number): number => median(rows.map(pick));
      const stored = med((m) => m.storedPerMinute);
      const ratio = server === "gochan" && Number.isFinite(seedStored) ? `${(stored / seedStored).toFixed(2)}x` : "";
      const share = med((m) => (m.acknowledged === 0 ? 1 : m.storedAfterDrain / m.acknowledged));
      lines.push(
        `| ${size} | ${server === "gochan" ? "@gochan/demo (Node)" : "seed (Go)"} | ${millions(med((m) => m.requestsPerMinute))} | ` +
          `${millions(med((m) => m.acknowledgedPerMinute))} | ${millions(stored)} | ${ratio} | ${fmt(med((m) => m.p50Ms), 1)} | ` +
          `${fmt(med((m) => m.p99Ms), 1)} | ${fmt(med((m) => m.peakRssBytes) / 2 ** 20)} MiB | ` +
          `${(share * 100).toFixed(share === 1 ? 0 : 2)}% (${fmt(med((m) => m.drainSeconds), 1)} s) |`,
      );
    }
  }
  return lines.join("\n");
}

/** Builds the seed's Go server if a Go toolchain is on PATH; the reason if not. */
function buildSeed(dir: string): { binary: string } | { reason: string } {
  const version = spawnSync("go", ["version"], { encoding: "utf8" });
  if (version.error !== undefined || version.status !== 0) return { reason: "no Go toolchain on PATH" };
  const binary = join(dir, "seed-server");
  const built = spawnSync("go", ["build", "-o", binary, "."], { cwd: join(PACKAGE_DIR, "go"), encoding: "utf8" });
  if (built.status !== 0) return { reason: `go build failed: ${built.stderr.trim().split("\n")[0] ?? ""}` };
  return { binary };
}

async function main(): Promise<void> {
  const options = parseCompareArgs(process.argv.slice(2));
  const buildDir = await mkdtemp(join(tmpdir(), "gochan-seed-build-"));
  const seed = options.go ? buildSeed(buildDir) : { reason: "--no-go" };
  const seedBinary = "binary" in seed ? seed.binary : undefined;
  const servers: ServerKind[] = seedBinary === undefined ? ["gochan"] : ["gochan", "seed"];
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  log(
    `compare: ${servers.join(" vs ")}; ${options.perRequest.join(", ")} payloads per request; ${options.rounds} round(s) of ` +
      `${fmt(options.durationMs / 1000, 1)} s each over ${options.connections} connections` +
      ("reason" in seed ? ` (no Go rows: ${seed.reason})` : ""),
  );
  const measurements: Measurement[] = [];
  const started = performance.now();
  for (let round = 1; round <= options.rounds; round++) {
    for (const perRequest of options.perRequest) {
      // Alternate which server goes first, so neither always gets the cooler machine.
      const order = round % 2 === 1 ? servers : [...servers].reverse();
      for (const server of order) {
        const m = await measure(server, perRequest, options, seedBinary);
        measurements.push(m);
        log(
          `  round ${round} ${String(perRequest).padStart(3)}/request ${server.padEnd(6)} stored ${millions(m.storedPerMinute)}/min, ` +
            `acknowledged ${millions(m.acknowledgedPerMinute)}/min, p99 ${fmt(m.p99Ms, 1)} ms, peak ${fmt(m.peakRssBytes / 2 ** 20)} MiB, ` +
            `stored ${fmt(m.storedAfterDrain)} of ${fmt(m.acknowledged)} acknowledged after ${fmt(m.drainSeconds, 1)} s`,
        );
      }
    }
  }
  await rm(buildDir, { recursive: true, force: true });
  const load = (await import("node:os")).loadavg();
  process.stdout.write(
    `${renderTable(measurements)}\n\n` +
      `Medians of ${options.rounds} round(s); each run ${fmt(options.durationMs / 1000, 1)} s of load over ${options.connections} connections; ` +
      `${fmt((performance.now() - started) / 1000)} s in all; Node ${process.version}` +
      (seedBinary === undefined ? "" : `, ${spawnSync("go", ["version"], { encoding: "utf8" }).stdout.trim()}`) +
      `; load average ${load.map((l) => l.toFixed(1)).join(" ")} at the end.\n`,
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`compare failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
