/** Configuration from the environment: defaults, validation, errors naming variable and value. */
import fc from "fast-check";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULTS, parseConfig } from "../src/config.js";

function issuesOf(env: Record<string, string>): { variable: string; value: string | undefined; problem: string }[] {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe("parseConfig", () => {
  it("uses the defaults for an empty environment", () => {
    expect(parseConfig({})).toEqual({
      host: "127.0.0.1",
      port: 8080,
      maxWorkers: DEFAULTS.maxWorkers,
      maxQueue: DEFAULTS.maxQueue,
      maxBodyBytes: 1024 * 1024,
      retryAfterSeconds: 1,
      maxJsonDepth: 64,
      timeouts: { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000 },
      retry: { attempts: 5, baseMs: 50, maxMs: 2000 },
      breaker: { failures: 5, cooldownMs: 2000 },
      deadLetterFile: join(tmpdir(), "gochan-demo-dead-letter.ndjson"),
      drainDeadlineMs: 25_000,
      sink: { kind: "fs", dir: join(tmpdir(), "gochan-demo-bucket"), batchSize: 1000 },
    });
  });

  it("reads every variable", () => {
    const config = parseConfig({
      HOST: "::1",
      PORT: "0",
      MAX_WORKERS: "64",
      MAX_QUEUE: " 5000 ",
      MAX_BODY_BYTES: "4096",
      RETRY_AFTER_SECONDS: "3",
      SINK: "fs",
      SINK_DIR: "/var/tmp/bucket",
      SINK_BATCH_SIZE: "1",
      MAX_JSON_DEPTH: "8",
      HEADERS_TIMEOUT_MS: "2000",
      REQUEST_TIMEOUT_MS: "9000",
      KEEP_ALIVE_TIMEOUT_MS: "1000",
      RETRY_ATTEMPTS: "3",
      RETRY_BASE_MS: "10",
      RETRY_MAX_MS: "100",
      BREAKER_FAILURES: "2",
      BREAKER_COOLDOWN_MS: "500",
      DEAD_LETTER_FILE: "/var/tmp/dead.ndjson",
      DRAIN_DEADLINE_MS: "0",
    });
    expect(config).toEqual({
      host: "::1",
      port: 0,
      maxWorkers: 64,
      maxQueue: 5000,
      maxBodyBytes: 4096,
      retryAfterSeconds: 3,
      maxJsonDepth: 8,
      timeouts: { headersMs: 2000, requestMs: 9000, keepAliveMs: 1000 },
      retry: { attempts: 3, baseMs: 10, maxMs: 100 },
      breaker: { failures: 2, cooldownMs: 500 },
      deadLetterFile: "/var/tmp/dead.ndjson",
      drainDeadlineMs: 0,
      sink: { kind: "fs", dir: "/var/tmp/bucket", batchSize: 1 },
    });
  });

  it("treats empty variables as unset", () => {
    expect(parseConfig({ MAX_WORKERS: "", PORT: "  " }).maxWorkers).toBe(DEFAULTS.maxWorkers);
  });

  it.each([
    ["MAX_WORKERS", "0"],
    ["MAX_WORKERS", "-1"],
    ["MAX_WORKERS", "ten"],
    ["MAX_WORKERS", "1.5"],
    ["MAX_WORKERS", "1e3"],
    ["MAX_WORKERS", "12abc"],
    ["MAX_QUEUE", "0"],
    ["MAX_QUEUE", "0x10"],
    ["PORT", "65536"],
    ["PORT", "http"],
    ["MAX_BODY_BYTES", "1"],
    ["RETRY_AFTER_SECONDS", "-5"],
    ["SINK_BATCH_SIZE", "0"],
    ["SINK", "gcs"],
    ["MAX_JSON_DEPTH", "1"],
    ["RETRY_ATTEMPTS", "0"],
    ["BREAKER_FAILURES", "0"],
    ["DRAIN_DEADLINE_MS", "soon"],
  ])("rejects %s=%s with an error naming the variable and the value", (variable, value) => {
    const issues = issuesOf({ [variable]: value });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ variable, value });
    let message = "";
    try {
      parseConfig({ [variable]: value });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`${variable}=${JSON.stringify(value)}`);
  });

  it("refuses a request timeout shorter than the headers timeout (Node would throw at start)", () => {
    expect(issuesOf({ HEADERS_TIMEOUT_MS: "5000", REQUEST_TIMEOUT_MS: "4000" })).toEqual([
      { variable: "REQUEST_TIMEOUT_MS", value: "4000", problem: "must be at least HEADERS_TIMEOUT_MS (5000)" },
    ]);
  });

  it("reports every invalid variable at once", () => {
    const issues = issuesOf({ MAX_WORKERS: "x", MAX_QUEUE: "-2", PORT: "99999" });
    expect(issues.map((i) => i.variable).sort()).toEqual(["MAX_QUEUE", "MAX_WORKERS", "PORT"]);
  });

  it("accepts every integer in range and rejects every one outside (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 200_000 }), (n) => {
        const valid = n >= 1 && n <= 100_000;
        if (valid) expect(parseConfig({ MAX_WORKERS: String(n) }).maxWorkers).toBe(n);
        else expect(issuesOf({ MAX_WORKERS: String(n) })[0]?.variable).toBe("MAX_WORKERS");
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  describe("SINK=s3", () => {
    it("requires S3_BUCKET", () => {
      expect(issuesOf({ SINK: "s3" })).toEqual([
        { variable: "S3_BUCKET", value: undefined, problem: "is required when SINK=s3" },
      ]);
      expect(() => parseConfig({ SINK: "s3" })).toThrow(/S3_BUCKET \(unset\): is required when SINK=s3/);
    });

    it("validates the bucket name, the endpoint URL and the path-style flag", () => {
      const issues = issuesOf({ SINK: "s3", S3_BUCKET: "Bad_Bucket", S3_ENDPOINT: "localhost:9000", S3_FORCE_PATH_STYLE: "maybe" });
      expect(issues.map((i) => [i.variable, i.value])).toEqual([
        ["S3_BUCKET", "Bad_Bucket"],
        ["S3_ENDPOINT", "localhost:9000"],
        ["S3_FORCE_PATH_STYLE", "maybe"],
      ]);
    });

    it("defaults to path-style addressing only with a custom endpoint", () => {
      expect(parseConfig({ SINK: "s3", S3_BUCKET: "payloads" }).sink).toEqual({
        kind: "s3",
        bucket: "payloads",
        prefix: "payloads/",
        region: "us-east-1",
        forcePathStyle: false,
      });
      expect(
        parseConfig({ SINK: "s3", S3_BUCKET: "payloads", S3_ENDPOINT: "http://127.0.0.1:4568", AWS_REGION: "eu-west-1" }).sink,
      ).toEqual({
        kind: "s3",
        bucket: "payloads",
        prefix: "payloads/",
        endpoint: "http://127.0.0.1:4568",
        region: "eu-west-1",
        forcePathStyle: true,
      });
      expect(
        parseConfig({ SINK: "s3", S3_BUCKET: "payloads", S3_ENDPOINT: "https://s3.example", S3_FORCE_PATH_STYLE: "no" }).sink,
      ).toMatchObject({ forcePathStyle: false });
    });
  });
});
