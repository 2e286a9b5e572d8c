/**
 * The dead-letter file: where a payload goes when it was acknowledged with 202
 * but could not be stored (its retries ran out, or the drain deadline came).
 *
 * Format: JSON lines, one record per payload:
 * `{"at":"2025-01-31T12:00:00.000Z","reason":"EROFS: ...","payload":{...}}`.
 * Records are appended and fsynced before {@link DeadLetterFile.write} resolves,
 * so a payload counted as dead-lettered is recoverable from the file after a
 * crash: {@link readDeadLetters} reads it back (a torn last line, from a crash
 * mid-append, is skipped: its write never resolved). Concurrent writes are
 * group-committed: one append and one fsync for whatever arrived meanwhile.
 *
 * @module
 */
import { mkdir, open, readFile, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { LineBatch } from "./line-batch.js";

/**
 * One record of the dead-letter file.
 *
 * @example
 * ```ts
 * const letter: DeadLetter = { at: "2025-01-31T12:00:00.000Z", reason: "EROFS", payload: { id: 1 } };
 * ```
 */
export interface DeadLetter {
  /** ISO time the payload was dead-lettered. */
  readonly at: string;
  /** The last error (or "drain deadline"). */
  readonly reason: string;
  readonly payload: unknown;
}

/**
 * Appends payloads durably to a JSON-lines file.
 *
 * @example
 * ```ts
 * const letters = new DeadLetterFile("/var/lib/demo/dead-letter.ndjson");
 * await letters.write({ id: 1 }, "sink down");
 * await letters.close();
 * ```
 */
export class DeadLetterFile {
  readonly path: string;
  #handle: Promise<FileHandle> | undefined;
  #open: LineBatch | undefined;
  #writing = false;
  #current: LineBatch | undefined;
  #written = 0;
  #failed = 0;

  constructor(path: string) {
    this.path = path;
  }

  /** Payloads durably written. */
  get written(): number {
    return this.#written;
  }

  /** Payloads whose append or fsync failed: acknowledged and lost. */
  get failed(): number {
    return this.#failed;
  }

  /** Appends one record; resolves once it is fsynced, rejects if it could not be. */
  write(payload: unknown, reason: string): Promise<void> {
    let line: string;
    try {
      line = JSON.stringify({ at: new Date().toISOString(), reason, payload });
    } catch (error) {
      this.#failed += 1;
      return Promise.reject(error instanceof Error ? error : new TypeError(String(error)));
    }
    let group = this.#open;
    if (group === undefined) {
      group = this.#open = new LineBatch();
      if (!this.#writing) setImmediate(this.#pump);
    }
    group.lines.push(line);
    return group.done;
  }

  /** Resolves once every record written before the call is settled. */
  async flush(): Promise<void> {
    while (this.#open !== undefined || this.#writing) {
      await (this.#open ?? this.#current)?.done.catch(() => undefined);
    }
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle !== undefined) await (await handle.catch(() => undefined))?.close();
  }

  readonly #pump = (): void => {
    const group = this.#open;
    if (this.#writing || group === undefined) return;
    this.#open = undefined;
    this.#writing = true;
    this.#current = group;
    void this.#append(group).finally(() => {
      this.#writing = false;
      this.#current = undefined;
      if (this.#open !== undefined) setImmediate(this.#pump);
    });
  };

  async #append(group: LineBatch): Promise<void> {
    try {
      const handle = await (this.#handle ??= this.#openFile());
      await handle.appendFile(group.lines.join("\n") + "\n");
      await handle.sync();
      this.#written += group.lines.length;
      group.resolve();
    } catch (error) {
      this.#failed += group.lines.length;
      // A failed open is retried by the next append.
      this.#handle = undefined;
      group.reject(error);
    }
  }

  async #openFile(): Promise<FileHandle> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true });
    const handle = await open(this.path, "a");
    // The file's directory entry must be durable too.
    const dirHandle = await open(dir, "r");
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
    return handle;
  }
}

/**
 * Reads every complete record of a dead-letter file; a missing file has none.
 *
 * @example
 * ```ts
 * for await (const letter of readDeadLetters("/var/lib/demo/dead-letter.ndjson")) {
 *   console.log(letter.reason, letter.payload);
 * }
 * ```
 */
export async function* readDeadLetters(path: string): AsyncGenerator<DeadLetter, void, undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      continue; // a torn last line from a crash mid-append: its write never resolved
    }
    if (typeof record === "object" && record !== null && "payload" in record) yield record as DeadLetter;
  }
}
