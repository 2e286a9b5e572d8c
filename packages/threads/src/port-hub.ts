/**
 * Moving MessagePorts (and other transferables shared memory cannot hold)
 * through a SharedChan: the value travels by message, the channel carries a
 * ticket for it.
 *
 * A shared channel's receiver is known only at the hand-off and may be on a
 * thread with no port to the sender's, so the value cannot go straight to it.
 * It waits instead with the main thread (the hub, thread id 0), which every
 * thread can reach with `worker_threads.postMessageToThread` (Node 20.19+
 * on the 20.x line, 22.5+)
 * and which outlives every worker:
 * 1. `park` (the sender, inside send/trySend/select): moves the value and its
 *    list into one message to the hub (PARK key value), posted before the
 *    ticket enters any channel; the channel carries only the ticket (codec.ts
 *    TAG_SIDE, its key: the sender's thread id and a counter).
 * 2. The receiver that commits the ticket (under the channel's lock, as it
 *    decodes it) posts CLAIM key; the hub posts the value, moved, to that
 *    thread (VALUE key value), whose receive resolves with it.
 * 3. A ticket whose send did not commit is dropped: DROP key, and the hub
 *    closes the ports.
 * The hub matches PARK with CLAIM or DROP by key in whatever order they come
 * (they come from different threads, on different ports).
 *
 * Invariants:
 * - Moved or untouched: `park` checks the value and the list (transfer.ts,
 *   codec.ts) and that moving is possible here (postMessageToThread, a hub
 *   listening for the channel's domain) before it moves anything, and one
 *   structuredClone moves all of the list or none of it; on an error the
 *   caller keeps every object it listed.
 * - One PARK per key, always before the ticket is in a channel: the message
 *   is queued on the sender's port to the main thread when `park` returns,
 *   and Node delivers what a thread queued even if it exits at once. So a
 *   sender that exits after sending loses nothing: the hub holds the value.
 * - Exactly one of CLAIM and DROP per key, so each value goes to exactly one
 *   receiver or is closed:
 *   - CLAIM is posted by the receiver that takes the ticket out of the ring
 *     (chan-state.ts `deliver`), once: the record dies in the same critical
 *     section. A receiver that dies before taking it (the ticket was reserved
 *     for it) leaves an ORPHAN that the next receiver takes and claims.
 *   - DROP is posted by the sender for every case of its operation that did
 *     not commit, once the operation is over (it may park and re-park the
 *     same ticket meanwhile, so no ring removal decides it). A peer that
 *     removes the offer of a sender whose thread is dead (close, a stale
 *     select entry) drops the ticket for it; one that removes the offer of a
 *     live sender marks the record ABANDONED and leaves it to the sender;
 *     ABANDONED records of a sender that dies before it withdraws them are
 *     dropped by the next operation on that channel after `threadExited`
 *     (chan-state.ts `reclaim`).
 * - A value is never half-delivered: the receive resolves with the whole
 *   value from the hub or fails with MovedValueError (the CLAIM could not be
 *   posted: the receive commits, the value's ports are closed by Node with
 *   the message nobody reads). A value the hub posts to a receiver that died
 *   meanwhile dies with it (Node closes the ports of messages nobody reads).
 * - A try operation never takes a ticket (it cannot wait for the value): it
 *   refuses with MovedValueError and leaves the channel as it was.
 * - Nothing is pending forever while its parties live: a receiver waiting for
 *   VALUE holds its thread open (keep-alive.ts) until the value comes or the
 *   CLAIM fails; the hub answers a CLAIM as soon as the PARK is there, and the
 *   PARK was queued before the ticket could be claimed.
 *
 * Where there is no postMessageToThread (Node 21 and 22.0-22.4, browsers,
 * runtimes without it) a send that lists anything but ArrayBuffers is
 * refused with TransferError saying so.
 *
 * @module
 */
import { encode, setTicketReader, TAG_SIDE, type Encoded } from "./codec.js";
import { H_HUB, type Domain } from "./domain.js";
import { MovedValueError, TransferError } from "./errors.js";
import { holdThread, releaseThread } from "./keep-alive.js";
import { discard, SideValue, take } from "./moved-value.js";
import { checkList } from "./transfer.js";

