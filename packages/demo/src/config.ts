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
 * | `MAX_WORKERS` | `256` | pool workers: payloads uploaded concurrently |
 * | `MAX_QUEUE` | `20000` | payloads queued while every worker is busy; also the most one request may carry |
 * | `MAX_BODY_BYTES` | `1048576` | request body limit (the seed's `io.LimitReader`) |
 * | `RETRY_AFTER_SECONDS` | `1` | `Retry-After` sent with 503 |
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
  readonly sink: FsSinkConfig | S3SinkConfig;
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
  maxWorkers: 256,
  maxQueue: 20_000,
  maxBodyBytes: 1024 * 1024,
  retryAfterSeconds: 1,
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
  return { host, port, maxWorkers, maxQueue, maxBodyBytes, retryAfterSeconds, sink };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
