/**
 * run()'s record of blocked operations: the channels they wait on, found again
 * when the program goes quiet.
 *
 * A channel already holds every operation blocked on it, in its send and
 * receive queues, in the order they parked (chan.ts). So run() does not keep a
 * second list of operations: it keeps the channels, and reads their queues only
 * when it writes a deadlock report. Parking on a channel that is already
 * recorded costs a compare (after the call-site countdown's); nothing is
 * allocated per operation, and a plain operation's completion does not call
 * the hook at all (only what has a `traced` record is unparked).
 *
 * Invariants:
 * - Every channel that holds a waiter parked while the hook was installed is in
 *   `chans` and carries the current generation in `_seen`; the stamp is how a
 *   park knows the channel is recorded without a set lookup.
 * - `chans` holds each channel at most once. It is compacted when it doubles:
 *   the generation moves on, channels whose queues are empty are dropped (their
 *   stamp is now stale, so their next park records them again), the others are
 *   stamped anew. Each compaction scans at most twice what was added since the
 *   last one: O(1) per recorded channel, amortised.
 * - A parked select keeps its cases in `op.traced` (read back by the report
 *   from any of its waiters) and is recorded through its first channel case.
 * - The few operations no channel queue holds (on the nil channel, a select with
 *   no channel case) are kept in `loose` until they unpark.
 *
 * Call sites are captured as {@link CallSites} grants them and kept in a WeakMap
 * by operation; a sampled site is also kept per channel (the last few of each
 * kind) so that an operation whose own site was not sampled is reported with
 * where operations of its kind on that channel were seen parking.
 *
 * @internal
 * @module
 */
import { CallSites } from "./call-sites.js";
import { Chan } from "./chan.js";
import { RecvCase, SendCase } from "./select.js";
import type { BlockedKind, BlockedOp, Traced, TraceHook } from "./trace.js";
import type { Waiter, WaiterQueue } from "./waiter.js";

/** How many sampled call sites are kept per channel and kind of operation. */
const EXEMPLARS = 4;

/** Channels recorded before the first compaction (and the least after one). */
const MIN_CHANS = 64;

type AnyChan = Chan<unknown, unknown>;

/** The call sites sampled for one channel: where its operations were seen parking. */
interface Exemplars {
  send: Error[];
  recv: Error[];
  select: Error[];
}

/** The channel of the first non-nil channel case of a select, if any. */
export function firstChan(cases: readonly unknown[]): AnyChan | null {
  for (const c of cases) {
    if ((c instanceof RecvCase || c instanceof SendCase) && c.ch !== null) return c.ch as AnyChan;
  }
  return null;
}

/**
 * Records the channels blocked operations wait on, as the trace hook installed
 * by run(). See the module comment for how.
 * @internal
 */
export class ParkedChans implements TraceHook {
  readonly sites: CallSites;
  #chans: AnyChan[] = [];
  /** Starts above a new channel's 0: no channel is recorded yet. */
  #gen = 1;
  readonly #min: number;
  #limit: number;
  readonly #loose = new Map<Traced, BlockedOp>();
  readonly #siteOf = new WeakMap<Traced, Error>();
  readonly #exemplars = new WeakMap<object, Exemplars>();

  /** `minChans`: how many channels to record before the first compaction (and the least after one). */
  constructor(sites: CallSites, minChans: number = MIN_CHANS) {
    this.sites = sites;
    this.#min = minChans;
    this.#limit = minChans;
  }

  /** How many channels are recorded now (blocked on, or not yet found idle by a compaction). */
  get recorded(): number {
    return this.#chans.length;
  }

  park(op: Traced, kind: BlockedKind, target: unknown): void {
    const site = this.sites.capture();
    // The common case, made first: a plain operation, no call site granted, on
    // a channel already recorded (a channel of another copy of core, or the nil
    // channel, never carries the current generation).
    if (site === null && kind !== "select" && (target as AnyChan)._seen === this.#gen) return;
    let ch: AnyChan | null;
    if (kind === "select") {
      op.traced = target as object;
      ch = firstChan(target as readonly unknown[]);
    } else {
      // Not a channel of this copy of core (another package's operation): kept aside.
      ch = target instanceof Chan && !target._nil ? (target as AnyChan) : null;
    }
    if (ch === null) {
      op.traced = target as object;
      this.#loose.set(op, { kind, target, site });
    } else if (ch._seen !== this.#gen) {
      this.#record(ch);
    }
    if (site !== null) {
      this.#siteOf.set(op, site);
      if (ch !== null && this.sites.mode === "sampled") this.#remember(kind, ch, site);
    }
  }

  unpark(op: Traced): void {
    // Called only for what park() gave a `traced` (a select, a loose
    // operation): a plain operation on a channel leaves nothing to undo, its
    // waiter has already left the channel's queue.
    if (op.traced === null) return;
    op.traced = null;
    if (this.#loose.size !== 0) this.#loose.delete(op);
  }

  /** The operations blocked now: channel by channel, each channel's in the order they parked. */
  *ops(): IterableIterator<BlockedOp> {
    const selects = new Set<Traced>();
    for (const ch of this.#chans) {
      yield* this.#queued(ch._sendq, "send", ch, selects);
      yield* this.#queued(ch._recvq, "recv", ch, selects);
    }
    yield* this.#loose.values();
  }

  /** Where operations of `kind` on `target` (for a select: on its first channel) were seen parking. */
  exemplars(kind: BlockedKind, target: unknown): readonly Error[] {
    const ch = kind === "select" ? firstChan(target as readonly unknown[]) : target;
    if (typeof ch !== "object" || ch === null) return [];
    return this.#exemplars.get(ch)?.[kind] ?? [];
  }

  *#queued(queue: WaiterQueue, kind: BlockedKind, ch: AnyChan, selects: Set<Traced>): IterableIterator<BlockedOp> {
    for (let w: Waiter | null = queue.head; w !== null; w = w.next) {
      if (w.sel === null) {
        yield { kind, target: ch, site: this.#siteOf.get(w) ?? null };
        continue;
      }
      // One waiter per case: report the select once, with all its cases.
      const sel = w.sel as unknown as Traced;
      if (sel.traced === null || selects.has(sel)) continue;
      selects.add(sel);
      yield { kind: "select", target: sel.traced, site: this.#siteOf.get(sel) ?? null };
    }
  }

  #record(ch: AnyChan): void {
    if (this.#chans.length >= this.#limit) this.#compact();
    ch._seen = this.#gen;
    this.#chans.push(ch);
  }

  #compact(): void {
    const gen = ++this.#gen;
    const kept: AnyChan[] = [];
    for (const ch of this.#chans) {
      // _sq/_rq, not the _sendq/_recvq getters, which make a queue for a direction nothing parked in.
      if (ch._sq.head === null && ch._rq.head === null) continue;
      ch._seen = gen;
      kept.push(ch);
    }
    this.#chans = kept;
    this.#limit = Math.max(this.#min, 2 * kept.length);
  }

  #remember(kind: BlockedKind, ch: AnyChan, site: Error): void {
    let e = this.#exemplars.get(ch);
    if (e === undefined) {
      e = { send: [], recv: [], select: [] };
      this.#exemplars.set(ch, e);
    }
    const list = e[kind];
    if (list.length === EXEMPLARS) list.shift();
    list.push(site);
  }
}