interface NodeThreads {
  threadId: number;
  isMainThread: boolean;
  postMessageToThread?: (threadId: number, value: unknown, transferList: readonly unknown[]) => Promise<void>;
}
interface NodeProcess {
  version: string;
  on(event: "workerMessage", f: (value: unknown, source: number) => void): void;
}

const proc = (globalThis as { process?: NodeProcess & { getBuiltinModule?: (id: string) => unknown } }).process;
const threads = proc?.getBuiltinModule?.("node:worker_threads") as NodeThreads | undefined;
const postTo = threads?.postMessageToThread;
const self = threads?.threadId ?? -1;
const isMain = threads?.isMainThread === true;

const TAG = "@gochan/threads:port-hub";
const PARK = 0;
const DROP = 1;
const CLAIM = 2;
const VALUE = 3;

/** Keys are thread id * 2^32 + a counter: unique in the process, exact in a double. */
const THREAD_STRIDE = 2 ** 32;
let counter = 0;

/** What a receive of a ticket yields until its value comes: the receive awaits `value`. */
export class Claim {
  readonly value: Promise<unknown>;
  constructor(value: Promise<unknown>) {
    this.value = value;
  }
}

// ---- The hub (main thread) ----

/** One key's parts as they arrive: the value (PARK) and its fate (CLAIM or DROP). */
interface Entry {
  side: SideValue | null;
  /** The thread id that claimed it, or -1. */
  claimant: number;
  dropped: boolean;
}

const entries = new Map<number, Entry>();
let hubListening = false;

function entry(key: number): Entry {
  let e = entries.get(key);
  if (e === undefined) {
    e = { side: null, claimant: -1, dropped: false };
    entries.set(key, e);
  }
  return e;
}

function hubPark(key: number, side: SideValue): void {
  const e = entry(key);
  e.side = side;
  hubSettle(key, e);
}

function hubDrop(key: number): void {
  const e = entry(key);
  e.dropped = true;
  hubSettle(key, e);
}

function hubClaim(key: number, from: number): void {
  const e = entry(key);
  e.claimant = from;
  hubSettle(key, e);
}

/** Hands the value to its claimant or closes it, once both halves are in. */
function hubSettle(key: number, e: Entry): void {
  const side = e.side;
  if (side === null || (e.claimant < 0 && !e.dropped)) return;
  entries.delete(key); // state first: nothing below can see the entry again
  if (e.dropped) discard(side);
  else if (e.claimant === self) answerLocal(key, side.value);
  else side.postTo(toThread(e.claimant), [TAG, VALUE, key]);
}

function onHubMessage(m: unknown, source: number): void {
  if (!Array.isArray(m) || m[0] !== TAG) return;
  const key = m[2] as number;
  if (m[1] === PARK) hubPark(key, new SideValue(m[3], m[4] as SideValue["list"]));
  else if (m[1] === DROP) hubDrop(key);
  else if (m[1] === CLAIM) hubClaim(key, source);
}

/**
 * Makes this thread the hub for `domain`'s channels if it is the main thread
 * and ports can move here; a no-op otherwise (senders are then refused).
 */
export function installHub(domain: Domain): void {
  if (!isMain || postTo === undefined || proc === undefined) return;
  if (!hubListening) {
    hubListening = true;
    proc.on("workerMessage", onHubMessage);
  }
  Atomics.store(domain.i32, H_HUB, 1);
}

// ---- Senders ----

function toThread(id: number): { postMessage(m: unknown, transfer: readonly never[]): void } {
  return {
    postMessage(m: unknown, transfer: readonly never[]): void {
      // A rejection means the thread is gone; what the message moved dies with it.
      (postTo as NonNullable<typeof postTo>)(id, m, transfer).catch(ignore);
    },
  };
}

/**
 * Moves `value` and the objects of `list` to the hub and returns the ticket a
 * channel of `domain` carries for them; or throws (TransferError,
 * UncloneableValueError) having moved nothing.
 */
