/**
 * A domain: the shared memory every thread using a set of shared channels
 * agrees on. It holds the waiter slots (one per parked operation, whatever
 * thread it is on) and the thread table (which threads are alive).
 *
 * A slot's state word is the "fired" token Go's select keeps per goroutine:
 * a parked operation (a receive, a send, or a whole select) owns one slot and
 * registers it on every channel it waits on; a peer on another thread commits
 * it with one compare-and-swap WAITING -> FIRED(case), and the losers of that
 * race see it fired and skip it. That CAS happens only under the lock of a
 * channel the operation is registered on, and the owner changes its own slot
 * only while holding the locks of all its channels, so no CAS race is ever
 * lost silently.
 *
 * Invariants:
 * - A slot is FREE only when no channel queue names it (an operation withdraws
 *   from every channel before freeing its slot), so a queue entry never refers
 *   to a reused slot.
 * - A thread marked dead never comes back; its slots stay allocated (they may
 *   still be named by queues, which drop them lazily, and a reused slot would
 *   be committed by a stale entry). So each thread that dies while parked
 *   leaks its few slots: a domain has 4096 slots and 4096 thread entries, and
 *   runs out (WaiterLimitError) after that many threads or leaked slots.
 *
 * @module
 */
import { WaiterLimitError } from "./errors.js";

/**
 * This thread's key in the thread table: Node's thread id + 1 (so threadExited
 * can find it), looked up with `process.getBuiltinModule` rather than imported
 * so the module loads in browsers; there (no thread ids, no exit detection) -1.
 */
const threadKey = ((): number => {
  const wt = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.(
    "node:worker_threads",
  ) as { threadId: number } | undefined;
  return wt === undefined ? -1 : wt.threadId + 1;
})();

const MAGIC = 0x67636864; // "gchd"
const H_MAGIC = 0;
const H_ID = 1;
const H_SLOTS = 2;
const H_THREADS = 3;
const H_NEXT_CHAN = 4;
/** Bumped on every thread death; channels compare it to reclaim lazily. */
export const H_DEATHS = 5;
const H_HINT = 6;
/** 1 once the main thread listens for moved ports of this domain's channels (port-hub.ts). */
export const H_HUB = 7;
const HEADER = 16;

/** Slot states; FIRED_BASE + 2*case + closed is "fired by a peer". */
export const FREE = 0;
export const BUSY = 1;
export const WAITING = 2;
export const FIRED_BASE = 16;

const SLOT_INTS = 2; // [state, thread index]

let current: Domain | null = null;
const byId = new Map<number, Domain>();

/** One domain's shared memory, seen from this thread. */
export class Domain {
  readonly sab: SharedArrayBuffer;
  readonly i32: Int32Array;
  readonly id: number;
  readonly nslots: number;
  readonly nthreads: number;
  private readonly slotsAt: number;
  /** This thread's index in the thread table, or -1 before it registered. */
  private self = -1;

  private constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.i32 = new Int32Array(sab);
    if (this.i32[H_MAGIC] !== MAGIC) throw new TypeError("not a @gochan/threads domain");
    this.id = this.i32[H_ID] as number;
    this.nslots = this.i32[H_SLOTS] as number;
    this.nthreads = this.i32[H_THREADS] as number;
    this.slotsAt = HEADER + 2 * this.nthreads;
  }

  /** The domain this thread creates channels in (made on first use, or adopted from a handle). */
  static current(): Domain {
    if (current === null) current = Domain.create(4096, 4096);
    return current;
  }

  /** The Domain object for shared memory received from another thread. */
  static adopt(sab: SharedArrayBuffer): Domain {
    const id = new Int32Array(sab)[H_ID] as number;
    let d = byId.get(id);
    if (d === undefined) {
      d = new Domain(sab);
      byId.set(id, d);
    }
    if (current === null) current = d;
    return d;
  }

  private static create(nslots: number, nthreads: number): Domain {
    if (typeof SharedArrayBuffer === "undefined") {
      throw new TypeError(
        "@gochan/threads needs SharedArrayBuffer, which this context does not offer: a browser page and its workers must be " +
          "cross-origin isolated (served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)",
      );
    }
    const sab = new SharedArrayBuffer(4 * (HEADER + 2 * nthreads + SLOT_INTS * nslots));
    const i32 = new Int32Array(sab);
    i32[H_MAGIC] = MAGIC;
    i32[H_ID] = (Math.random() * 0x7fffffff) | 0 || 1;
    i32[H_SLOTS] = nslots;
    i32[H_THREADS] = nthreads;
    const d = new Domain(sab);
    byId.set(d.id, d);
    return d;
  }

  /** Marks thread `tid` dead in every domain this thread knows. */
  static exited(tid: number): boolean {
    let any = false;
    for (const d of byId.values()) if (d.threadExited(tid)) any = true;
    return any;
  }

  /** A fresh channel id, unique in the domain: the order locks are taken in. */
  nextChanId(): number {
    return Atomics.add(this.i32, H_NEXT_CHAN, 1) + 1;
  }

  /** Index of the state word of `slot` in `i32`. */
  stateAt(slot: number): number {
    return this.slotsAt + SLOT_INTS * slot;
  }

  /** Allocates a slot for a parked operation of this thread, in state BUSY. */
  allocSlot(): number {
    const me = this.thread();
    const n = this.nslots;
    const start = Atomics.load(this.i32, H_HINT);
    for (let k = 0; k < n; k++) {
      const s = (start + k) % n;
      const at = this.slotsAt + SLOT_INTS * s;
      if (Atomics.compareExchange(this.i32, at, FREE, BUSY) === FREE) {
        Atomics.store(this.i32, at + 1, me);
        Atomics.store(this.i32, H_HINT, (s + 1) % n);
        return s;
      }
    }
    throw new WaiterLimitError(`all ${n} waiter slots of the threads domain are in use`);
  }

  freeSlot(slot: number): void {
    Atomics.store(this.i32, this.stateAt(slot), FREE);
  }

  /** Whether the thread owning `slot` is alive. */
  slotAlive(slot: number): boolean {
    const t = Atomics.load(this.i32, this.stateAt(slot) + 1);
    return Atomics.load(this.i32, HEADER + 2 * t + 1) === 1;
  }

  /** This thread's index in the thread table, registering it on first use. */
  thread(): number {
    if (this.self >= 0) return this.self;
    for (let t = 0; t < this.nthreads; t++) {
      const at = HEADER + 2 * t;
      if (Atomics.compareExchange(this.i32, at, 0, threadKey) === 0) {
        Atomics.store(this.i32, at + 1, 1);
        this.self = t;
        return t;
      }
    }
    throw new WaiterLimitError(`more than ${this.nthreads} threads use one threads domain`);
  }

  /**
   * Marks the thread with Node thread id `tid` dead (it exited or crashed) and
   * wakes every parked operation, so the ones on channels it was involved in
   * re-check them: values reserved for its receivers go to live receivers.
   * Returns false if that thread never used this domain.
   */
  threadExited(tid: number): boolean {
    const key = tid + 1;
    for (let t = 0; t < this.nthreads; t++) {
      const at = HEADER + 2 * t;
      if (Atomics.load(this.i32, at) === key) {
        if (Atomics.exchange(this.i32, at + 1, 0) !== 1) return false;
        Atomics.add(this.i32, H_DEATHS, 1);
        for (let s = 0; s < this.nslots; s++) {
          const st = this.stateAt(s);
          if (Atomics.load(this.i32, st) === WAITING) Atomics.notify(this.i32, st);
        }
        return true;
      }
    }
    return false;
  }
}
