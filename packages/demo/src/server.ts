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
 * - 202 (accepted, processed later), not 200, once every payload is queued. A
 *   202 means "held in this process's memory": see the README for what that
 *   guarantees.
 * - Fail closed: uploads retry with jittered exponential backoff; a circuit
 *   breaker answers 503 (and `/healthz` unhealthy) while the sink fails; a
 *   payload that still cannot be stored goes to the dead-letter file.
 * - Input refused before it is acknowledged: over-deep JSON and invalid UTF-8
 *   get 400; a request that cannot fit the free queue slots gets 503 before
 *   its body is read.
 * - Graceful shutdown: stop accepting, drain every queued and running job within
 *   the drain deadline (what is left then is dead-lettered), close the sink.
 *
 * Routes: `POST /payloads`, `GET /metrics` (Prometheus text format),
 * `GET /healthz`. Run as a program (`node bin/server.js`, see {@link main}) it reads
 * its configuration from the environment (see config.ts), prints one JSON line
 * `{"event":"listening","url":...}` on stdout, logs to stderr, and shuts down
 * gracefully on SIGTERM or SIGINT, exiting 0 (a second signal exits 1 at once).
 *
 * @module
 */
import { Pool } from "@gochan/pool";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { CircuitBreaker } from "./circuit-breaker.js";
import { ConfigError, parseConfig, type ServerConfig } from "./config.js";
import { DeadLetterFile } from "./dead-letter.js";
import { Delivery } from "./delivery.js";
import { FsSink } from "./fs-sink.js";
import { nestedDeeperThan } from "./json-depth.js";
import { PoolQueue } from "./pool-queue.js";
import { S3Sink, s3SinkOptions } from "./s3-sink.js";
import type { DurableQueue } from "./durable-queue.js";
import { RedisPayloadQueue, redisQueueConfig } from "./redis-queue.js";
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
  /** Uniform in [0, 1), for the retries' jitter (default `Math.random`). */
  readonly random?: () => number;
  /**
   * A durable queue that takes the payloads instead of the in-process one
   * (`QUEUE=redis`): 202 once it holds them all, 503 if full; other processes
   * upload them.
   */
  readonly durableQueue?: DurableQueue;
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
  /** Requests answered 503, by reason: `queue_full`, `sink_failing`, `draining`. */
  readonly refusedRequests: ReadonlyMap<string, number>;
  /** Acknowledged payloads neither stored nor dead-lettered (the dead-letter file failed too). */
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
  readonly breaker: CircuitBreaker;
  readonly delivery: Delivery;
  readonly deadLetters: DeadLetterFile;
  httpStats(): HttpStats;
  /**
   * Graceful shutdown: stop accepting (new requests on open connections get 503
   * and `Connection: close`), drain the queue within the drain deadline (what
   * is left then is dead-lettered), close the sink and the dead-letter file,
   * close the server. Idempotent; resolves once everything is closed.
   */
  close(): Promise<void>;
}

/** Error bodies are JSON: `{"error": "..."}` plus details. */
type ErrorBody = { readonly error: string } & Readonly<Record<string, unknown>>;

const JSON_TYPE = "application/json; charset=utf-8";

/** How long closing waits for busy connections after the drain before cutting them. */
const CONNECTION_GRACE_MS = 3000;

/**
 * Refusing before the body is read estimates a request's payloads from its
 * Content-Length and the average bytes per payload seen so far; the estimate
 * is divided by this margin so that a request of smaller-than-average payloads
 * is not refused when it would fit.
 */
