/**
 * The payload server's configuration, read from the environment and validated.
 *
 * Every variable has a default except the S3 bucket (needed only with `SINK=s3`).
 * Bad values never fall back silently: {@link parseConfig} collects every problem
 * and throws one {@link ConfigError} whose message names each variable and the
 * value it had.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `HOST` | `127.0.0.1` | address to listen on |
 * | `PORT` | `8080` | TCP port, 0 for any free port |
 * | `MAX_WORKERS` | `2048` | pool workers: payloads uploaded concurrently (a worker is an async loop, not a thread) |
 * | `MAX_QUEUE` | `20000` | payloads queued while every worker is busy; also the most one request may carry |
 * | `MAX_BODY_BYTES` | `1048576` | request body limit (the seed's `io.LimitReader`) |
 * | `RETRY_AFTER_SECONDS` | `1` | `Retry-After` sent with 503 |
 * | `MAX_JSON_DEPTH` | `64` | deepest nesting of arrays and objects a body may have (the body itself is level 1) |
 * | `HEADERS_TIMEOUT_MS` | `10000` | time a client has to send the request headers |
 * | `REQUEST_TIMEOUT_MS` | `30000` | time a client has to send the whole request |
 * | `KEEP_ALIVE_TIMEOUT_MS` | `5000` | idle time before a keep-alive connection is closed |
 * | `RETRY_ATTEMPTS` | `5` | attempts to store one payload before it is dead-lettered |
 * | `RETRY_BASE_MS` | `50` | backoff before the 2nd attempt; doubles each attempt, full jitter |
 * | `RETRY_MAX_MS` | `2000` | longest backoff between two attempts |
 * | `BREAKER_FAILURES` | `5` | consecutive failed attempts that open the circuit breaker |
 * | `BREAKER_COOLDOWN_MS` | `2000` | time the breaker stays open before it half-opens to probe |
 * | `DEAD_LETTER_FILE` | `<tmpdir>/gochan-demo-dead-letter.ndjson` | where payloads that could not be stored are appended |
 * | `DRAIN_DEADLINE_MS` | `25000` | on SIGTERM, time to drain before the rest is dead-lettered |
 * | `SINK` | `fs` | where payloads go: `fs` (a local directory laid out like a bucket) or `s3` |
 * | `SINK_DIR` | `<tmpdir>/gochan-demo-bucket` | the `fs` sink's directory |
 * | `SINK_BATCH_SIZE` | `1000` | `fs` sink: most payloads per object (1 = one object per payload) |
 * | `S3_BUCKET` | (required with `SINK=s3`) | bucket name |
 * | `S3_PREFIX` | `payloads/` | key prefix |
 * | `S3_ENDPOINT` | (AWS) | endpoint URL of an S3-compatible server |
 * | `S3_REGION` | `AWS_REGION` or `us-east-1` | region |
 * | `S3_FORCE_PATH_STYLE` | `true` with `S3_ENDPOINT`, else `false` | path-style bucket addressing |
 *
 * S3 credentials come from the AWS SDK's default chain (`AWS_ACCESS_KEY_ID`, ...).
 *
 * @module
 */
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/**
 * Where the `fs` sink writes.
 *
 * @example
 * ```ts
 * const sink: FsSinkConfig = { kind: "fs", dir: "/tmp/bucket", batchSize: 1000 };
 * ```
 */
export interface FsSinkConfig {
  readonly kind: "fs";
  /** Absolute path of the directory that plays the bucket. */
  readonly dir: string;
  /** Most payloads per object; 1 writes one object per payload. */
  readonly batchSize: number;
}

/**
 * Where the `s3` sink writes.
 *
 * @example
 * ```ts
 * const sink: S3SinkConfig = { kind: "s3", bucket: "payloads", prefix: "payloads/", region: "us-east-1", forcePathStyle: false };
 * ```
 */
export interface S3SinkConfig {
  readonly kind: "s3";
  readonly bucket: string;
  readonly prefix: string;
  /** Endpoint URL of an S3-compatible server; absent for AWS itself. */
  readonly endpoint?: string;
  readonly region: string;
  readonly forcePathStyle: boolean;
}

/**
 * The validated configuration of the payload server.
 *
 * @example
 * ```ts
 * const config: ServerConfig = parseConfig({ MAX_WORKERS: "64", MAX_QUEUE: "5000", PORT: "0" });
 * console.log(config.maxWorkers); // 64
 * ```
 */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly maxWorkers: number;
  readonly maxQueue: number;
  readonly maxBodyBytes: number;
  readonly retryAfterSeconds: number;
  /** Deepest nesting of arrays and objects a body may have; the body itself is level 1. */
  readonly maxJsonDepth: number;
  /** `server.headersTimeout`, `server.requestTimeout` and `server.keepAliveTimeout`, in ms. */
  readonly timeouts: HttpTimeouts;
  /** How uploads are retried before a payload is dead-lettered. */
  readonly retry: RetryConfig;
  /** When the circuit breaker opens and how long it stays open. */
  readonly breaker: BreakerConfig;
  /** Absolute path of the dead-letter file (JSON lines). */
  readonly deadLetterFile: string;
  /** On shutdown, time to drain before what is left is dead-lettered, in ms. */
  readonly drainDeadlineMs: number;
  readonly sink: FsSinkConfig | S3SinkConfig;
}

