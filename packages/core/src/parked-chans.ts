/**
 * run()'s record of blocked operations: the channels they wait on, found again
 * when the program goes quiet.
 *
 * A channel already holds every operation blocked on it, in its send and
 * receive queues, in the order they parked (chan.ts). So run() does not keep a
 * second list of operations: it keeps the channels, and reads their queues only
 * when it writes a deadlock report. Parking on a channel that is already
 * recorded costs the channel operation a few loads and compares and no call
 * (it reads {@link ParkedChans.stamp} and whether a call site is due); nothing
 * is allocated per operation, and neither a plain operation's completion nor a
 * select's on a channel calls the hook at all (only what has a `traced`
 * record, a loose operation, is unparked).
 *
 * Invariants:
 * - Every channel that holds a waiter parked while the hook was installed is
 *   recorded: as `last` or in `chans` (never both), and carries the
 *   current stamp in `_seen`; the stamp is how a park knows the channel is
 *   recorded without a set lookup. Each holds a channel at most once.
 * - A channel is recorded first as `last`, the channel recorded last: a
 *   store, no allocation. The next record settles it: if nothing waits on it
 *   any more it is forgotten (stamp cleared, so that a next park records it
 *   again), else it moves to `chans`. So a record reads one channel's queues,
 *   and keeps nothing alive but the channel just recorded and what `chans`
 *   holds. That is the point twice over. Keeping young channels alive costs
 *   far more than their bytes: a ring that kept the last 64 channels recorded,
 *   whatever they held, made a program that makes a reply channel per request
 *   (the stateful goroutine in the bench, 200,000 requests) ~150 ns a request
 *   slower under run() than a record that kept none (V8's scavenges grew
 *   fewer, longer and its young generation larger, `--trace-gc`). And reading
 *   channels again costs too: a ring of 16 that forgot its idle channels at
 *   every record, but so read the queues of the server's request channels
 *   (still waited on) at every reply channel, still cost that program 13-18%
 *   of its time; settling only the last one costs it 3-6% (in one process,
 *   alternating with and without the hook, 10 rounds each, 1 December 2026).
 *   A program that parks on each reply channel once, briefly, never grows or
 *   compacts `chans`.
 * - `chans` is compacted when it doubles, in place: channels whose queues are
 *   empty are dropped and their stamp cleared, the others kept. Each
 *   compaction scans at most twice what was added since the last one: O(1)
 *   per recorded channel, amortised. Until then `chans` keeps idle channels
 *   alive: after many channels were waited on at once (a daisy chain's
 *   100,000), as many as that peak, until records double `chans` again;
 *   nothing runs a compaction without a record. A channel in `chans` costs
 *   nothing more when an operation parks on it.
 * - The stamp is fixed for the recorder's life, and `chans` is one array. V8
 *   compiles a field that has only ever held one value as a constant of the
 *   code that reads it, so the first write of a new value deoptimizes every
 *   function into which park() was inlined (select, the channel operations).
 *   A compaction that moved the stamp on and swapped in a new array did just
 *   that in the seed's dispatcher, in its second 50,000-job run, when the
 *   first compaction came: `--trace-deopt` showed select and park thrown away
 *   and compiled again. A compaction writes only to channels and the array.
 * - Stamps come from one counter for every recorder, so a channel stamped by
 *   one (a test's, or an earlier run's) never looks recorded to another.
 * - A parked select keeps its cases in `op.cases` (read back by the report
 *   from any of its waiters) and is recorded through its first channel case,
 *   which select() notes in `op.first` as it parks: a select whose first
 *   channel is recorded costs a compare and a store, as a plain operation does.
 *   It needs no unpark: when it ends, its waiters leave the channels' queues,
 *   which is all the report reads.
 *   A case that a select from outside core parks on a core channel
 *   (external-select.ts) is recorded as that channel's operation: core does
 *   not know the select's other cases.
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
import { NIL_BUBBLE } from "./bubble-hook.js";
import { CallSites } from "./call-sites.js";
import type { Chan } from "./chan.js";
import type { BlockedKind, BlockedOp, Traced, TraceHook } from "./trace.js";
import type { Waiter, WaiterQueue } from "./waiter.js";

/** How many sampled call sites are kept per channel and kind of operation. */
const EXEMPLARS = 4;

