/**
 * The S3 sink against a real S3-compatible server: s3rver, started by the test
 * on 127.0.0.1 on a free port, storing into a temp directory.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type S3SinkConfig } from "../src/config.js";
import { S3Sink, readS3Payloads, s3SinkOptions } from "../src/s3-sink.js";
import { startServer } from "../src/server.js";
import { SinkClosedError } from "../src/sink.js";
import { join } from "node:path";
import { readDeadLetters } from "../src/dead-letter.js";
import { LoadGenerator, PayloadState } from "../src/load.js";
import { postPayloads, tempDir, until } from "./helpers.js";

const BUCKET = "payloads";
const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
let s3rver: S3rver;
let endpoint: string;
let client: S3Client;
let removeDir: () => Promise<void>;

// The SDK warns once that its 2027 releases need Node 22; not this test's concern.
const warningSetting = process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"];

beforeAll(async () => {
  process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true";
  const tmp = await tempDir();
  removeDir = tmp.remove;
  s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: tmp.dir, configureBuckets: [{ name: BUCKET }] });
  const { port } = await s3rver.run();
  endpoint = `http://127.0.0.1:${port}`;
  // The same client configuration the server derives from SINK=s3 with S3_ENDPOINT.
  const options = s3SinkOptions(parseConfig({ SINK: "s3", S3_BUCKET: BUCKET, S3_ENDPOINT: endpoint }).sink as S3SinkConfig);
  client = new S3Client({ ...options.clientConfig, credentials });
}, 30_000);

afterAll(async () => {
  if (warningSetting === undefined) delete process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"];
  else process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = warningSetting;
  client?.destroy();
  await s3rver?.close();
  await removeDir?.();
});

async function payloadsUnder(prefix: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const p of readS3Payloads(client, BUCKET, prefix)) out.push(p);
  return out;
}

describe("S3Sink", () => {
  it("uploads one object per payload with PutObject, resolving once uploaded", async () => {
    const sink = new S3Sink({ bucket: BUCKET, prefix: "unit/", client });
    await sink.put({ id: 0, text: "first" });
    expect(await payloadsUnder("unit/")).toEqual([{ id: 0, text: "first" }]);
    await Promise.all(Array.from({ length: 30 }, (_, i) => sink.put({ id: i + 1 })));
    await sink.close();
    const ids = (await payloadsUnder("unit/")).map((p) => (p as { id: number }).id).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 31 }, (_, i) => i));
    expect(sink.stats()).toMatchObject({ payloads: 31, objects: 31, failedPayloads: 0 });
    await expect(sink.put({ id: 99 })).rejects.toBeInstanceOf(SinkClosedError);
  });

  it("rejects the put and counts the failure when the bucket does not exist", async () => {
    const sink = new S3Sink({ bucket: "no-such-bucket", client });
    await expect(sink.put({ id: 1 })).rejects.toThrow(/bucket/i);
    await sink.close();
    expect(sink.stats()).toMatchObject({ payloads: 0, failedPayloads: 1 });
  });

  it("is what the server uses with SINK=s3: every 202'd payload ends up in the bucket", async () => {
    const previous = { id: process.env["AWS_ACCESS_KEY_ID"], secret: process.env["AWS_SECRET_ACCESS_KEY"] };
    process.env["AWS_ACCESS_KEY_ID"] = credentials.accessKeyId;
    process.env["AWS_SECRET_ACCESS_KEY"] = credentials.secretAccessKey;
    try {
      const config = parseConfig({
        HOST: "127.0.0.1",
        PORT: "0",
        SINK: "s3",
        S3_BUCKET: BUCKET,
        S3_PREFIX: "server/",
        S3_ENDPOINT: endpoint,
      });
      const running = await startServer(config);
      expect(running.sink.description).toBe(`s3://${BUCKET}/server/`);
      const replies = await Promise.all([
        postPayloads(running.url, Array.from({ length: 10 }, (_, i) => ({ id: i }))),
        postPayloads(running.url, Array.from({ length: 10 }, (_, i) => ({ id: 10 + i }))),
      ]);
      expect(replies.map((r) => r.status)).toEqual([202, 202]);
      await running.close();
      const ids = (await payloadsUnder("server/")).map((p) => (p as { id: number }).id).sort((a, b) => a - b);
      expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      for (const [name, value] of [["AWS_ACCESS_KEY_ID", previous.id], ["AWS_SECRET_ACCESS_KEY", previous.secret]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("fails closed while the S3 server is stopped: 503s, retries, dead letters; every 202'd payload is in the bucket or the dead-letter file", async () => {
    const tmp = await tempDir();
    const own = { directory: join(tmp.dir, "s3"), server: undefined as S3rver | undefined };
    const startS3 = async (port: number): Promise<number> => {
      own.server = new S3rver({ address: "127.0.0.1", port, silent: true, directory: own.directory, configureBuckets: [{ name: BUCKET }] });
      return (await own.server.run()).port;
    };
    const port = await startS3(0);
    const ownEndpoint = `http://127.0.0.1:${port}`;
    const ownClient = new S3Client({ ...s3SinkOptions(parseConfig({ SINK: "s3", S3_BUCKET: BUCKET, S3_ENDPOINT: ownEndpoint }).sink as S3SinkConfig).clientConfig, credentials });
    const previous = { id: process.env["AWS_ACCESS_KEY_ID"], secret: process.env["AWS_SECRET_ACCESS_KEY"] };
    process.env["AWS_ACCESS_KEY_ID"] = credentials.accessKeyId;
    process.env["AWS_SECRET_ACCESS_KEY"] = credentials.secretAccessKey;
    const deadLetterFile = join(tmp.dir, "dead-letter.ndjson");
    try {
      const running = await startServer(
        parseConfig({
          HOST: "127.0.0.1",
          PORT: "0",
          SINK: "s3",
          S3_BUCKET: BUCKET,
          S3_PREFIX: "outage/",
          S3_ENDPOINT: ownEndpoint,
          MAX_WORKERS: "32",
          MAX_QUEUE: "200",
          RETRY_ATTEMPTS: "3",
          RETRY_BASE_MS: "5",
          RETRY_MAX_MS: "20",
          BREAKER_FAILURES: "3",
          BREAKER_COOLDOWN_MS: "50",
          DEAD_LETTER_FILE: deadLetterFile,
        }),
      );
      const total = 300;
      const generator = new LoadGenerator({ url: running.url, totalPayloads: total, payloadsPerRequest: 10, connections: 4, maxAttempts: 1_000_000 });
      const load = generator.run();
      await until(() => generator.progress().acknowledged >= 50, "50 payloads were acknowledged");
      // A stop as an outage looks: the listener and every open connection go away.
      const stopping = own.server?.close();
      own.server?.httpServer?.closeAllConnections();
      await stopping;
      await until(() => (running.httpStats().refusedRequests.get("sink_failing") ?? 0) >= 3, "clients got 503 while S3 was down");
      await until(() => running.delivery.stats().deadLettered > 0, "a payload was dead-lettered");
      await startS3(port);
      const result = await load;
      await running.close();
      expect(result.acknowledged).toBe(total);
      expect(result.refusals503).toBeGreaterThan(0);

      // Object by object: s3rver leaves a PUT cut by the stop as a broken object
      // (real S3 stores nothing); such a payload must be in the dead-letter file.
      const stored: number[] = [];
      const listed = await ownClient.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "outage/", MaxKeys: 10_000 }));
      const keys = (listed.Contents ?? []).map((object) => object.Key);
      const fetchOne = async (key: string | undefined): Promise<void> => {
        try {
          const got = await ownClient.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
          stored.push((JSON.parse((await got.Body?.transformToString("utf8")) ?? "") as { id: number }).id);
        } catch {
          // broken by the stop
        }
      };
      for (let i = 0; i < keys.length; i += 64) await Promise.all(keys.slice(i, i + 64).map(fetchOne));
      expect(new Set(stored).size).toBe(stored.length); // a retried key overwrites: nothing twice
      const recovered = new Set(stored);
      for await (const letter of readDeadLetters(deadLetterFile)) recovered.add((letter.payload as { id: number }).id);
      const missing = [...result.state.keys()].filter((id) => result.state[id] === PayloadState.Acknowledged && !recovered.has(id));
      expect(missing).toEqual([]);
      expect(running.delivery.stats()).toMatchObject({ lost: 0 });
      expect(running.delivery.stats().deadLettered).toBeGreaterThan(0);
    } finally {
      for (const [name, value] of [["AWS_ACCESS_KEY_ID", previous.id], ["AWS_SECRET_ACCESS_KEY", previous.secret]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      ownClient.destroy();
      await own.server?.close().catch(() => undefined);
      await tmp.remove();
    }
  }, 60_000);
});