/**
 * The HTTP server's timeouts, in milliseconds.
 *
 * @example
 * ```ts
 * const timeouts: HttpTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000 };
 * ```
 */
export interface HttpTimeouts {
  readonly headersMs: number;
  readonly requestMs: number;
  readonly keepAliveMs: number;
}

/**
 * Retries of one payload's upload: bounded exponential backoff with full jitter.
 *
 * @example
 * ```ts
 * const retry: RetryConfig = { attempts: 5, baseMs: 50, maxMs: 2000 };
 * ```
 */
export interface RetryConfig {
  /** Attempts in all (1: no retry). */
  readonly attempts: number;
  /** Backoff ceiling before the 2nd attempt; doubles per attempt. */
  readonly baseMs: number;
  /** Largest backoff ceiling. */
  readonly maxMs: number;
}

/**
 * The circuit breaker's thresholds.
 *
 * @example
 * ```ts
 * const breaker: BreakerConfig = { failures: 5, cooldownMs: 2000 };
 * ```
 */
export interface BreakerConfig {
  /** Consecutive failed upload attempts that open it. */
  readonly failures: number;
  /** Time it stays open before half-opening to probe the sink. */
  readonly cooldownMs: number;
}

/**
 * One invalid variable: its name, the value it had and what was wrong.
 *
 * @example
 * ```ts
 * const issue: ConfigIssue = { variable: "PORT", value: "http", problem: "must be an integer from 0 to 65535" };
 * ```
 */
export interface ConfigIssue {
  readonly variable: string;
  /** The raw value, or `undefined` if the variable was unset. */
  readonly value: string | undefined;
  readonly problem: string;
}

/**
 * Thrown by {@link parseConfig} when one or more variables are invalid; the
 * message lists every one of them with its value.
 *
 * @example
 * ```ts
 * try {
 *   parseConfig({ MAX_WORKERS: "0" });
 * } catch (error) {
 *   if (error instanceof ConfigError) console.error(error.message);
 *   // invalid configuration:
 *   //   MAX_WORKERS="0": must be an integer from 1 to 100000
 * }
 * ```
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map(
      (i) => `  ${i.variable}${i.value === undefined ? " (unset)" : `=${JSON.stringify(i.value)}`}: ${i.problem}`,
    );
    super(`invalid configuration:\n${lines.join("\n")}`);
    this.issues = issues;
  }
}

/** @internal */
export const DEFAULTS = {
  host: "127.0.0.1",
  port: 8080,
  maxWorkers: 2048,
  maxQueue: 20_000,
  maxBodyBytes: 1024 * 1024,
  retryAfterSeconds: 1,
  maxJsonDepth: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  retryAttempts: 5,
  retryBaseMs: 50,
  retryMaxMs: 2000,
  breakerFailures: 5,
  breakerCooldownMs: 2000,
  drainDeadlineMs: 25_000,
  batchSize: 1000,
  s3Prefix: "payloads/",
  region: "us-east-1",
} as const;

/** Environment variables as `process.env` has them. */
type Env = Readonly<Record<string, string | undefined>>;

const DIGITS = /^\d+$/;

/**
 * Reads and validates the configuration from `env` (default `process.env`).
 * Unset or empty variables take their defaults; anything else must be valid.
 *
 * @throws {ConfigError} naming every invalid variable and its value.
 * @example
 * ```ts
 * const config = parseConfig({ PORT: "0", SINK: "fs", SINK_DIR: "/tmp/bucket" });
 * console.log(config.sink); // { kind: "fs", dir: "/tmp/bucket", batchSize: 1000 }
 * ```
 */
