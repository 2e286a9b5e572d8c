/**
 * The seed's payload server on `@gochan/pool`: `POST /payloads` decodes
 * `{"payloads": [...]}` and queues one upload job per payload.
 *
 * What changed from the seed:
 * - Backpressure instead of unbounded goroutines: a request is admitted only if
 *   all of its payloads fit in the pool's queue at once; otherwise it gets 503 with
 *   `Retry-After` and none of its payloads is queued. The check and the submits run
 *   in one synchronous block, so no other request can take the space in between.
 * - A request carrying more payloads than `MAX_QUEUE` could never fit: it gets 413
 *   with a message saying how to split it, instead of 503 forever.
 * - 202 (accepted, processed later), not 200, once every payload is queued.
 * - Graceful shutdown: stop accepting, drain every queued and running job, flush
 *   and close the sink. Every payload acknowledged with 202 is in the sink after.
 *
 * Routes: `POST /payloads`, `GET /metrics` (Prometheus text format),
 * `GET /healthz`. Run as a program (`node --import tsx src/server.ts`) it reads
 * its configuration from the environment (see config.ts), prints one JSON line
 * `{"event":"listening","url":...}` on stdout, logs to stderr, and shuts down
 * gracefully on SIGTERM or SIGINT, exiting 0 (a second signal exits 1 at once).
 *
 * @module
 */
import { Pool, QueueFullError } from "@gochan/pool";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { ConfigError, parseConfig, type ServerConfig } from "./config.js";
import { FsSink } from "./fs-sink.js";
import { S3Sink, s3SinkOptions } from "./s3-sink.js";
import type { Sink } from "./sink.js";

/**
 * Options of {@link startServer} beyond the configuration.
 *
 * @example
 * ```ts
 * const options: StartOptions = { log: (line) => console.error(line) };
 * ```
 */
export interface StartOptions {
  /** Sink to use instead of the one the configuration describes (tests). */
  readonly sink?: Sink;
  /**
   * Pool to use instead of a new one built from `maxWorkers`/`maxQueue` (tests);
   * the server drains it on close.
   */
  readonly pool?: Pool;
  /** Where log lines go (default: nowhere). */
  readonly log?: (line: string) => void;
}

/**
 * Counters of the HTTP side, exported on `/metrics` next to the pool's and the
 * sink's.
 *
 * @example
 * ```ts
 * const stats: HttpStats = running.httpStats();
 * console.log(stats.payloadsAccepted, "payloads acknowledged");
 * ```
 */
export interface HttpStats {
  /** Responses sent, by status code. */
  readonly responses: ReadonlyMap<number, number>;
  /** Payloads of requests answered 202. */
  readonly payloadsAccepted: number;
  /** Payloads of requests answered 503 because the queue was full. */
  readonly payloadsRefused: number;
  /** Upload jobs that failed (the sink rejected). */
  readonly jobsFailed: number;
}

/**
 * A started payload server.
 *
 * @example
 * ```ts
 * const running = await startServer(parseConfig({ PORT: "0" }));
 * console.log("listening on", running.url);
 * await running.close();
 * ```
 */
export interface RunningServer {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  readonly pool: Pool;
  readonly sink: Sink;
  readonly server: Server;
  httpStats(): HttpStats;
  /**
   * Graceful shutdown: stop accepting (new requests on open connections get 503
   * and `Connection: close`), drain the pool, close the sink, close the server.
   * Idempotent; resolves once everything is closed.
   */
  close(): Promise<void>;
}

/** The admission of one request's payloads; revoked if it could not be completed. */
interface Admission {
  revoked: boolean;
}

/** Error bodies are JSON: `{"error": "..."}` plus details. */
type ErrorBody = { readonly error: string } & Readonly<Record<string, unknown>>;

const JSON_TYPE = "application/json; charset=utf-8";

/** How long closing waits for busy connections after the drain before cutting them. */
const CONNECTION_GRACE_MS = 3000;

/**
 * Builds the sink a configuration describes.
 *
 * @example
 * ```ts
 * const sink = createSink(parseConfig({ SINK_DIR: "/tmp/bucket" }));
 * ```
 */
