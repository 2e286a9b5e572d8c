/**
 * `pnpm demo`: the seed's payload server under load, end to end.
 *
 * 1. Starts the server (src/server.ts) as a child process on 127.0.0.1 with the
 *    default fs sink in a fresh temporary directory.
 * 2. Drives it with the load generator (src/load.ts) for a fixed number of
 *    payloads (or, with `--duration`, for a fixed time), showing a live progress bar on stderr (payloads/s, queue depth,
 *    workers busy) when stderr is a terminal, a plain line every 2 s otherwise.
 * 3. Waits until the sink holds every acknowledged payload, then stops the server
 *    with SIGTERM (graceful drain) and expects exit code 0.
 * 4. Reads the bucket and the dead-letter file back and checks that every payload
 *    acknowledged with 202 is in one of them (a dead-lettered payload counts as
 *    not lost only because it is read back from that file): none missing, none
 *    extra, none stored twice.
 * 5. Prints the report. Exit code 0 if the check passed, 1 if not, 130 if
 *    interrupted (the check still runs on what was sent).
 *
 * Options (flag or environment variable, flags win):
 *   --payloads N        DEMO_PAYLOADS        payloads in all (default 1000000)
 *   --per-request N     DEMO_PER_REQUEST     payloads per request (default 100)
 *   --connections N     DEMO_CONNECTIONS     concurrent connections (default 16)
 *   --workers N         MAX_WORKERS          pool workers (default 2048)
 *   --queue N           MAX_QUEUE            pool queue capacity (default 20000)
 *   --batch N           SINK_BATCH_SIZE      most payloads per object (default 1000)
 *   --payload-bytes N   DEMO_PAYLOAD_BYTES   approximate payload size (default 200)
 *   --sink-dir PATH     DEMO_SINK_DIR        keep the bucket here instead of a temp dir
 *   --duration 60s      DEMO_DURATION        sustained mode: send for this long (ms, s or m)
 *
 * Why 2048 workers: a worker is an async loop waiting on a sink put, not a
 * thread, and the fs sink group-commits, so the payloads in flight (at most
 * MAX_WORKERS) bound how large each fsynced object can grow. With few workers
 * the sink writes many small objects and fsync latency caps the throughput.
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, get } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { readDeadLetters } from "./dead-letter.js";
import { listObjects, readPayloads } from "./fs-sink.js";
import { LoadGenerator, PayloadState, quantile, type LoadResult } from "./load.js";

const SRC = dirname(fileURLToPath(import.meta.url));
const PACKAGE_DIR = dirname(SRC);

/**
 * Settings of one demo run.
 *
 * @example
 * ```ts
 * const options: DemoOptions = parseDemoArgs(["--payloads", "50000"], {});
 * ```
 */
export interface DemoOptions {
  readonly payloads: number;
  readonly perRequest: number;
  readonly connections: number;
  readonly workers: number;
  readonly queue: number;
  readonly batch: number;
  readonly payloadBytes: number;
  /** Where to keep the bucket; undefined: a temporary directory removed afterwards. */
  readonly sinkDir: string | undefined;
  /** Sustained mode: send for this long instead of a fixed number of payloads. */
  readonly durationMs: number | undefined;
}

/**
 * Parses a duration such as `60s`, `1500ms`, `2m` or `90` (seconds).
 *
 * @example
 * ```ts
 * parseDuration("60s"); // 60000
 * ```
 */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const ms = m === null ? Number.NaN : Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "m" ? 60_000 : 1000);
  if (!Number.isFinite(ms) || ms < 1) {
    throw new RangeError(`a duration must look like 60s, 1500ms or 2m, got ${JSON.stringify(text)}`);
  }
  return Math.round(ms);
}

