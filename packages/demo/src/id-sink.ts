/**
 * The sink of the Redis mode: one object per payload, named by the payload's
 * id (`payloads/by-id/<id>.ndjson`, one line). A payload delivered twice (at
 * least once upstream) is written twice under the same name: the second write
 * replaces the first, so the bucket holds it exactly once.
 *
 * Durability as in the fs sink: written to a temporary file, fsynced, renamed
 * into place, the directory fsynced; `put` resolves once the object is durable,
 * so the worker acknowledges the Redis entry only after that.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rename } from "node:fs/promises";
import { join } from "node:path";
import { SinkClosedError, type Sink, type SinkStats } from "./sink.js";

/**
 * Options of {@link IdSink}.
 *
 * @example
 * ```ts
 * const options: IdSinkOptions = { dir: "/tmp/bucket" };
 * ```
 */
export interface IdSinkOptions {
  /** The directory that plays the bucket; created if missing. */
  readonly dir: string;
}

const FOLDER = ["payloads", "by-id"];

/**
 * A sink that names each object after its payload's `id`.
 *
 * @example
 * ```ts
 * const sink = new IdSink({ dir: "/tmp/bucket" });
 * await sink.put({ id: 7, body: "x" });
 * await sink.put({ id: 7, body: "x" }); // the same object, written again
 * console.log(sink.stats().objects); // 2 writes, one object in the bucket
 * await sink.close();
 * ```
 */
export class IdSink implements Sink {
  readonly description: string;
  readonly #folder: string;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #prefix = `.tmp-${randomBytes(4).toString("hex")}-`;
  #ready: Promise<void> | null = null;
  #closed = false;
  #seq = 0;
  #payloads = 0;
  #objects = 0;
  #bytes = 0;
  #failed = 0;

  constructor(options: IdSinkOptions) {
    this.#folder = join(options.dir, ...FOLDER);
    this.description = `fs-by-id:${options.dir}`;
  }

  put(payload: unknown): Promise<void> {
    if (this.#closed) return Promise.reject(new SinkClosedError(this.description));
    const id = (payload as { id?: unknown } | null)?.id;
    if (!(typeof id === "string" && /^[\w.-]{1,200}$/.test(id)) && !(typeof id === "number" && Number.isSafeInteger(id) && id >= 0)) {
      this.#failed += 1;
      return Promise.reject(new TypeError(`IdSink.put: payload.id must be a non-negative integer or a string of [A-Za-z0-9_.-], got ${JSON.stringify(id) ?? "nothing"}`));
    }
    const write = this.#write(String(id), `${JSON.stringify(payload)}\n`);
    this.#inFlight.add(write);
    const forget = (): void => {
      this.#inFlight.delete(write);
    };
    write.then(forget, forget);
    return write;
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  stats(): SinkStats {
    return { payloads: this.#payloads, objects: this.#objects, bytes: this.#bytes, failedPayloads: this.#failed };
  }

  async #write(id: string, body: string): Promise<void> {
    try {
      this.#ready ??= mkdir(this.#folder, { recursive: true }).then(() => undefined);
      await this.#ready;
      const tmp = join(this.#folder, `${this.#prefix}${this.#seq++}`);
      const file = await open(tmp, "w");
      try {
        await file.writeFile(body);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, join(this.#folder, `${id}.ndjson`));
      const dir = await open(this.#folder, "r");
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      this.#payloads += 1;
      this.#objects += 1;
      this.#bytes += Buffer.byteLength(body);
    } catch (error) {
      this.#failed += 1;
      throw error;
    }
  }
}