export function createSink(config: ServerConfig): Sink {
  return config.sink.kind === "fs"
    ? new FsSink({ dir: config.sink.dir, batchSize: config.sink.batchSize })
    : new S3Sink(s3SinkOptions(config.sink));
}

/**
 * Starts the payload server and resolves once it listens.
 *
 * @example
 * ```ts
 * const running = await startServer(parseConfig({ PORT: "0", SINK_DIR: "/tmp/bucket" }));
 * const res = await fetch(`${running.url}/payloads`, {
 *   method: "POST",
 *   body: JSON.stringify({ payloads: [{ id: 1 }, { id: 2 }] }),
 * });
 * console.log(res.status); // 202
 * await running.close();
 * ```
 */
export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const log = options.log ?? ((): void => undefined);
  const sink = options.sink ?? createSink(config);
  const responses = new Map<number, number>();
  let payloadsAccepted = 0;
  let payloadsRefused = 0;
  let jobsFailed = 0;
  let draining = false;
  let closing: Promise<void> | undefined;

  const onJobError = (error: unknown): void => {
    jobsFailed += 1;
    // One line per failure would flood the log when the sink is down: log the first few, then every 1000th.
    if (jobsFailed <= 10 || jobsFailed % 1000 === 0) {
      log(`upload failed (${jobsFailed} so far): ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const pool = options.pool ?? new Pool({ maxWorkers: config.maxWorkers, maxQueue: config.maxQueue });

  const send = (res: ServerResponse, status: number, body: string, type: string, headers?: Record<string, string>): void => {
    responses.set(status, (responses.get(status) ?? 0) + 1);
    res.statusCode = status;
    res.setHeader("Content-Type", type);
    res.setHeader("Content-Length", Buffer.byteLength(body));
    if (headers !== undefined) for (const name in headers) res.setHeader(name, headers[name] as string);
    if (draining) res.setHeader("Connection", "close");
    res.end(body);
  };
  const sendJson = (res: ServerResponse, status: number, body: ErrorBody | object, headers?: Record<string, string>): void => {
    send(res, status, JSON.stringify(body), JSON_TYPE, headers);
  };
  const retryAfter = { "Retry-After": String(config.retryAfterSeconds) };

  /** The atomic admission: all of the payloads are queued, or none. */
  const admit = (res: ServerResponse, payloads: readonly unknown[]): void => {
    if (draining) {
      sendJson(res, 503, { error: "shutting down" }, retryAfter);
      return;
    }
    const n = payloads.length;
    const m = pool.metrics();
    // trySubmit succeeds while queued + blockedSubmitters < maxQueue, and each
    // call takes at most one slot (a job handed to an idle worker takes none).
    const free = m.blockedSubmitters > 0 ? 0 : m.maxQueue - m.queued;
    if (n > free) {
      payloadsRefused += n;
      sendJson(res, 503, { error: "queue full, retry later", payloads: n, queued: m.queued, maxQueue: m.maxQueue }, retryAfter);
      return;
    }
    // No await from here to the response, so nothing else can take the free
    // slots, and no job starts before this block ends (a pool never runs a job
    // inside the submit call). Should a trySubmit throw anyway (QueueFullError
    // if the count missed something, or any other error), the jobs already
    // queued for this request are revoked before any of them runs: the request
    // is still wholly refused.
    const request: Admission = { revoked: false };
    try {
      for (let i = 0; i < n; i++) {
        const payload = payloads[i];
        pool.trySubmit(() => (request.revoked ? undefined : sink.put(payload))).then(undefined, onJobError);
      }
    } catch (error) {
      request.revoked = true;
      if (error instanceof QueueFullError) {
        payloadsRefused += n;
        sendJson(res, 503, { error: "queue full, retry later", payloads: n, queued: m.queued, maxQueue: m.maxQueue }, retryAfter);
      } else {
        // Not expected from trySubmit (PoolStoppedError cannot happen before draining): refuse, keep serving.
        log(`trySubmit failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        sendJson(res, 500, { error: "internal error: the request was not queued" });
      }
      return;
    }
    payloadsAccepted += n;
    sendJson(res, 202, { accepted: n });
  };

  const handlePayloads = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== "POST") {
      sendJson(res, 405, { error: `method ${String(req.method)} not allowed on /payloads`, allow: "POST" }, { Allow: "POST" });
      req.resume();
      return;
    }
    if (draining) {
      sendJson(res, 503, { error: "shutting down" }, retryAfter);
      req.resume();
      return;
    }
    const limit = config.maxBodyBytes;
    const tooLarge = (): void => {
      // Stop reading; the response closes the connection, discarding the rest of the body.
      res.setHeader("Connection", "close");
      sendJson(res, 413, { error: `request body exceeds MAX_BODY_BYTES=${limit}`, maxBodyBytes: limit });
    };
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > limit) {
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", () => {
      refused = true; // client went away mid-body: nothing to answer
    });
    req.on("end", () => {
      if (refused) return;
      const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)).toString("utf8");
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (error) {
        sendJson(res, 400, { error: `malformed JSON: ${(error as Error).message}` });
        return;
      }
      const problem = shapeProblem(doc);
      if (problem !== undefined) {
        sendJson(res, 400, { error: problem });
        return;
      }
      const payloads = (doc as { payloads: unknown[] }).payloads;
      if (payloads.length > config.maxQueue) {
        sendJson(res, 413, {
          error: `request carries ${payloads.length} payloads but at most MAX_QUEUE=${config.maxQueue} can be queued at once: split it into requests of at most ${config.maxQueue} payloads`,
          payloads: payloads.length,
          maxPayloadsPerRequest: config.maxQueue,
        });
        return;
      }
      admit(res, payloads);
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    if (path === "/payloads") {
      handlePayloads(req, res);
      return;
    }
    req.resume();
    if (path === "/metrics" || path === "/healthz") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        sendJson(res, 405, { error: `method ${String(req.method)} not allowed on ${path}`, allow: "GET, HEAD" }, {
          Allow: "GET, HEAD",
        });
      } else if (path === "/metrics") {
        send(res, 200, renderMetrics(), "text/plain; version=0.0.4; charset=utf-8");
      } else if (draining) {
        sendJson(res, 503, { status: "draining" });
      } else {
        sendJson(res, 200, { status: "ok" });
      }
      return;
    }
    sendJson(res, 404, { error: `no route for ${path}`, routes: ["POST /payloads", "GET /metrics", "GET /healthz"] });
  };

  const renderMetrics = (): string => {
    const m = pool.metrics();
    const s = sink.stats();
    const out: string[] = [];
    const metric = (name: string, type: "gauge" | "counter", help: string, value: number): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
    };
    metric("gochan_pool_max_workers", "gauge", "Most workers the pool runs (MAX_WORKERS).", m.maxWorkers);
    metric("gochan_pool_max_queue", "gauge", "Capacity of the pool's job queue (MAX_QUEUE).", m.maxQueue);
    metric("gochan_pool_workers_running", "gauge", "Workers running a job.", m.running);
    metric("gochan_pool_workers_idle", "gauge", "Workers waiting for a job.", m.idle);
    metric("gochan_pool_jobs_queued", "gauge", "Jobs waiting in the queue.", m.queued);
    metric("gochan_pool_blocked_submitters", "gauge", "Submitters waiting for queue space.", m.blockedSubmitters);
    metric("gochan_pool_jobs_submitted_total", "counter", "Jobs accepted by the pool.", m.submitted);
    metric("gochan_pool_jobs_succeeded_total", "counter", "Jobs that completed successfully.", m.succeeded);
    metric("gochan_pool_jobs_failed_total", "counter", "Jobs that threw or rejected.", m.failed);
    metric("gochan_pool_jobs_cancelled_total", "counter", "Jobs cancelled before or while running.", m.cancelled);
    metric("gochan_pool_jobs_dropped_total", "counter", "Jobs dropped: trySubmit refused with the queue full, or queued when the pool stopped.", m.dropped);
    metric("gochan_pool_jobs_completed_total", "counter", "Jobs that ran to the end (succeeded + failed).", m.completed);
    out.push(
      "# HELP demo_http_responses_total HTTP responses sent, by status code.",
      "# TYPE demo_http_responses_total counter",
    );
    for (const [code, count] of [...responses].sort((a, b) => a[0] - b[0])) {
      out.push(`demo_http_responses_total{code="${code}"} ${count}`);
    }
    metric("demo_payloads_accepted_total", "counter", "Payloads of requests answered 202.", payloadsAccepted);
    metric("demo_payloads_refused_total", "counter", "Payloads of requests answered 503 (queue full).", payloadsRefused);
    metric("demo_upload_jobs_failed_total", "counter", "Upload jobs whose sink put rejected.", jobsFailed);
    metric("demo_sink_payloads_total", "counter", "Payloads durably stored by the sink.", s.payloads);
    metric("demo_sink_objects_total", "counter", "Objects written by the sink.", s.objects);
    metric("demo_sink_bytes_total", "counter", "Bytes of object bodies written by the sink.", s.bytes);
    metric("demo_sink_failed_payloads_total", "counter", "Payloads the sink failed to store.", s.failedPayloads);
    metric("demo_draining", "gauge", "1 while shutting down, else 0.", draining ? 1 : 0);
    return out.join("\n") + "\n";
  };

  const server = createServer(handle);
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  const closed = new Promise<void>((resolve) => server.once("close", resolve));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  log(
    `listening on ${url}: MAX_WORKERS=${config.maxWorkers} MAX_QUEUE=${config.maxQueue} MAX_BODY_BYTES=${config.maxBodyBytes} sink=${sink.description}`,
  );

  const shutdown = async (): Promise<void> => {
    draining = true;
    log("shutting down: no new requests; draining the pool");
    server.close(); // stops listening and closes idle keep-alive connections
    await pool.stopAndWait();
    log(`pool drained (${pool.metrics().completed} jobs completed); flushing the sink`);
    await sink.close();
    const s = sink.stats();
    log(`sink closed: ${s.payloads} payloads in ${s.objects} objects, ${s.failedPayloads} failed`);
    // Responses sent while draining close their connections; cut any left after a grace period.
    server.closeIdleConnections();
    const cut = setTimeout(() => server.closeAllConnections(), CONNECTION_GRACE_MS);
    await closed;
    clearTimeout(cut);
  };

  return {
    url,
    port,
    pool,
    sink,
    server,
    httpStats: () => ({ responses: new Map(responses), payloadsAccepted, payloadsRefused, jobsFailed }),
    close: () => (closing ??= shutdown()),
  };
}

