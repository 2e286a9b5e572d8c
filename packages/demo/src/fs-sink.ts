/**
 * The default sink: a local directory laid out like a bucket. An object's key is
 * its path relative to the directory (`payloads/2025/01/31/<boot>-<seq>.ndjson`),
 * and its body holds one payload per line (NDJSON).
 *
 * Durability: each object is written to a temporary file in its final directory,
 * fsynced, renamed into place, and the directory is fsynced, so an object is
 * either absent or complete, and once `put` resolves it survives a crash.
 * Directories are fsynced into their parents when created. The syscalls of one
 * object run synchronously in a writer thread (one per concurrent write), so
 * the main thread spends one message each way on an object instead of eight
 * event-loop round trips that wait behind HTTP work when the server is busy.
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
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { Worker } from "node:worker_threads";
import { SinkClosedError, type Sink, type SinkStats } from "./sink.js";
import { LineBatch } from "./line-batch.js";

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

/**
 * The object writer, run in a worker thread: for each object, the syscalls in
 * order (create the folder and fsync it into its parents the first time; open
 * the temporary file exclusively, write, fsync, close, rename into place, fsync
 * the folder), synchronously. One message each way per object, so a write does
 * not wait for the main event loop between its steps while the loop is busy
 * with HTTP. A failed write leaves nothing behind.
 */
const WRITER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const path = require("node:path");
function fsyncDir(dir) {
  const fd = fs.openSync(dir, "r");
  try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
}
parentPort.on("message", (m) => {
  let wroteTmp = false;
  let renamed = false;
  try {
    if (m.mkdir) {
      const first = fs.mkdirSync(m.folder, { recursive: true });
      if (first !== undefined) {
        for (let d = m.folder; ; d = path.dirname(d)) {
          fsyncDir(path.dirname(d));
          if (d === first || path.dirname(d) === d) break;
        }
      }
    }
    const body = Buffer.from(m.body, "utf8");
    const fd = fs.openSync(m.tmp, "wx");
    wroteTmp = true;
    try {
      for (let off = 0; off < body.length; ) off += fs.writeSync(fd, body, off, body.length - off);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(m.tmp, m.final);
    wroteTmp = false;
    renamed = true;
    fsyncDir(m.folder);
    parentPort.postMessage({ id: m.id, bytes: body.length });
  } catch (e) {
    try { if (wroteTmp) fs.rmSync(m.tmp, { force: true }); } catch {}
    // Visible but not known durable: removed, so that a retry does not store it twice.
    try { if (renamed) fs.rmSync(m.final, { force: true }); } catch {}
    parentPort.postMessage({ id: m.id, error: { message: String(e && e.message), code: e && e.code } });
  }
});
`;

/** One object write's reply from a writer thread. */
interface WriterReply {
  readonly bytes?: number;
  readonly error?: { readonly message: string; readonly code?: string };
}

/** A writer thread and the write it is doing. */
class Writer {
  readonly worker: Worker;
  current: ((reply: WriterReply) => void) | undefined;

  constructor() {
    this.worker = new Worker(WRITER_SOURCE, { eval: true });
    this.worker.unref();
    this.worker.on("message", (reply: WriterReply) => this.#settle(reply));
    this.worker.on("error", (error: Error) => this.#settle({ error: { message: `the writer thread failed: ${error.message}` } }));
  }

  #settle(reply: WriterReply): void {
    const done = this.current;
    this.current = undefined;
    done?.(reply);
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
  #open: LineBatch | undefined;
  readonly #sealed: LineBatch[] = [];
  readonly #writing = new Set<LineBatch>();
  #scheduled: NodeJS.Immediate | undefined;
  #closed = false;
  /** Folders created and fsynced into their parents. */
  readonly #dirs = new Set<string>();
  /** Writer threads, started on first use; one per concurrent write. */
  readonly #writers: Writer[] = [];
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
    if (batch === undefined) batch = this.#open = new LineBatch();
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
    await Promise.all(this.#writers.splice(0).map((w) => w.worker.terminate()));
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

  async #write(batch: LineBatch): Promise<void> {
    const now = new Date();
    const day = `${now.getUTCFullYear()}/${pad(now.getUTCMonth() + 1, 2)}/${pad(now.getUTCDate(), 2)}`;
    const name = `${this.#boot}-${pad(++this.#seq, 8)}${this.#ext}`;
    const folder = join(this.#dir, ...`${this.#prefix}${day}`.split("/").filter((s) => s !== ""));
    try {
      const fault = this.#fault?.();
      if (fault !== undefined) throw fault;
      const mkdir = !this.#dirs.has(folder);
      const reply = await this.#run({
        mkdir,
        folder,
        tmp: join(folder, `${TMP_PREFIX}${name}`),
        final: join(folder, name),
        body: batch.lines.join("\n") + "\n",
      });
      if (reply.error !== undefined) {
        throw Object.assign(new Error(reply.error.message), reply.error.code === undefined ? {} : { code: reply.error.code });
      }
      if (mkdir) this.#dirs.add(folder);
      this.#objects += 1;
      this.#payloads += batch.lines.length;
      this.#bytes += reply.bytes ?? 0;
      batch.resolve();
    } catch (error) {
      this.#failed += batch.lines.length;
      batch.reject(error);
    } finally {
      this.#writing.delete(batch);
      this.#pump();
    }
  }

  /** Hands one object to an idle writer thread (there is one per concurrent write). */
  #run(message: { mkdir: boolean; folder: string; tmp: string; final: string; body: string }): Promise<WriterReply> {
    let writer = this.#writers.find((w) => w.current === undefined);
    if (writer === undefined) {
      writer = new Writer();
      this.#writers.push(writer);
    }
    const chosen = writer;
    return new Promise<WriterReply>((resolve) => {
      chosen.current = resolve;
      chosen.worker.postMessage(message);
    });
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
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
