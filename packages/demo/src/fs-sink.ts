/**
 * The default sink: a local directory laid out like a bucket. An object's key is
 * its path relative to the directory (`payloads/2025/01/31/<boot>-<seq>.ndjson`),
 * and its body holds one payload per line (NDJSON).
 *
 * Durability: each object is written to a temporary file in its final directory,
 * fsynced, renamed into place, and the directory is fsynced, so an object is
 * either absent or complete, and once `put` resolves it survives a crash.
 * Directories are fsynced into their parents when created.
 *
 * Group commit: concurrent puts share an object. While `concurrency` writes are in
 * flight, new payloads gather into the next object (up to `batchSize` payloads);
 * when nothing is being written, an object is started on the next turn of the
 * event loop with whatever arrived in the current one. With `batchSize: 1` every
 * payload is its own object. `put` resolves when the object holding the payload is
 * durable, so a pool job awaiting it completes only after the upload.
 *
 * A failed write rejects every put in its object and leaves no object behind
 * (an object renamed into place whose directory fsync then failed is removed),
 * so retrying those puts never stores a payload twice.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { SinkClosedError, type Sink, type SinkStats } from "./sink.js";

/**
 * Options of {@link FsSink}.
 *
 * @example
 * ```ts
 * const options: FsSinkOptions = { dir: "/tmp/bucket", batchSize: 1000, concurrency: 2 };
 * ```
 */
export interface FsSinkOptions {
  /** The directory that plays the bucket; created if missing. */
  readonly dir: string;
  /** Most payloads per object (default 1000; 1 = one object per payload). */
  readonly batchSize?: number;
  /** Objects written at the same time (default 2). */
  readonly concurrency?: number;
  /** Key prefix (default `payloads/`). */
  readonly prefix?: string;
  /**
   * Fault injection (tests, drills): called before each object is written; an
   * error it returns fails that write as a full disk would.
   */
  readonly fault?: () => Error | undefined;
}

/** Prefix of the temporary files an object is written to before its rename. */
const TMP_PREFIX = ".tmp-";

/** Payloads waiting for, or being written into, one object. */
class Batch {
  readonly lines: string[] = [];
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/**
 * A {@link Sink} that writes payloads durably into a local directory laid out
 * like a bucket.
 *
 * @example
 * ```ts
 * const sink = new FsSink({ dir: "/tmp/bucket" });
 * await Promise.all([sink.put({ id: 1 }), sink.put({ id: 2 })]);
 * await sink.close();
 * console.log(await listObjects("/tmp/bucket")); // [ "payloads/2025/01/31/m6k2…-00000001.ndjson" ]
 * ```
 */
export class FsSink implements Sink {
  readonly description: string;
  readonly #dir: string;
  readonly #batchSize: number;
  readonly #concurrency: number;
  readonly #prefix: string;
  readonly #fault: (() => Error | undefined) | undefined;
  readonly #boot = `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
  readonly #ext: string;
  #seq = 0;
  #open: Batch | undefined;
  readonly #sealed: Batch[] = [];
  readonly #writing = new Set<Batch>();
  #scheduled: NodeJS.Immediate | undefined;
  #closed = false;
  readonly #dirs = new Map<string, Promise<void>>();
  #payloads = 0;
  #objects = 0;
  #bytes = 0;
  #failed = 0;