export function parseConfig(env: Env = process.env): ServerConfig {
  const issues: ConfigIssue[] = [];
  const raw = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const v = raw(name);
    if (v === undefined) return fallback;
    const n = DIGITS.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      issues.push({ variable: name, value: env[name], problem: `must be an integer from ${min} to ${max}` });
      return fallback;
    }
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const v = raw(name);
    if (v === undefined) return fallback;
    const lower = v.toLowerCase();
    if (lower === "true" || lower === "1" || lower === "yes") return true;
    if (lower === "false" || lower === "0" || lower === "no") return false;
    issues.push({ variable: name, value: env[name], problem: "must be true or false (or 1/0, yes/no)" });
    return fallback;
  };

  const host = raw("HOST") ?? DEFAULTS.host;
  const port = int("PORT", DEFAULTS.port, 0, 65535);
  const maxWorkers = int("MAX_WORKERS", DEFAULTS.maxWorkers, 1, 100_000);
  const maxQueue = int("MAX_QUEUE", DEFAULTS.maxQueue, 1, 10_000_000);
  const maxBodyBytes = int("MAX_BODY_BYTES", DEFAULTS.maxBodyBytes, 2, 1024 * 1024 * 1024);
  const retryAfterSeconds = int("RETRY_AFTER_SECONDS", DEFAULTS.retryAfterSeconds, 0, 3600);
  const maxJsonDepth = int("MAX_JSON_DEPTH", DEFAULTS.maxJsonDepth, 2, 1000);
  const timeouts: HttpTimeouts = {
    headersMs: int("HEADERS_TIMEOUT_MS", DEFAULTS.headersTimeoutMs, 1, 3_600_000),
    requestMs: int("REQUEST_TIMEOUT_MS", DEFAULTS.requestTimeoutMs, 1, 3_600_000),
    keepAliveMs: int("KEEP_ALIVE_TIMEOUT_MS", DEFAULTS.keepAliveTimeoutMs, 1, 3_600_000),
  };
  if (timeouts.requestMs < timeouts.headersMs) {
    issues.push({
      variable: "REQUEST_TIMEOUT_MS",
      value: env["REQUEST_TIMEOUT_MS"],
      problem: `must be at least HEADERS_TIMEOUT_MS (${timeouts.headersMs})`,
    });
  }
  const retry: RetryConfig = {
    attempts: int("RETRY_ATTEMPTS", DEFAULTS.retryAttempts, 1, 100),
    baseMs: int("RETRY_BASE_MS", DEFAULTS.retryBaseMs, 1, 600_000),
    maxMs: int("RETRY_MAX_MS", DEFAULTS.retryMaxMs, 1, 600_000),
  };
  const breaker: BreakerConfig = {
    failures: int("BREAKER_FAILURES", DEFAULTS.breakerFailures, 1, 1_000_000),
    cooldownMs: int("BREAKER_COOLDOWN_MS", DEFAULTS.breakerCooldownMs, 1, 3_600_000),
  };
  const deadLetterFile = resolve(raw("DEAD_LETTER_FILE") ?? join(tmpdir(), "gochan-demo-dead-letter.ndjson"));
  const drainDeadlineMs = int("DRAIN_DEADLINE_MS", DEFAULTS.drainDeadlineMs, 0, 3_600_000);

  let sink: FsSinkConfig | S3SinkConfig;
  const kind = raw("SINK") ?? "fs";
  if (kind === "s3") {
    const bucket = raw("S3_BUCKET");
    if (bucket === undefined) {
      issues.push({ variable: "S3_BUCKET", value: env["S3_BUCKET"], problem: "is required when SINK=s3" });
    } else if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      issues.push({
        variable: "S3_BUCKET",
        value: env["S3_BUCKET"],
        problem: "must be a valid bucket name: 3-63 characters of a-z, 0-9, '.' and '-'",
      });
    }
    const endpoint = raw("S3_ENDPOINT");
    if (endpoint !== undefined && !isHttpUrl(endpoint)) {
      issues.push({ variable: "S3_ENDPOINT", value: env["S3_ENDPOINT"], problem: "must be an http:// or https:// URL" });
    }
    const prefix = env["S3_PREFIX"] ?? DEFAULTS.s3Prefix;
    if (prefix.startsWith("/")) {
      issues.push({ variable: "S3_PREFIX", value: prefix, problem: "must not start with '/'" });
    }
    sink = {
      kind: "s3",
      bucket: bucket ?? "",
      prefix,
      ...(endpoint === undefined ? {} : { endpoint }),
      region: raw("S3_REGION") ?? raw("AWS_REGION") ?? DEFAULTS.region,
      forcePathStyle: bool("S3_FORCE_PATH_STYLE", endpoint !== undefined),
    };
  } else {
    if (kind !== "fs") {
      issues.push({ variable: "SINK", value: env["SINK"], problem: 'must be "fs" or "s3"' });
    }
    sink = {
      kind: "fs",
      dir: resolve(raw("SINK_DIR") ?? join(tmpdir(), "gochan-demo-bucket")),
      batchSize: int("SINK_BATCH_SIZE", DEFAULTS.batchSize, 1, 1_000_000),
    };
  }

  if (issues.length > 0) throw new ConfigError(issues);
  return {
    host,
    port,
    maxWorkers,
    maxQueue,
    maxBodyBytes,
    retryAfterSeconds,
    maxJsonDepth,
    timeouts,
    retry,
    breaker,
    deadLetterFile,
    drainDeadlineMs,
    sink,
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