const ESTIMATE_MARGIN = 1.5;

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
  const refusedRequests = new Map<string, number>();
  let payloadsAccepted = 0;
  let payloadsRefused = 0;
  let jobsFailed = 0;
  let draining = false;
  let closing: Promise<void> | undefined;
  /** Running average of bytes per accepted payload, for refusing before reading; 0 until the first 202. */
  let bytesPerPayload = 0;

  const breaker = new CircuitBreaker(config.breaker);
  const deadLetters = new DeadLetterFile(config.deadLetterFile);
  const delivery = new Delivery({
    sink,
    deadLetters,
    breaker,
    retry: config.retry,
    log,
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  const onLost = (error: unknown): void => {
    jobsFailed += 1;
    // One line per failure would flood the log: log the first few, then every 1000th.
    if (jobsFailed <= 10 || jobsFailed % 1000 === 0) {
      log(`payload lost (${jobsFailed} so far): ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const pool = options.pool ?? new Pool({ maxWorkers: config.maxWorkers, maxQueue: config.maxQueue });
  const queue = new PoolQueue(pool, delivery, onLost);
  const utf8 = new TextDecoder("utf-8", { fatal: true });

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

  /** 503 with Retry-After, counted by reason. */
  const refuse = (res: ServerResponse, reason: "queue_full" | "sink_failing" | "draining", body: ErrorBody): void => {
    refusedRequests.set(reason, (refusedRequests.get(reason) ?? 0) + 1);
    let seconds = config.retryAfterSeconds;
    if (reason === "sink_failing") seconds = Math.max(seconds, Math.ceil(breaker.remainingMs() / 1000));
    sendJson(res, 503, body, seconds === config.retryAfterSeconds ? retryAfter : { "Retry-After": String(seconds) });
  };
  const refuseSinkFailing = (res: ServerResponse): void => {
    refuse(res, "sink_failing", { error: "the sink is failing: not accepting payloads, retry later", breaker: breaker.state() });
  };
  const refuseQueueFull = (res: ServerResponse, payloads: number | undefined): void => {
    if (payloads !== undefined) payloadsRefused += payloads;
    const m = pool.metrics();
    refuse(res, "queue_full", {
      error: "queue full, retry later",
      ...(payloads === undefined ? {} : { payloads }),
      queued: m.queued,
      maxQueue: m.maxQueue,
    });
  };

  /** The atomic admission: all of the payloads are queued, or none. */
  const admit = (res: ServerResponse, payloads: readonly unknown[], bytes: number): void => {
    if (draining) {
      refuse(res, "draining", { error: "shutting down" });
      return;
    }
    const n = payloads.length;
    if (options.durableQueue !== undefined) {
      offerDurably(res, options.durableQueue, payloads);
      return;
    }
    if (n > queue.free()) {
      refuseQueueFull(res, n);
      return;
    }
    // The breaker last, so that a half-open breaker's one probe goes to a request that fits.
    if (!breaker.tryAdmit()) {
      refuseSinkFailing(res);
      return;
    }
    let queued: boolean;
    try {
      queued = queue.offer(payloads);
    } catch (error) {
      // Not expected from the queue (it revoked what it took): refuse, keep serving.
      log(`queueing failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      sendJson(res, 500, { error: "internal error: the request was not queued" });
      return;
    }
    if (!queued) {
      refuseQueueFull(res, n);
      return;
    }
    payloadsAccepted += n;
    const perPayload = bytes / n;
    bytesPerPayload = bytesPerPayload === 0 ? perPayload : bytesPerPayload * 0.9 + perPayload * 0.1;
    sendJson(res, 202, { accepted: n });
  };

  /** Admission to the durable queue: one atomic add of all the payloads. */
  const offerDurably = (res: ServerResponse, durable: DurableQueue, payloads: readonly unknown[]): void => {
    const n = payloads.length;
    durable.offer(payloads).then(
      (accepted) => {
        if (!accepted) {
          refuseQueueFull(res, n);
          return;
        }
        payloadsAccepted += n;
        sendJson(res, 202, { accepted: n });
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof TypeError) sendJson(res, 400, { error: message });
        else if (error instanceof RangeError) sendJson(res, 413, { error: message });
        else {
          log(`queue unavailable: ${message}`);
          sendJson(res, 503, { error: `queue unavailable: ${message}` }, retryAfter);
        }
      },
    );
  };

  const handlePayloads = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== "POST") {
      sendJson(res, 405, { error: `method ${String(req.method)} not allowed on /payloads`, allow: "POST" }, { Allow: "POST" });
      req.resume();
      return;
    }
    if (draining) {
      refuse(res, "draining", { error: "shutting down" });
      req.resume();
      return;
    }
    const limit = config.maxBodyBytes;
    const tooLarge = (): void => {
      // Stop reading; the response closes the connection, discarding the rest of the body.
      res.setHeader("Connection", "close");
      sendJson(res, 413, { error: `request body exceeds MAX_BODY_BYTES=${limit}`, maxBodyBytes: limit });
    };
    const header = req.headers["content-length"];
    const declared = header === undefined ? Number.NaN : Number(header);
    if (declared > limit) {
      tooLarge();
      return;
    }
    // Refuse before reading when the request cannot fit: the sink is failing,
    // no slot is free (every request carries at least one payload), or the body
    // likely carries more payloads than there are free slots. Node discards the
    // unread body once the response is sent, keeping the connection.
    if (breaker.state() === "open") {
      refuseSinkFailing(res);
      return;
    }
    const free = queue.free();
    if (free === 0 || (bytesPerPayload > 0 && declared / (bytesPerPayload * ESTIMATE_MARGIN) > free)) {
      refuseQueueFull(res, undefined);
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
      const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      // Checked on the bytes before parsing, in one loop: JSON.stringify in the
      // sink would overflow the stack on a body nested thousands deep.
      if (nestedDeeperThan(bytes, config.maxJsonDepth)) {
        sendJson(res, 400, {
          error: `JSON nested deeper than MAX_JSON_DEPTH=${config.maxJsonDepth} levels`,
          maxJsonDepth: config.maxJsonDepth,
        });
        return;
      }
      let text: string;
      try {
        text = utf8.decode(bytes);
      } catch {
        sendJson(res, 400, { error: "body is not valid UTF-8" });
        return;
      }
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
      admit(res, payloads, size);
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
      } else if (breaker.state() !== "closed") {
        sendJson(res, 503, { status: "sink failing", breaker: breaker.state() });
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
    metric("demo_payloads_refused_total", "counter", "Payloads of requests answered 503 after parsing (queue full).", payloadsRefused);
    out.push(
      "# HELP demo_requests_refused_total Requests answered 503, by reason.",
      "# TYPE demo_requests_refused_total counter",
    );
    for (const reason of ["queue_full", "sink_failing", "draining"]) {
      out.push(`demo_requests_refused_total{reason="${reason}"} ${refusedRequests.get(reason) ?? 0}`);
    }
    const d = delivery.stats();
    metric("demo_upload_attempts_failed_total", "counter", "Upload attempts the sink rejected (each is retried or dead-lettered).", d.failedAttempts);
    metric("demo_upload_retries_total", "counter", "Upload attempts after a payload's first.", d.retries);
    metric("demo_dead_lettered_payloads_total", "counter", "Acknowledged payloads written to the dead-letter file.", d.deadLettered);
    metric("demo_payloads_lost_total", "counter", "Acknowledged payloads neither stored nor dead-lettered.", d.lost);
    const state = breaker.state();
    metric("demo_breaker_state", "gauge", "Circuit breaker: 0 closed, 1 open, 2 half-open.", state === "closed" ? 0 : state === "open" ? 1 : 2);
    metric("demo_breaker_opened_total", "counter", "Times the circuit breaker opened.", breaker.openedCount);
    metric("demo_sink_payloads_total", "counter", "Payloads durably stored by the sink.", s.payloads);
    metric("demo_sink_objects_total", "counter", "Objects written by the sink.", s.objects);
    metric("demo_sink_bytes_total", "counter", "Bytes of object bodies written by the sink.", s.bytes);
    metric("demo_sink_failed_payloads_total", "counter", "Payloads the sink failed to store (attempts; a retried payload counts each time).", s.failedPayloads);
    metric("demo_draining", "gauge", "1 while shutting down, else 0.", draining ? 1 : 0);
    return out.join("\n") + "\n";
  };

  const server = createServer(
    {
      headersTimeout: config.timeouts.headersMs,
      requestTimeout: config.timeouts.requestMs,
      keepAliveTimeout: config.timeouts.keepAliveMs,
      // Node checks the header and request timeouts on this interval (default 30 s).
      connectionsCheckingInterval: Math.min(1000, config.timeouts.headersMs),
    },
    handle,
  );
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    // A client too slow with its headers or body (HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS) gets 408.
    const status = error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "408 Request Timeout" : "400 Bad Request";
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
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
    `listening on ${url}: MAX_WORKERS=${config.maxWorkers} MAX_QUEUE=${config.maxQueue} MAX_BODY_BYTES=${config.maxBodyBytes} ` +
      `sink=${sink.description} queue=${queue.description} dead letters=${deadLetters.path}`,
  );

  const shutdown = async (): Promise<void> => {
    draining = true;
    log("shutting down: no new requests; draining the pool");
    server.close(); // stops listening and closes idle keep-alive connections
    await queue.drain(config.drainDeadlineMs);
    await options.durableQueue?.close();
    const d = delivery.stats();
    log(
      `pool drained (${pool.metrics().completed} jobs completed${delivery.expired ? ", drain deadline reached" : ""}): ` +
        `${d.stored} stored, ${d.deadLettered} dead-lettered, ${d.lost} lost; closing the sink`,
    );
    await deadLetters.close();
    // A put abandoned at the deadline may still hang (its payload is dead-lettered): bound the wait.
    let sinkTimer: NodeJS.Timeout | undefined;
    const sinkClosed = await Promise.race([
      sink.close().then(() => true),
      new Promise<boolean>((resolve) => (sinkTimer = setTimeout(() => resolve(false), CONNECTION_GRACE_MS))),
    ]);
    clearTimeout(sinkTimer);
    const s = sink.stats();
    log(`sink ${sinkClosed ? "closed" : "did not close in time"}: ${s.payloads} payloads in ${s.objects} objects, ${s.failedPayloads} failed attempts`);
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
    breaker,
    delivery,
    deadLetters,
    httpStats: () => ({
      responses: new Map(responses),
      payloadsAccepted,
      payloadsRefused,
      refusedRequests: new Map(refusedRequests),
      jobsFailed,
    }),
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

/**
 * The program (what `bin/server.js` runs): configuration from the environment,
 * one JSON line `{"event":"listening",...}` on stdout, logs on stderr, and a
 * graceful shutdown on SIGTERM or SIGINT. Exit code 0 once drained with no
 * payload lost (each one stored or dead-lettered), 1 if one was lost or the
 * shutdown failed, 2 for an invalid configuration; a second signal exits 1 at
 * once.
 *
 * @example
 * ```ts
 * await main(); // as bin/server.js does
 * ```
 */
export async function main(): Promise<void> {
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
  const redis = redisQueueConfig(process.env);
  const running = await startServer(config, redis === undefined ? { log } : { log, durableQueue: new RedisPayloadQueue(redis) });
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
        const d = running.delivery.stats();
        log(`bye: ${h.payloadsAccepted} payloads acknowledged, ${d.deadLettered} dead-lettered, ${h.jobsFailed} lost`);
        process.exit(h.jobsFailed === 0 && d.lost === 0 ? 0 : 1);
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