const FLAGS = {
  payloads: { flag: "--payloads", env: "DEMO_PAYLOADS", fallback: 1_000_000, min: 1 },
  perRequest: { flag: "--per-request", env: "DEMO_PER_REQUEST", fallback: 100, min: 1 },
  connections: { flag: "--connections", env: "DEMO_CONNECTIONS", fallback: 16, min: 1 },
  workers: { flag: "--workers", env: "MAX_WORKERS", fallback: 2048, min: 1 },
  queue: { flag: "--queue", env: "MAX_QUEUE", fallback: 20_000, min: 1 },
  batch: { flag: "--batch", env: "SINK_BATCH_SIZE", fallback: 1000, min: 1 },
  payloadBytes: { flag: "--payload-bytes", env: "DEMO_PAYLOAD_BYTES", fallback: 200, min: 0 },
} as const;

/**
 * Reads the demo's settings from flags (`--payloads 1000` or `--payloads=1000`)
 * and the environment; throws a `RangeError` naming a bad flag or variable.
 *
 * @example
 * ```ts
 * const options = parseDemoArgs(["--payloads=1000", "--per-request", "50"], process.env);
 * console.log(options.payloads, options.perRequest); // 1000 50
 * ```
 */
export function parseDemoArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): DemoOptions {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") continue;
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const known = name === "--sink-dir" || name === "--duration" || Object.values(FLAGS).some((f) => f.flag === name);
    if (!known) throw new RangeError(`unknown option ${JSON.stringify(arg)} (try --help)`);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new RangeError(`option ${name} needs a value`);
    given.set(name, value);
  }
  const num = (key: keyof typeof FLAGS): number => {
    const { flag, env: variable, fallback, min } = FLAGS[key];
    const fromFlag = given.get(flag);
    const raw = fromFlag ?? env[variable];
    if (raw === undefined || raw.trim() === "") return fallback;
    const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min) {
      const source = fromFlag === undefined ? variable : flag;
      throw new RangeError(`${source} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    }
    return n;
  };
  const sinkDir = given.get("--sink-dir") ?? env["DEMO_SINK_DIR"];
  const duration = given.get("--duration") ?? env["DEMO_DURATION"];
  return {
    payloads: num("payloads"),
    perRequest: num("perRequest"),
    connections: num("connections"),
    workers: num("workers"),
    queue: num("queue"),
    batch: num("batch"),
    payloadBytes: num("payloadBytes"),
    sinkDir: sinkDir === undefined || sinkDir === "" ? undefined : resolve(sinkDir),
    durationMs: duration === undefined || duration.trim() === "" ? undefined : parseDuration(duration),
  };
}

/** A started server child process. */
interface ServerChild {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<number | null>;
}

/** Starts src/server.ts as a child and resolves once it prints its listening line. */
async function startServerChild(env: Record<string, string>, onLog: (line: string) => void): Promise<ServerChild> {
  // The documented start command, so the demo exercises what operators run.
  const child = spawn(process.execPath, [join(PACKAGE_DIR, "bin", "server.js")], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: a Ctrl-C in the terminal reaches only the demo, which
    // then stops the server with one SIGTERM (a second signal would cut the drain).
    detached: true,
  });
  const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", onLog);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not start within 60 s")), 60_000);
    lines.once("line", (line) => {
      clearTimeout(timer);
      try {
        resolveUrl((JSON.parse(line) as { url: string }).url);
      } catch {
        reject(new Error(`unexpected first line from the server: ${line}`));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with code ${String(code)} before listening`));
    });
  });
  lines.on("line", onLog);
  return { child, url, exited };
}

/** Fetches `/metrics` and returns the unlabelled samples. */
function scrape(url: string, agent: Agent): Promise<Map<string, number>> {
  return new Promise((resolveScrape, reject) => {
    const req = get(`${url}/metrics`, { agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("error", reject);
      res.on("end", () => {
        const samples = new Map<string, number>();
        for (const line of text.split("\n")) {
          if (line === "" || line.startsWith("#")) continue;
          const space = line.lastIndexOf(" ");
          samples.set(line.slice(0, space), Number(line.slice(space + 1)));
        }
        resolveScrape(samples);
      });
    });
    req.on("error", reject);
  });
}

