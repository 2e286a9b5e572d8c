/**
 * Moving transferables instead of copying them, for ThreadPool jobs.
 *
 * A job's arguments and result travel through shared memory (its thread's
 * rings), not through postMessage, so an ArrayBuffer is never zero-copy: the
 * bytes are copied once into the ring and once out of it. What `transfer`
 * gives for it is the other half of postMessage's transfer, ownership: a
 * moved ArrayBuffer is detached on the sending side at once (its
 * `byteLength` becomes 0), so the sender cannot go on writing memory the job
 * reads, and a large buffer is not held twice while the job waits in the
 * queue. A MessagePort (or a stream, or anything else postMessage can move)
 * cannot live in shared memory: a value whose list holds one travels beside
 * the ring by postMessage, moved (side-transfer.ts has how, and what becomes
 * of it when its thread dies or its job is cancelled). A SharedArrayBuffer, a
 * typed array (list its `.buffer`), a detached buffer or anything that is not
 * an object is refused synchronously with a {@link TransferError} naming it.
 *
 * @module
 */
import type { TransferListItem } from "node:worker_threads";
import { encode } from "./codec.js";
import { TransferError } from "./errors.js";

/** A mark that survives two copies of this module (it is looked up, not made). */
const MARK = Symbol.for("@gochan/threads.transferred");

/**
 * A job result marked for transfer by {@link transfer}: the pool's thread
 * moves the listed buffers and ports out of the job (detaching them there)
 * and the caller receives `T`.
 *
 * @typeParam T - the value the caller receives.
 *
 * @example
 * ```ts
 * import { transfer, type Transferred } from "@gochan/threads";
 * export function render(width: number): Transferred<Uint8Array> {
 *   const pixels = new Uint8Array(width * 4);
 *   return transfer(pixels, [pixels.buffer]);
 * }
 * ```
 */
export class Transferred<T> {
  /** The value the caller receives. */
  readonly value: T;
  /** The buffers and ports moved with it. */
  readonly list: readonly TransferListItem[];

  /** @internal Made by {@link transfer}. */
  constructor(value: T, list: readonly TransferListItem[]) {
    this.value = value;
    this.list = list;
    Object.defineProperty(this, MARK, { value: true });
  }
}

/**
 * Marks a job's result so its ArrayBuffers and MessagePorts are moved, not
 * copied: call it as the job's return value. The job's own references are
 * detached once the result is sent; the caller of `pool.submit` receives the
 * value (typed `T`), its ports usable on the caller's thread. Checked like
 * the `transfer` option; a port in the value but not in `list` fails the job
 * with UncloneableValueError.
 *
 * @throws {@link TransferError} naming an entry of `list` that cannot be
 *   moved (a SharedArrayBuffer, a typed array, a detached buffer, not an
 *   object).
 *
 * @example
 * ```ts
 * import { transfer } from "@gochan/threads";
 * // jobs.ts, run by a ThreadPool
 * export function noise(n: number) {
 *   const out = new Float64Array(n).map(() => Math.random());
 *   return transfer(out, [out.buffer]);
 * }
 * ```
 *
 * @example
 * ```ts
 * import type { MessagePort } from "node:worker_threads";
 * import { transfer } from "@gochan/threads";
 * // jobs.ts: a job that hands a port back to its caller, moved
 * export function keep(port: MessagePort) {
 *   port.postMessage("hello from the job");
 *   return transfer({ port }, [port]);
 * }
 * ```
 */
export function transfer<T>(value: T, list: readonly TransferListItem[]): Transferred<T> {
  checkList(list);
  return new Transferred(value, list);
}

/**
 * Throws TransferError for a list (or entry) that cannot be moved. Entries
 * other than ArrayBuffers are left to structuredClone (side-transfer.ts),
 * which refuses, moving nothing, what it cannot move. @internal
 */
export function checkList(list: unknown): asserts list is readonly TransferListItem[] {
  if (!Array.isArray(list)) throw new TransferError("transfer", `${describe(list)}, not an array`);
  for (let i = 0; i < list.length; i++) {
    const b: unknown = list[i];
    if (b instanceof ArrayBuffer) {
      if (isDetached(b)) throw new TransferError(`transfer[${i}]`, "an ArrayBuffer that is already detached");
      continue;
    }
    if (typeof b !== "object" || b === null || ArrayBuffer.isView(b) || (typeof SharedArrayBuffer !== "undefined" && b instanceof SharedArrayBuffer)) {
      throw new TransferError(`transfer[${i}]`, describe(b));
    }
  }
}

/**
 * `value` with the buffers of `list` moved into it: the originals are
 * detached. Throws the codec's UncloneableValueError for a value that cannot
 * cross at all, before anything is detached. @internal
 */
export function move<T>(value: T, list: readonly ArrayBuffer[]): T {
  checkList(list);
  if (list.length === 0) return value;
  encode(value); // refuses what cannot cross, naming it, before anything is detached
  return structuredClone(value, { transfer: list as ArrayBuffer[] });
}

/** The {@link Transferred} a job returned, or null if it returned anything else. @internal */
export function marked(value: unknown): Transferred<unknown> | null {
  if (typeof value !== "object" || value === null || (value as Record<symbol, unknown>)[MARK] !== true) return null;
  return value as Transferred<unknown>;
}

/** What a job returned, with a {@link transfer} mark resolved (the buffers moved). @internal */
export function released(value: unknown): unknown {
  if (typeof value !== "object" || value === null || (value as Record<symbol, unknown>)[MARK] !== true) return value;
  const t = value as Transferred<unknown>;
  return move(t.value, t.list as ArrayBuffer[]); // a list needing more was sent by side-transfer.ts
}

function isDetached(b: ArrayBuffer): boolean {
  const d = (b as ArrayBuffer & { detached?: boolean }).detached;
  if (d !== undefined) return d;
  // Node 20 has no `detached`: a detached buffer cannot be sliced.
  try {
    b.slice(0, 0);
    return false;
  } catch {
    return true;
  }
}

function describe(v: unknown): string {
  if (typeof v === "object" && v !== null) {
    const name = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name;
    return name ? `an instance of ${name}` : "an object";
  }
  return typeof v === "function" ? `function ${v.name || "(anonymous)"}` : `${typeof v} ${String(v)}`;
}