  constructor(options: FsSinkOptions) {
    const { dir, batchSize = 1000, concurrency = 2, prefix = "payloads/", fault } = options;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`FsSink batchSize must be a positive integer, got ${String(batchSize)}`);
    }
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`FsSink concurrency must be a positive integer, got ${String(concurrency)}`);
    }
    if (prefix.startsWith("/") || prefix.split("/").includes("..")) {
      throw new RangeError(`FsSink prefix must be a relative key prefix, got ${JSON.stringify(prefix)}`);
    }
    this.#dir = dir;
    this.#batchSize = batchSize;
    this.#concurrency = concurrency;
    this.#prefix = prefix;
    this.#fault = fault;
    this.#ext = batchSize === 1 ? ".json" : ".ndjson";
    this.description = `fs:${dir}`;
  }

  put(payload: unknown): Promise<void> {
    if (this.#closed) return Promise.reject(new SinkClosedError(this.description));
    let line: string | undefined;
    try {
      line = JSON.stringify(payload);
    } catch (error) {
      this.#failed += 1;
      return Promise.reject(error instanceof Error ? error : new TypeError(String(error)));
    }
    if (line === undefined) {
      this.#failed += 1;
      return Promise.reject(new TypeError(`FsSink.put needs a JSON value, got ${typeof payload}`));
    }
    let batch = this.#open;
    if (batch === undefined) batch = this.#open = new Batch();
    batch.lines.push(line);
    if (batch.lines.length >= this.#batchSize) {
      this.#open = undefined;
      this.#sealed.push(batch);
      this.#pump();
    } else if (this.#scheduled === undefined && this.#writing.size < this.#concurrency) {
      // Let the rest of this turn's puts join the object before it is started.
      this.#scheduled = setImmediate(this.#onTurn);
    }
    return batch.done;
  }

  async flush(): Promise<void> {
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    const pending: Promise<void>[] = [];
    for (const b of this.#writing) pending.push(b.done);
    for (const b of this.#sealed) pending.push(b.done);
    if (this.#open !== undefined) {
      pending.push(this.#open.done);
      this.#sealed.push(this.#open);
      this.#open = undefined;
    }
    this.#pump();
    await Promise.allSettled(pending);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  stats(): SinkStats {
    return { payloads: this.#payloads, objects: this.#objects, bytes: this.#bytes, failedPayloads: this.#failed };
  }

  readonly #onTurn = (): void => {
    this.#scheduled = undefined;
    this.#pump();
  };

  #pump(): void {
    while (this.#writing.size < this.#concurrency) {
      let batch = this.#sealed.shift();
      if (batch === undefined) {
        batch = this.#open;
        if (batch === undefined) return;
        this.#open = undefined;
      }
      this.#writing.add(batch);
      void this.#write(batch);
    }
  }

  async #write(batch: Batch): Promise<void> {
    const now = new Date();
    const day = `${now.getUTCFullYear()}/${pad(now.getUTCMonth() + 1, 2)}/${pad(now.getUTCDate(), 2)}`;
    const name = `${this.#boot}-${pad(++this.#seq, 8)}${this.#ext}`;
    const folder = join(this.#dir, ...`${this.#prefix}${day}`.split("/").filter((s) => s !== ""));
    const tmp = join(folder, `${TMP_PREFIX}${name}`);
    const final = join(folder, name);
    let wroteTmp = false;
    let renamed = false;
    try {
      const fault = this.#fault?.();
      if (fault !== undefined) throw fault;
      await this.#ensureDir(folder);
      const body = Buffer.from(batch.lines.join("\n") + "\n", "utf8");
      const file = await open(tmp, "wx");
      wroteTmp = true;
      try {
        await file.writeFile(body);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, final);
      wroteTmp = false;
      renamed = true;
      await fsyncDir(folder);
      this.#objects += 1;
      this.#payloads += batch.lines.length;
      this.#bytes += body.length;
      batch.resolve();
    } catch (error) {
      this.#failed += batch.lines.length;
      if (wroteTmp) await rm(tmp, { force: true }).catch(() => undefined);
      // The object is visible but not known durable: remove it, so that a retry does not store it twice.
      if (renamed) await rm(final, { force: true }).catch(() => undefined);
      batch.reject(error);
    } finally {
      this.#writing.delete(batch);
      this.#pump();
    }
  }

  /** Creates `folder` and fsyncs each new directory into its parent, once per folder. */
  #ensureDir(folder: string): Promise<void> {
    let made = this.#dirs.get(folder);
    if (made === undefined) {
      made = (async () => {
        const first = await mkdir(folder, { recursive: true });
        if (first === undefined) return;
        // mkdir returns the first directory it created: fsync it and everything below into their parents.
        for (let d = folder; ; d = dirname(d)) {
          await fsyncDir(dirname(d));
          if (d === first || dirname(d) === d) break;
        }
      })();
      this.#dirs.set(folder, made);
      made.catch(() => this.#dirs.delete(folder));
    }
    return made;
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Lists the keys of every complete object under `dir` (temporary files of writes
 * in progress are skipped), sorted.
 *
 * @example
 * ```ts
 * const keys = await listObjects("/tmp/bucket");
 * console.log(keys.length, "objects");
 * ```
 */
export async function listObjects(dir: string): Promise<string[]> {
  const keys: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && !entry.name.startsWith(TMP_PREFIX)) keys.push(relative(dir, path).split(sep).join("/"));
    }
  };
  await walk(dir);
  return keys.sort();
}

/**
 * Reads every payload stored under `dir`, object by object in key order.
 *
 * @example
 * ```ts
 * let count = 0;
 * for await (const payload of readPayloads("/tmp/bucket")) count += payload === null ? 0 : 1;
 * console.log(count, "payloads");
 * ```
 */
export async function* readPayloads(dir: string): AsyncGenerator<unknown, void, undefined> {
  for (const key of await listObjects(dir)) {
    const body = await readFile(join(dir, ...key.split("/")), "utf8");
    for (const line of body.split("\n")) {
      if (line !== "") yield JSON.parse(line) as unknown;
    }
  }
}
