/**
 * The seed's `UploadToS3`: one `PutObject` per payload with the official AWS SDK
 * for JavaScript v3. Works against AWS or any S3-compatible server (endpoint and
 * path-style addressing configurable).
 *
 * @module
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import type { S3SinkConfig } from "./config.js";
import { SinkClosedError, type Sink, type SinkStats } from "./sink.js";

/**
 * Options of {@link S3Sink}: the bucket and key prefix, and either a ready client
 * or the configuration to build one (which the sink then owns and destroys on
 * close).
 *
 * @example
 * ```ts
 * const options: S3SinkOptions = {
 *   bucket: "payloads",
 *   clientConfig: { region: "us-east-1", endpoint: "http://127.0.0.1:4568", forcePathStyle: true },
 * };
 * ```
 */
export interface S3SinkOptions {
  readonly bucket: string;
  /** Key prefix (default `payloads/`). */
  readonly prefix?: string;
  /** A client to use; the caller keeps ownership. */
  readonly client?: S3Client;
  /** Configuration of the client the sink creates when `client` is absent. */
  readonly clientConfig?: S3ClientConfig;
}

/**
 * A {@link Sink} that uploads each payload as its own S3 object
 * (`<prefix><boot>-<seq>.json`). The key of an object payload is chosen at its
 * first put and reused by later puts of the same object, so a retry after an
 * ambiguous failure (a reset connection after the server stored it) overwrites
 * rather than duplicates.
 *
 * @example
 * ```ts
 * const sink = new S3Sink({ bucket: "payloads", clientConfig: { region: "eu-west-1" } });
 * await sink.put({ id: 1 });
 * await sink.close();
 * ```
 */
export class S3Sink implements Sink {
  readonly description: string;
  readonly #client: S3Client;
  readonly #ownsClient: boolean;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #boot = `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
  #seq = 0;
  /** A payload's key, fixed at its first put: a retry overwrites the same object, never adds a second. */
  readonly #keys = new WeakMap<object, string>();
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;
  #payloads = 0;
  #bytes = 0;
  #failed = 0;

  constructor(options: S3SinkOptions) {
    const { bucket, prefix = "payloads/", client, clientConfig = {} } = options;
    if (bucket === "") throw new RangeError("S3Sink bucket must not be empty");
    this.#bucket = bucket;
    this.#prefix = prefix;
    this.#client = client ?? new S3Client(clientConfig);
    this.#ownsClient = client === undefined;
    this.description = `s3://${bucket}/${prefix}`;
  }

  put(payload: unknown): Promise<void> {
    if (this.#closed) return Promise.reject(new SinkClosedError(this.description));
    let body: string | undefined;
    try {
      body = JSON.stringify(payload);
    } catch (error) {
      this.#failed += 1;
      return Promise.reject(error instanceof Error ? error : new TypeError(String(error)));
    }
    if (body === undefined) {
      this.#failed += 1;
      return Promise.reject(new TypeError(`S3Sink.put needs a JSON value, got ${typeof payload}`));
    }
    let key = typeof payload === "object" && payload !== null ? this.#keys.get(payload) : undefined;
    if (key === undefined) {
      key = `${this.#prefix}${this.#boot}-${String(++this.#seq).padStart(10, "0")}.json`;
      if (typeof payload === "object" && payload !== null) this.#keys.set(payload, key);
    }
    const upload = this.#upload(key, body);
    this.#inFlight.add(upload);
    const settled = (): void => {
      this.#inFlight.delete(upload);
    };
    upload.then(settled, settled);
    return upload;
  }

  async #upload(key: string, body: string): Promise<void> {
    try {
      await this.#client.send(
        new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentType: "application/json" }),
      );
      this.#payloads += 1;
      this.#bytes += Buffer.byteLength(body);
    } catch (error) {
      this.#failed += 1;
      throw error;
    }
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    if (this.#ownsClient) this.#client.destroy();
  }

  stats(): SinkStats {
    return { payloads: this.#payloads, objects: this.#payloads, bytes: this.#bytes, failedPayloads: this.#failed };
  }
}

/**
 * Builds the {@link S3SinkOptions} for a validated `SINK=s3` configuration.
 *
 * @example
 * ```ts
 * const sink = new S3Sink(s3SinkOptions({ kind: "s3", bucket: "b", prefix: "p/", region: "us-east-1", forcePathStyle: true, endpoint: "http://127.0.0.1:4568" }));
 * ```
 */
export function s3SinkOptions(config: S3SinkConfig): S3SinkOptions {
  return {
    bucket: config.bucket,
    prefix: config.prefix,
    clientConfig: {
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      // The server's delivery retries with backoff and tells the circuit breaker of
      // every attempt; the SDK's own retries would hide failures from it.
      maxAttempts: 1,
      ...(config.endpoint === undefined
        ? {}
        : {
            endpoint: config.endpoint,
            // S3-compatible servers often reject the SDK's default flexible checksums.
            requestChecksumCalculation: "WHEN_REQUIRED",
            responseChecksumValidation: "WHEN_REQUIRED",
          }),
    },
  };
}

/**
 * Reads every payload stored under `prefix` in `bucket`, in key order.
 *
 * @example
 * ```ts
 * for await (const payload of readS3Payloads(client, "payloads", "payloads/")) console.log(payload);
 * ```
 */
export async function* readS3Payloads(
  client: S3Client,
  bucket: string,
  prefix: string,
): AsyncGenerator<unknown, void, undefined> {
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token === undefined ? {} : { ContinuationToken: token }) }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined) continue;
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      const body = (await got.Body?.transformToString("utf8")) ?? "";
      for (const line of body.split("\n")) {
        if (line !== "") yield JSON.parse(line) as unknown;
      }
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}