const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "n/a";

/** The progress display: a redrawn bar on a terminal, plain lines otherwise. */
class Progress {
  readonly #out = process.stderr;
  readonly #tty = process.stderr.isTTY;
  readonly #total: number;
  #line = "";
  #lastPrint = 0;

  constructor(total: number) {
    this.#total = total;
  }

  update(acked: number, rate: number, metrics: Map<string, number>): void {
    const queued = metrics.get("gochan_pool_jobs_queued") ?? 0;
    const running = metrics.get("gochan_pool_workers_running") ?? 0;
    const maxWorkers = metrics.get("gochan_pool_max_workers") ?? 0;
    const stored = metrics.get("demo_sink_payloads_total") ?? 0;
    const share = Math.min(1, acked / this.#total);
    const stats =
      `${fmt(acked)}/${fmt(this.#total)} acked  ${fmt(rate)} payloads/s  ` +
      `queue ${fmt(queued)}  workers busy ${fmt(running)}/${fmt(maxWorkers)}  stored ${fmt(stored)}`;
    if (this.#tty) {
      const width = 24;
      const filled = Math.round(share * width);
      this.#line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${stats}`;
      this.#out.write(`\r\x1b[2K${this.#line.slice(0, (this.#out.columns || 200) - 1)}`);
    } else {
      const now = performance.now();
      if (now - this.#lastPrint >= 2000 || share === 1) {
        this.#lastPrint = now;
        this.#out.write(`progress: ${(share * 100).toFixed(0)}% ${stats}\n`);
      }
    }
  }

  /** Prints a log line without garbling the bar. */
  log(line: string): void {
    if (this.#tty && this.#line !== "") this.#out.write(`\r\x1b[2K${line}\n${this.#line.slice(0, (this.#out.columns || 200) - 1)}`);
    else this.#out.write(`${line}\n`);
  }

  done(): void {
    if (this.#tty && this.#line !== "") this.#out.write("\n");
    this.#line = "";
  }
}

/**
 * The outcome of comparing the sink's content (and the dead-letter file's)
 * with the acknowledged payloads.
 *
 * @example
 * ```ts
 * const check = await checkSink("/tmp/bucket", result, "/tmp/dead-letter.ndjson");
 * console.log(check.ok ? "none lost" : `${check.missing} missing`);
 * ```
 */
export interface SinkCheck {
  readonly ok: boolean;
  readonly stored: number;
  readonly objects: number;
  /** Acknowledged payloads read back from the dead-letter file and not from the sink. */
  readonly deadLettered: number;
  /** Acknowledged payloads in neither the sink nor the dead-letter file. */
  readonly missing: number;
  /** Payloads in the sink whose request was not acknowledged. */
  readonly unacknowledged: number;
  /** Payloads stored more than once. */
  readonly duplicates: number;
  /** Stored records with no valid id. */
  readonly malformed: number;
}

/**
 * Reads the bucket at `dir` (and the dead-letter file, if given) and checks
 * that every payload `result` says was acknowledged is in one of them, that
 * the bucket holds nothing else, and nothing twice. A payload counts as
 * dead-lettered only if it is read back from the file.
 *
 * @example
 * ```ts
 * const check = await checkSink(dir, await generator.run(), deadLetterFile);
 * if (!check.ok) process.exitCode = 1;
 * ```
 */
export async function checkSink(dir: string, result: LoadResult, deadLetterFile?: string): Promise<SinkCheck> {
  const { state } = result;
  const seen = new Uint8Array(state.length);
  let stored = 0;
  let unacknowledged = 0;
  let duplicates = 0;
  let malformed = 0;
  const validId = (payload: unknown): number | undefined => {
    const id = (payload as { id?: unknown } | null)?.id;
    return typeof id === "number" && Number.isInteger(id) && id >= 0 && id < state.length ? id : undefined;
  };
  for await (const payload of readPayloads(dir)) {
    stored += 1;
    const id = validId(payload);
    if (id === undefined) {
      malformed += 1;
      continue;
    }
    if (seen[id] === 1) duplicates += 1;
    seen[id] = 1;
    if (state[id] !== PayloadState.Acknowledged) unacknowledged += 1;
  }
  let deadLettered = 0;
  if (deadLetterFile !== undefined) {
    for await (const letter of readDeadLetters(deadLetterFile)) {
      const id = validId(letter.payload);
      if (id === undefined) {
        malformed += 1;
      } else if (seen[id] === 0) {
        seen[id] = 2;
        deadLettered += 1;
        if (state[id] !== PayloadState.Acknowledged) unacknowledged += 1;
      }
    }
  }
  let missing = 0;
  for (let id = 0; id < state.length; id++) {
    if (state[id] === PayloadState.Acknowledged && seen[id] === 0) missing += 1;
  }
  const objects = (await listObjects(dir)).length;
  const ok = missing === 0 && unacknowledged === 0 && duplicates === 0 && malformed === 0;
  return { ok, stored, objects, deadLettered, missing, unacknowledged, duplicates, malformed };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs the demo and returns the process exit code. */
async function runDemo(options: DemoOptions): Promise<number> {
  const root = await mkdtemp(join(tmpdir(), "gochan-demo-"));
  const dir = options.sinkDir ?? join(root, "bucket");
  const deadLetterFile = join(root, "dead-letter.ndjson");
  const durationMs = options.durationMs;
  // In sustained mode the payload ids need an upper bound: far above what one process can take.
  const totalPayloads = durationMs === undefined ? options.payloads : Math.ceil(durationMs / 1000) * 500_000;
  const progress = new Progress(totalPayloads);
  const out = (line = ""): void => {
    process.stdout.write(`${line}\n`);
  };
  out("gochan demo: the seed's payload server (Handling 1 Million Requests per Minute) on @gochan/pool");
  out(
    `  ${durationMs === undefined ? `${fmt(options.payloads)} payloads` : `for ${fmt(durationMs / 1000, 1)} s`} in requests of ${fmt(options.perRequest)} over ${options.connections} connections; ` +
      `MAX_WORKERS=${options.workers} MAX_QUEUE=${options.queue}; sink: fs directory ${dir}`,
  );

  const server = await startServerChild(
    {
      HOST: "127.0.0.1",
      PORT: "0",
      SINK: "fs",
      SINK_DIR: dir,
      SINK_BATCH_SIZE: String(options.batch),
      MAX_WORKERS: String(options.workers),
      MAX_QUEUE: String(options.queue),
      DEAD_LETTER_FILE: deadLetterFile,
    },
    (line) => progress.log(line),
  );
  const killOnExit = (): void => {
    if (server.child.exitCode === null) server.child.kill("SIGKILL");
  };
  process.on("exit", killOnExit);

  const interrupt = new AbortController();
  const onInterrupt = (): void => {
    progress.log("interrupted: stopping the load, then draining the server");
    interrupt.abort();
  };
  process.once("SIGINT", onInterrupt);
  process.once("SIGTERM", onInterrupt);

  const stopLoad = new AbortController();
  interrupt.signal.addEventListener("abort", () => stopLoad.abort(), { once: true });
  const durationTimer = durationMs === undefined ? undefined : setTimeout(() => stopLoad.abort(), durationMs);
  const generator = new LoadGenerator({
    url: server.url,
    totalPayloads,
    payloadsPerRequest: options.perRequest,
    connections: options.connections,
    payloadBytes: options.payloadBytes,
    signal: stopLoad.signal,
  });

  // Poll /metrics for the progress display until the sink holds every acknowledged payload.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let metrics = new Map<string, number>();
  let loadDone = false;
  let storedAll = false;
  let drainedAt = Number.NaN;
  let result: LoadResult | undefined;
  const poller = (async (): Promise<void> => {
    let lastAcked = 0;
    let lastAt = performance.now();
    let rate = 0;
    const deadline = { at: Number.POSITIVE_INFINITY };
    while (!storedAll) {
      try {
        metrics = await scrape(server.url, agent);
      } catch (error) {
        progress.log(`metrics scrape failed: ${(error as Error).message}`);
        break;
      }
      const acked = generator.progress().acknowledged;
      const now = performance.now();
      if (result !== undefined) {
        rate = (result.acknowledged * 1000) / (result.finishedAt - result.startedAt); // the load's average
      } else if (now - lastAt >= 500) {
        rate = ((acked - lastAcked) * 1000) / (now - lastAt);
        lastAcked = acked;
        lastAt = now;
      }
      progress.update(acked, rate, metrics);
      if (loadDone && result !== undefined) {
        if (!Number.isFinite(deadline.at)) deadline.at = now + 120_000;
        const stored = metrics.get("demo_sink_payloads_total") ?? 0;
        const deadLettered = metrics.get("demo_dead_lettered_payloads_total") ?? 0;
        const lost = metrics.get("demo_payloads_lost_total") ?? 0;
        if (stored + deadLettered + lost >= result.acknowledged) {
          storedAll = true;
          drainedAt = now;
          break;
        }
        if (now > deadline.at) {
          progress.log("the sink did not catch up within 120 s of the end of the load");
          break;
        }
        await sleep(10);
      } else {
        await sleep(200);
      }
    }
  })();

  try {
    result = await generator.run();
  } finally {
    loadDone = true;
    clearTimeout(durationTimer);
  }
  await poller;
  agent.destroy();
  progress.done();

  // Graceful stop: drain and flush, expect exit code 0.
  server.child.kill("SIGTERM");
  const exitTimer = setTimeout(() => {
    progress.log("the server did not exit within 60 s of SIGTERM; killing it");
    server.child.kill("SIGKILL");
  }, 60_000);
  const exitCode = await server.exited;
  clearTimeout(exitTimer);
  process.off("exit", killOnExit);
  process.off("SIGINT", onInterrupt);
  process.off("SIGTERM", onInterrupt);

  const check = await checkSink(dir, result, deadLetterFile);
  await rm(root, { recursive: true, force: true });

  const loadSeconds = (result.finishedAt - result.startedAt) / 1000;
  const e2eSeconds = ((Number.isFinite(drainedAt) ? drainedAt : performance.now()) - result.startedAt) / 1000;
  const perMinute = (result.acknowledged / e2eSeconds) * 60;
  const requests202 = result.statuses.get(202) ?? 0;
  const otherStatuses = [...result.statuses].filter(([code]) => code !== 202).map(([code, n]) => `${n}x${code}`);
  out();
  out("report");
  out(`  payloads acknowledged  ${fmt(result.acknowledged)} of ${fmt(options.payloads)} (202 to ${fmt(requests202)} requests)`);
  out(
    `  payloads per request   ${fmt(requests202 === 0 ? 0 : result.acknowledged / requests202, 1)}` +
      `; 503 (queue full, retried): ${fmt(result.refusals503)}` +
      (otherStatuses.length > 0 ? `; other final statuses: ${otherStatuses.join(", ")}` : "") +
      (result.networkErrors > 0 ? `; network errors: ${result.networkErrors} (${result.errorSamples.join("; ")})` : ""),
  );
  out(
    `  throughput             ${fmt(perMinute)} payloads/minute end to end (${fmt(perMinute / 60)}/s over ${fmt(e2eSeconds, 2)} s, ` +
      `first request to last payload stored)`,
  );
  out(
    `  target                 >= 1,000,000 payloads/minute: ${perMinute >= 1_000_000 ? "met" : "missed"} over ${fmt(e2eSeconds, 1)} s` +
      (e2eSeconds < 60 ? " (shorter than a minute: run with --duration 60s for a sustained measure)" : " (sustained)"),
  );
  out(`  accepting              ${fmt((result.acknowledged / loadSeconds) * 60)} payloads/minute over the ${fmt(loadSeconds, 2)} s of load`);
  out(
    `  request latency        p50 ${fmt(quantile(result.latenciesMs, 0.5), 2)} ms, p99 ${fmt(quantile(result.latenciesMs, 0.99), 2)} ms, ` +
      `max ${fmt(quantile(result.latenciesMs, 1), 2)} ms (${fmt(result.latenciesMs.length)} responses)`,
  );
  out(
    `  sink                   ${fmt(check.stored)} payloads in ${fmt(check.objects)} objects ` +
      `(${fmt(check.objects === 0 ? 0 : check.stored / check.objects, 1)} per object)`,
  );
  out(`  server exit code       ${String(exitCode)} after SIGTERM (graceful drain)`);
  if (check.ok) {
    out(
      `  check                  OK: every one of the ${fmt(result.acknowledged)} acknowledged payloads is stored` +
        (check.deadLettered > 0 ? ` or read back from the dead-letter file (${fmt(check.deadLettered)} dead-lettered)` : "") +
        "; nothing else stored, nothing twice",
    );
  } else {
    out(
      `  check                  FAILED: ${check.missing} acknowledged payloads missing, ${check.unacknowledged} stored without 202, ` +
        `${check.duplicates} stored twice, ${check.malformed} malformed; ${fmt(check.stored)} stored + ${fmt(check.deadLettered)} dead-lettered vs ${fmt(result.acknowledged)} acknowledged`,
    );
  }
  const complete = interrupt.signal.aborted || durationMs !== undefined || result.acknowledged === options.payloads;
  if (!complete) out(`  incomplete             only ${fmt(result.acknowledged)} of ${fmt(options.payloads)} payloads were acknowledged`);
  if (!check.ok || exitCode !== 0 || result.networkErrors > 0 || !complete) return 1;
  return interrupt.signal.aborted ? 130 : 0;
}

const HELP = `usage: pnpm demo [options]   (flags win over environment variables)
  --payloads N        DEMO_PAYLOADS        payloads in all (default 1000000)
  --per-request N     DEMO_PER_REQUEST     payloads per request (default 100)
  --connections N     DEMO_CONNECTIONS     concurrent connections (default 16)
  --workers N         MAX_WORKERS          pool workers (default 2048)
  --queue N           MAX_QUEUE            pool queue capacity (default 20000)
  --batch N           SINK_BATCH_SIZE      most payloads per object (default 1000)
  --payload-bytes N   DEMO_PAYLOAD_BYTES   approximate payload size (default 200)
  --sink-dir PATH     DEMO_SINK_DIR        keep the bucket here instead of a temp dir
  --duration 60s      DEMO_DURATION        sustained mode: send for this long instead of --payloads
  --queue redis       DEMO_QUEUE=redis     the queue in Redis, worker processes apart (see src/redis-demo.ts)
Exit code: 0 if every acknowledged payload is stored (or dead-lettered and read back) and
nothing else is, 1 if not, 130 if interrupted.
`;

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let options: DemoOptions | undefined;
  const redisMode = process.env["DEMO_QUEUE"] === "redis" || args.some((a, i) => a === "--queue=redis" || (a === "--queue" && args[i + 1] === "redis"));
  if (redisMode) {
    // --queue redis: the queue in Redis, worker processes apart (src/redis-demo.ts).
    // A dynamic import, not awaited at the top level: redis-demo.ts imports this module back.
    import("./redis-demo.js").then(({ parseRedisDemoArgs, runRedisDemo }) => runRedisDemo(parseRedisDemoArgs(args, process.env))).then((code) => process.exit(code), (error: unknown) => {
      process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(error instanceof RangeError ? 2 : 1);
    });
  } else if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(HELP);
  } else {
    try {
      options = parseDemoArgs(args, process.env);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exitCode = 2;
    }
  }
  if (options !== undefined) {
    runDemo(options).then(
      (code) => process.exit(code),
      (error: unknown) => {
        process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exit(1);
      },
    );
  }
}