/** The least number of channels `chans` is compacted at. */
const MIN_CHANS = 16;

/** The last stamp handed out (see the module comment); a new channel's `_seen` is 0. */
let lastStamp = 0;

type AnyChan = Chan<unknown, unknown>;

/** A parked core select (select.ts's SelectOp), as the hook sees it. */
interface TracedSelect extends Traced {
  cases: readonly unknown[] | null;
  /** The channel of its first channel case (undefined: a select of a test's making). */
  first?: AnyChan | null;
}

/** The call sites sampled for one channel: where its operations were seen parking. */
interface Exemplars {
  send: Error[];
  recv: Error[];
  select: Error[];
}

/**
 * The channel of the first non-nil channel case of a select, if any. A case
 * is a receive or send case (its `ch`: a channel, or null for
 * the nil channel), a promise or a signal; the channel is told by its stamp
 * field, not by `instanceof`, which V8 runs here as a generic builtin.
 */
export function firstChan(cases: readonly unknown[]): AnyChan | null {
  for (const c of cases) {
    const ch = typeof c === "object" && c !== null ? (c as { ch?: AnyChan | null }).ch : undefined;
    if (ch != null && typeof ch._seen === "number") return ch;
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
  readonly #chans: AnyChan[] = [];
  /** The channel recorded last, not settled yet (see the module comment). */
  #last: AnyChan | null = null;
  /** What `_seen` holds on a recorded channel: fixed (see the module comment). */
  readonly #gen = ++lastStamp;
  readonly #min: number;
  #limit: number;
  readonly #loose = new Map<Traced, BlockedOp>();
  readonly #siteOf = new WeakMap<Traced, Error>();
  readonly #exemplars = new WeakMap<object, Exemplars>();

  /** `minChans`: how many channels `chans` holds before its first compaction (and the least after one). */
  constructor(sites: CallSites, minChans: number = MIN_CHANS) {
    this.sites = sites;
    this.#min = minChans;
    this.#limit = minChans;
  }

  /** What `_seen` holds on a recorded channel (see {@link TraceHook.stamp}). */
  get stamp(): number {
    return this.#gen;
  }

  /** Whether a call site is due at the next park (see {@link TraceHook.due}). */
  get due(): boolean {
    return this.sites.due;
  }

  /** How many channels are recorded now (blocked on, or not yet found idle). */
  get recorded(): number {
    return this.#chans.length + (this.#last === null ? 0 : 1);
  }

  park(op: Traced, kind: BlockedKind, target: unknown): void {
    // The common case, made first: a plain operation on a channel already
    // recorded (a channel of another copy of core, or the nil channel, never
    // carries the current generation), and no call site due.
    if (kind !== "select" && (target as AnyChan)._seen === this.#gen && !this.sites.due) return;
    this.#parkSlow(op, kind, target);
  }

  /**
   * The rest of {@link park}, out of line: a select, a call site to keep, a
   * channel to record, a loose operation. Kept apart so that what V8 inlines
   * where park() is called (a select, a direct caller) is only the compares
   * above. Inlined whole,
   * park() took so much of the inlining budget of the channel operations it
   * went into that V8 stopped inlining their own small functions there (the
   * waiter's queue shifts and completions, the wake, a queue's getter): the
   * pipeline's `--trace-turbo-inlining` listed them inlined into a receive's
   * `next()` without the hook and not with it.
   */
  #parkSlow(op: Traced, kind: BlockedKind, target: unknown): void {
    const site = this.sites.capture();
    // A select whose first channel is already recorded: a compare and a
    // store. A select with a channel case needs no unpark: its waiters in the
    // channels' queues lead the report back to it, and leave them when it ends.
    if (site === null && kind === "select") {
      const first = (op as TracedSelect).first;
      if (first != null && first._seen === this.#gen) {
        (op as TracedSelect).cases = target as readonly unknown[];
        return;
      }
    }
    let ch: AnyChan | null;
    if (kind === "select") {
      (op as TracedSelect).cases = target as readonly unknown[];
      // select()'s note of its first channel, if it carries a stamp (not a
      // channel of an older copy of core); else the first one that does.
      const first = (op as TracedSelect).first;
      ch = first != null && typeof first._seen === "number" ? first : firstChan(target as readonly unknown[]);
    } else {
      // Only core's channel operations call the hook, so a target with a stamp
      // is a channel (`instanceof` cost ~70 instructions here, a fifth of this
      // path); the nil channel and anything else are kept aside.
      const c = target as AnyChan;
      ch = typeof c._seen === "number" && c._bubble !== NIL_BUBBLE ? c : null;
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
    const selects = new Set<TracedSelect>();
    // `chans` holds channels recorded before `last`, in the order they were.
    const ordered = this.#last === null ? this.#chans : [...this.#chans, this.#last];
    for (const ch of ordered) {
      yield* this.#queued(ch._sq, "send", ch, selects);
      yield* this.#queued(ch._rq, "recv", ch, selects);
    }
    yield* this.#loose.values();
  }

  /** Where operations of `kind` on `target` (for a select: on its first channel) were seen parking. */
  exemplars(kind: BlockedKind, target: unknown): readonly Error[] {
    const ch = kind === "select" ? firstChan(target as readonly unknown[]) : target;
    if (typeof ch !== "object" || ch === null) return [];
    return this.#exemplars.get(ch)?.[kind] ?? [];
  }

  *#queued(queue: WaiterQueue, kind: BlockedKind, ch: AnyChan, selects: Set<TracedSelect>): IterableIterator<BlockedOp> {
    for (let w: Waiter | null = queue.head; w !== null; w = w.next) {
      // A plain operation, or a case a select from outside core (threads)
      // parked here: no `cases`, so it is listed as this channel's.
      const sel = w.sel as unknown as Partial<TracedSelect> | null;
      if (sel === null || sel.cases === undefined) {
        yield { kind, target: ch, site: this.#siteOf.get(w) ?? null };
        continue;
      }
      // One waiter per case: report the select once, with all its cases (a
      // select that parked before the hook was installed has none: skipped).
      if (sel.cases === null || selects.has(sel as TracedSelect)) continue;
      selects.add(sel as TracedSelect);
      yield { kind: "select", target: sel.cases, site: this.#siteOf.get(sel as TracedSelect) ?? null };
    }
  }

  /**
   * Records `ch` as `last`, after settling the channel recorded before it:
   * forgotten if nothing waits on it any more, else moved to `chans`.
   */
  #record(ch: AnyChan): void {
    const prev = this.#last;
    if (prev !== null) {
      // _sq/_rq, not the _sendq/_recvq getters, which make a queue for a direction nothing parked in.
      if (prev._sq.head === null && prev._rq.head === null) prev._seen = 0;
      else {
        if (this.#chans.length >= this.#limit) this.#compact();
        this.#chans.push(prev);
      }
    }
    this.#last = ch;
    ch._seen = this.#gen;
  }

  #compact(): void {
    const chans = this.#chans;
    let kept = 0;
    for (let i = 0; i < chans.length; i++) {
      const ch = chans[i] as AnyChan;
      if (ch._sq.head === null && ch._rq.head === null) ch._seen = 0;
      else chans[kept++] = ch;
    }
    chans.length = kept;
    this.#limit = Math.max(this.#min, 2 * kept);
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