export function park(domain: Domain, value: unknown, list: readonly unknown[]): Encoded {
  if (postTo === undefined || Atomics.load(domain.i32, H_HUB) !== 1) {
    let i = 0;
    while (i < list.length && list[i] instanceof ArrayBuffer) i++;
    const where = proc?.version !== undefined ? `this is Node ${proc.version}` : "this is not Node";
    throw new TransferError(
      `transfer[${i}]`,
      postTo === undefined
        ? `it moves through a SharedChan only with worker_threads.postMessageToThread, in Node 20.19+ on 20.x and 22.5+; ${where}`
        : "it would wait with the main thread, which has not made or rebuilt a SharedChan of this channel's domain",
    );
  }
  const side = take(value, list as SideValue["list"]); // checks, then moves all or nothing
  const key = self * THREAD_STRIDE + ++counter;
  if (isMain) hubPark(key, side);
  else side.postTo(toThread(0), [TAG, PARK, key]);
  return { tag: TAG_SIDE, num: key, bytes: null, size: 9 };
}

/**
 * What a send with a transfer list puts in a channel of `domain` (at most
 * `max` payload bytes): for ArrayBuffers only, the value's bytes, the
 * buffers then detached (ownership moves; the bytes are copied, as always
 * through shared memory); for anything else a ticket from {@link park}.
 * Throws (TransferError, UncloneableValueError, ValueTooLargeError via
 * `tooLarge`) having moved nothing.
 */
export function encodeSend(domain: Domain, value: unknown, list: unknown, max: number, tooLarge: (size: number) => Error): Encoded {
  checkList(list);
  let buffersOnly = true;
  for (const x of list) if (!(x instanceof ArrayBuffer)) buffersOnly = false;
  if (!buffersOnly) return park(domain, value, list);
  const e = encode(value);
  if (e.size > max) throw tooLarge(e.size);
  if (list.length > 0) {
    try {
      structuredClone(list, { transfer: list as ArrayBuffer[] }); // detaches them: the sender's copies are gone
    } catch (err) {
      throw new TransferError("transfer", err instanceof Error ? err.message : String(err)); // listed twice: nothing moved
    }
  }
  return e;
}

/** The send carrying ticket `e` did not commit: its value is closed. */
export function drop(e: Encoded): void {
  if (e.tag !== TAG_SIDE) return;
  if (isMain) hubDrop(e.num);
  else void (postTo as NonNullable<typeof postTo>)(0, [TAG, DROP, e.num], []).catch(ignore);
}

/** Posts DROP for a ticket found in a channel whose sender is dead (chan-state.ts). */
export function dropKey(key: number): void {
  drop({ tag: TAG_SIDE, num: key, bytes: null, size: 9 });
}

// ---- Receivers ----

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

const pending = new Map<number, Pending>();
let workerListening = false;

function answerLocal(key: number, value: unknown): void {
  const p = pending.get(key);
  if (p === undefined) return;
  pending.delete(key);
  releaseThread();
  p.resolve(value);
}

function onValue(m: unknown): void {
  if (!Array.isArray(m) || m[0] !== TAG || m[1] !== VALUE) return;
  answerLocal(m[2] as number, m[3]);
}

/** Claims the value of ticket `key`, just taken from a channel (under its lock: posts only, runs no user code). */
function claim(key: number): Claim {
  holdThread(); // released when the value comes or the claim fails
  const value = new Promise<unknown>((resolve, reject) => pending.set(key, { resolve, reject }));
  if (isMain) hubClaim(key, self);
  else {
    if (!workerListening) {
      workerListening = true;
      (proc as NodeProcess).on("workerMessage", onValue);
    }
    (postTo as NonNullable<typeof postTo>)(0, [TAG, CLAIM, key], []).catch((e: unknown) => {
      const p = pending.get(key);
      if (p === undefined) return;
      pending.delete(key);
      releaseThread();
      p.reject(new MovedValueError(`a received value's moved ports could not be fetched from the main thread: ${e instanceof Error ? e.message : String(e)}`));
    });
  }
  return new Claim(value);
}

setTicketReader(claim);

/** The value a receive yields: a claimed ticket's value once it comes, else `v` itself. */
export function claimed<V>(v: V): V | Promise<V> {
  return v instanceof Claim ? (v.value as Promise<V>) : v;
}

/** The error of a try operation that met a ticket (it takes nothing). */
export function tryRefused(op: string): MovedValueError {
  return new MovedValueError(`${op} cannot take a value whose MessagePorts were moved (they come by message): receive it with recv or select; nothing was taken`);
}

function ignore(): void {}