/** Why `doc` is not `{"payloads": [object, ...]}`, or undefined if it is. */
function shapeProblem(doc: unknown): string | undefined {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return `body must be a JSON object {"payloads": [...]}, got ${describe(doc)}`;
  }
  const payloads = (doc as { payloads?: unknown }).payloads;
  if (!Array.isArray(payloads)) {
    return `"payloads" must be an array, got ${payloads === undefined ? "nothing" : describe(payloads)}`;
  }
  if (payloads.length === 0) return `"payloads" must contain at least one payload`;
  for (let i = 0; i < payloads.length; i++) {
    const p: unknown = payloads[i];
    if (typeof p !== "object" || p === null || Array.isArray(p)) {
      return `payloads[${i}] must be a JSON object, got ${describe(p)}`;
    }
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`.slice(0, 60);
}

/** The program: configuration from the environment, graceful shutdown on signals. */
async function main(): Promise<void> {
  const log = (line: string): void => {
    process.stderr.write(`[server] ${line}\n`);
  };
  let config: ServerConfig;
  try {
    config = parseConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const running = await startServer(config, { log });
  process.stdout.write(`${JSON.stringify({ event: "listening", url: running.url, pid: process.pid })}\n`);
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`${signal} again: exiting without finishing the drain`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal} received`);
    running.close().then(
      () => {
        const h = running.httpStats();
        log(`bye: ${h.payloadsAccepted} payloads acknowledged, ${h.jobsFailed} uploads failed`);
        process.exit(h.jobsFailed === 0 ? 0 : 1);
      },
      (error: unknown) => {
        log(`shutdown failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`[server] fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
