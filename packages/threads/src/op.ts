/**
 * One operation on shared channels seen from its thread: a select (a plain
 * send or receive is a select of one case). It follows Go's selectgo:
 * 1. Lock every shared channel involved, in channel-id order (so two selects
 *    never deadlock), poll every case and commit a uniformly chosen ready one.
 * 2. Nothing ready: take a waiter slot, register it on every channel (a
 *    receive entry, or a send entry with the value as an OFFER record), unlock,
 *    and sleep on the slot with Atomics.waitAsync.
 * 3. A peer commits it with one CAS on the slot (see domain.ts) and wakes it;
 *    it locks its channels again, withdraws its other entries, and for a
 *    receive picks up the value reserved for it.
 * The operation also wakes for its own reasons (its AbortSignal, a promise
 * case settling, ring space freed, another thread's death); it then re-polls
 * under all its locks, where no peer can commit it concurrently.
 *
 * Local cases (a core `Chan` of this thread, through `@gochan/core/internal`)
 * are polled and committed with the shared ones, under the same locks, and
 * parked as core waiters whose {@link Op.fire} commits the slot with the same
 * CAS a shared peer uses. A local case whose slot a shared peer already fired
 * declines, and its core channel goes on to its next waiter. A select with
 * local cases and no shared channel takes a slot in this thread's domain.
 *
 * Invariants:
 * - The slot's state moves WAITING -> FIRED only by compare-and-swap: a shared
 *   peer does it under the lock of one of the operation's channels, a local
 *   peer on the owner's thread (which then holds no lock of the operation's
 *   channels: the owner is not running). So a case commits exactly once.
 * - Every other change of the slot's state is the owner's, under all its
 *   locks, so no peer can fire it meanwhile; the owner withdraws every entry
 *   and every local waiter before it commits a case itself or frees its slot.
 *
 * @module
 */
import { SendOnClosedError } from "@gochan/core";
import { commitCase, parkCase, pollCase, withdrawCase, type ExternalSelector, type LocalCase, type ParkedCase } from "@gochan/core/internal";
import type { Encoded } from "./codec.js";
import { ChanState, FIRED_CLOSED, LOCK, SPACE, SPACE_WAITERS } from "./chan-state.js";
import { BUSY, Domain, FIRED_BASE, WAITING } from "./domain.js";
import { WaiterLimitError } from "./errors.js";
import { holdThread, releaseThread } from "./keep-alive.js";
import { lock, unlock } from "./lock.js";
import { waitAsync } from "./wait-async.js";

export const C_RECV = 0;
export const C_SEND = 1;
export const C_PROMISE = 2;
export const C_SIGNAL = 3;
export const C_NIL = 4;
/** A case on a local (core) channel: receive or send, as its core case says. */
export const C_LOCAL = 5;


/** A settled-state watch of a promise or signal case. */
interface Watch {
  settled: boolean;
  rejected: boolean;
  value: unknown;
  ops: Set<Op>;
}

/** One case of an operation. */
export interface OpCase {
  kind: number;
  st: ChanState | null;
  enc: Encoded | null;
  watch: Watch | null;
  /** For C_LOCAL only: core's case. */
  local?: LocalCase;
}

/** What a committed operation yields. */
export interface OpResult {
  index: number;
  value: unknown;
  ok: boolean;
}

const watches = new WeakMap<object, Watch>();

/** The watch of a promise (settles asynchronously the first time it is seen). */
export function watchPromise(p: PromiseLike<unknown>): Watch {
  let w = watches.get(p);
  if (w === undefined) {
    const watch: Watch = { settled: false, rejected: false, value: undefined, ops: new Set() };
    w = watch;
    watches.set(p, watch);
    p.then(
      (v) => settle(watch, v, false),
      (e) => settle(watch, e, true),
    );
  }
  return w;
}

/** The watch of an AbortSignal. */
export function watchSignal(s: AbortSignal): Watch {
  let w = watches.get(s);
  if (w === undefined) {
    const watch: Watch = { settled: s.aborted, rejected: false, value: s.reason, ops: new Set() };
    w = watch;
    watches.set(s, watch);
    if (!s.aborted) s.addEventListener("abort", () => settle(watch, s.reason, false), { once: true });
  }
  return w;
}

function settle(w: Watch, value: unknown, rejected: boolean): void {
  w.settled = true;
  w.rejected = rejected;
  w.value = value;
  for (const op of w.ops) op.kick();
  w.ops.clear();
}

/** The shared channels of `cases`, each once, in lock order. */
export function lockOrder(cases: readonly OpCase[]): ChanState[] {
  const out: ChanState[] = [];
  for (const c of cases) if (c.st !== null && !out.includes(c.st)) out.push(c.st);
  if (out.length > 1) {
    const d = out[0]!.domain;
    for (const s of out) {
      if (s.domain !== d) throw new TypeError("select: shared channels from different threads domains cannot be mixed");
    }
    out.sort((a, b) => a.id - b.id);
  }
  return out;
}

export function lockAll(chans: readonly ChanState[]): void {
  for (let i = 0; i < chans.length; i++) lock(chans[i]!.i32, LOCK);
}

export function unlockAll(chans: readonly ChanState[]): void {
  for (let i = chans.length - 1; i >= 0; i--) unlock(chans[i]!.i32, LOCK);
}

/** Nothing committed. */
export const NONE: OpResult = { index: -1, value: undefined, ok: false };

function ready(c: OpCase, self: number): boolean {
  switch (c.kind) {
    case C_RECV:
      return (c.st as ChanState).canRecv(self);
    case C_SEND:
      return (c.st as ChanState).canSend(self, (c.enc as Encoded).size);
    case C_PROMISE:
    case C_SIGNAL:
      return (c.watch as Watch).settled;
    case C_LOCAL:
      return pollCase(c.local as LocalCase);
    default:
      return false;
  }
}

/** Polls once under the locks: a uniformly chosen ready case, or -1. */
function poll(cases: readonly OpCase[], self: number): number {
  let chosen = -1;
  let n = 0;
  for (let i = 0; i < cases.length; i++) {
    if (ready(cases[i]!, self)) {
      n++;
      if (n === 1 || Math.random() * n < 1) chosen = i;
    }
  }
  return chosen;
}

/** Commits case `i` as the active party; NONE if its peer vanished meanwhile. */
function commit(c: OpCase, i: number): OpResult {
  switch (c.kind) {
    case C_RECV: {
      const st = c.st as ChanState;
      if (!st.takeRecv()) return NONE;
      return { index: i, value: ChanState.took(), ok: ChanState.tookOk() };
    }
    case C_SEND:
      return (c.st as ChanState).giveSend(c.enc as Encoded) ? { index: i, value: undefined, ok: true } : NONE;
    case C_LOCAL: {
      const r = commitCase(c.local as LocalCase);
      return r === null ? NONE : { index: i, value: r.value, ok: r.ok };
    }
    default: {
      const w = c.watch as Watch;
      if (w.rejected) throw w.value;
      return { index: i, value: w.value, ok: true };
    }
  }
}

/**
 * Polls and commits under the locks (the caller holds them). Before
 * committing, a registered operation withdraws all its entries, so it can
 * never be committed twice nor pair with itself.
 */
export function attempt(cases: readonly OpCase[], op: Op | null): OpResult {
  for (;;) {
    const i = poll(cases, op !== null && op.registered ? op.slot : -1);
    if (i < 0) return NONE;
    if (op !== null && op.registered) op.withdraw(BUSY);
    const r = commit(cases[i]!, i);
    if (r !== NONE) return r;
  }
}

/** A parked operation. */
export class Op implements ExternalSelector {
  readonly cases: readonly OpCase[];
  readonly chans: readonly ChanState[];
  readonly domain: Domain | null;
  slot = -1;
  registered = false;
  private kicked = false;
  private aborted = false;
  private readonly signal: AbortSignal | null;
  private readonly holds: boolean;
  /** The channels a send case found no ring space on, at the last registration. */
  private spaceWaits: ChanState[] = [];
  /** Each one's SPACE count then, read under its lock: what {@link Op.sleep} waits to change. */
  private spaceSeen: number[] = [];
  private readonly parked: boolean[];
  /** The parked local cases (core waiters), by case index; null when there are none. */
  private readonly locals: (ParkedCase | null)[] | null;
  /** What a local case that fired delivered (see {@link Op.fire}). */
  private localValue: unknown = undefined;
  private localOk = false;
  private localError: unknown = undefined;
  private localFailed = false;

  constructor(cases: readonly OpCase[], chans: readonly ChanState[], signal: AbortSignal | null, holds = true) {
    this.cases = cases;
    this.chans = chans;
    let local = false;
    for (let i = 0; i < cases.length; i++) if (cases[i]!.kind === C_LOCAL) local = true;
    this.domain = chans.length > 0 ? chans[0]!.domain : local ? Domain.current() : null;
    this.signal = signal;
    this.holds = holds;
    this.parked = cases.map(() => false);
    this.locals = local ? cases.map(() => null) : null;
  }

  /**
   * A local peer reached parked case `p` on a core channel (on this thread,
   * inside its channel operation): commit it by firing the slot, unless a
   * shared peer or another local case fired it first. Records and withdraws
   * only; the owner picks the result up when it wakes.
   */
  fire(p: ParkedCase, value: unknown, ok: boolean): boolean {
    if (!this.take(p.index)) return false;
    this.localValue = value;
    this.localOk = ok;
    return true;
  }

  /** A local peer failed parked send case `p` (its channel closed): commit it as a failure, as {@link Op.fire}. */
  fail(p: ParkedCase, error: unknown): boolean {
    if (!this.take(p.index)) return false;
    this.localError = error;
    this.localFailed = true;
    return true;
  }

  /** CAS WAITING -> FIRED(case) on the slot; on success withdraws the other local waiters and wakes the owner. */
  private take(index: number): boolean {
    const d = this.domain as Domain;
    const at = d.stateAt(this.slot);
    if (Atomics.compareExchange(d.i32, at, WAITING, FIRED_BASE + 2 * index) !== WAITING) return false;
    this.withdrawLocals();
    Atomics.notify(d.i32, at);
    return true;
  }

  private withdrawLocals(): void {
    const ls = this.locals;
    if (ls === null) return;
    for (let i = 0; i < ls.length; i++) {
      const p = ls[i];
      if (p != null) {
        withdrawCase(p);
        ls[i] = null;
      }
    }
  }

  /** Wakes the parked operation to re-check (its thread's own reasons). */
  kick(): void {
    this.kicked = true;
    if (this.slot >= 0) Atomics.notify((this.domain as Domain).i32, (this.domain as Domain).stateAt(this.slot));
  }

  handleEvent(): void {
    this.aborted = true;
    this.kick();
  }

  /** Registers every channel case not yet registered (the caller holds all locks). */
  register(): void {
    const d = this.domain;
    if (d !== null && this.slot < 0) this.slot = d.allocSlot();
    this.spaceWaits = [];
    this.spaceSeen = [];
    try {
      for (let i = 0; i < this.cases.length; i++) {
        const c = this.cases[i]!;
        if (this.parked[i]) continue;
        if (c.kind === C_RECV) {
          if (!(c.st as ChanState).registerRecv(this.slot, i)) throw full(c.st as ChanState);
          this.parked[i] = true;
        } else if (c.kind === C_SEND) {
          const r = (c.st as ChanState).registerSend(this.slot, i, c.enc as Encoded);
          if (r < 0) throw full(c.st as ChanState);
          if (r === 0) {
            // Read now, under the lock: a free after this moves SPACE on.
            this.spaceWaits.push(c.st as ChanState);
            this.spaceSeen.push(Atomics.load((c.st as ChanState).i32, SPACE));
          } else this.parked[i] = true;
        } else if (c.kind === C_PROMISE || c.kind === C_SIGNAL) {
          (c.watch as Watch).ops.add(this);
          this.parked[i] = true;
        } else if (c.kind === C_LOCAL) {
          (this.locals as (ParkedCase | null)[])[i] = parkCase(c.local as LocalCase, this, i);
          this.parked[i] = true;
        }
      }
    } catch (e) {
      this.withdraw(BUSY);
      this.release();
      throw e;
    }
    this.registered = true;
    if (d !== null) Atomics.store(d.i32, d.stateAt(this.slot), WAITING);
  }

  /** Removes every entry from every channel and sets the slot to `state` (the caller holds all locks). */
  withdraw(state: number): void {
    if (this.slot >= 0) {
      const d = this.domain as Domain;
      Atomics.store(d.i32, d.stateAt(this.slot), state);
      for (const st of this.chans) st.withdraw(this.slot);
    }
    this.withdrawLocals();
    for (const c of this.cases) if (c.watch !== null) c.watch.ops.delete(this);
    this.parked.fill(false);
    this.registered = false;
  }

  private release(): void {
    if (this.slot >= 0) (this.domain as Domain).freeSlot(this.slot);
    this.slot = -1;
  }

  /** Sleeps until committed, aborted, or re-checked to completion. */
  async wait(): Promise<OpResult> {
    if (this.signal !== null) this.signal.addEventListener("abort", this);
    if (this.holds) holdThread();
    try {
      for (;;) {
        await this.sleep();
        this.kicked = false;
        lockAll(this.chans);
        let r: OpResult;
        try {
          r = this.step();
        } finally {
          unlockAll(this.chans);
        }
        if (r !== NONE) return r;
      }
    } finally {
      if (this.holds) releaseThread();
      if (this.signal !== null) this.signal.removeEventListener("abort", this);
    }
  }

  private async sleep(): Promise<void> {
    if (this.kicked || this.aborted) return;
    if (this.domain === null) {
      // Only promise and signal cases: wait for a kick.
      await new Promise<void>((resolve) => {
        this.kick = (): void => {
          this.kicked = true;
          resolve();
        };
      });
      return;
    }
    const d = this.domain;
    const w = waitAsync(d.i32, d.stateAt(this.slot), WAITING);
    if (!w.async) return;
    if (this.spaceWaits.length === 0) {
      await w.value;
      return;
    }
    // A send case short of ring space is in no queue: no peer can fire it,
    // so it waits for its channels' SPACE to move on from what register()
    // saw under the lock. Read after the unlock instead, SPACE could already
    // hold the last free (a receiver's pickup, a close, on another thread in
    // that window), and the wait would be for a change that never comes: a
    // sender hung so in CI. Every free moves SPACE under the lock and then
    // notifies if SPACE_WAITERS > 0, and this counts itself in before it
    // waits, so a free either changed SPACE already or notifies this wait.
    const waits: Promise<unknown>[] = [w.value];
    const counted = this.spaceWaits;
    const seen = this.spaceSeen;
    for (const st of counted) Atomics.add(st.i32, SPACE_WAITERS, 1);
    try {
      let freed = false;
      for (let i = 0; i < counted.length && !freed; i++) {
        const s = waitAsync(counted[i]!.i32, SPACE, seen[i]!);
        if (s.async) waits.push(s.value);
        else freed = true;
      }
      if (!freed) await Promise.race(waits);
    } finally {
      // Woken for another reason (its slot fired, an abort, a promise case:
      // all come through the slot), the space waits it started are still in
      // the platform's waiter list, and would stay there until some later
      // free: with the ring full for good and a select woken by its timeout
      // case again and again, without bound. Wake those whose SPACE has not
      // moved (the first waits.length - 1 were started: the loop stops at
      // the first that was not). Only a wake-up through the slot does this,
      // so a space wait woken by it (this thread's or another's) re-checks
      // and sleeps again without waking anyone in turn.
      const other = this.kicked || this.aborted || Atomics.load(d.i32, d.stateAt(this.slot)) !== WAITING;
      for (let i = 0; i < counted.length; i++) {
        const st = counted[i]!;
        Atomics.sub(st.i32, SPACE_WAITERS, 1);
        if (other && i < waits.length - 1 && Atomics.load(st.i32, SPACE) === seen[i]) Atomics.notify(st.i32, SPACE);
      }
    }
    // Wake our own slot wait so it does not linger.
    Atomics.notify(d.i32, d.stateAt(this.slot));
  }

  /** One re-check under all locks: a result, or NONE to sleep again. */
  private step(): OpResult {
    const d = this.domain;
    if (d !== null) {
      const state = Atomics.load(d.i32, d.stateAt(this.slot));
      if (state >= FIRED_BASE) return this.fired(state);
    }
    if (this.aborted) {
      this.withdraw(BUSY);
      this.release();
      throw (this.signal as AbortSignal).reason;
    }
    let r: OpResult;
    try {
      r = attempt(this.cases, this);
    } catch (e) {
      this.withdraw(BUSY);
      this.release();
      throw e;
    }
    if (r !== NONE) {
      this.release();
      return r;
    }
    if (d !== null) {
      // Polling reclaims dead threads' values, which may hand one to us.
      const state = Atomics.load(d.i32, d.stateAt(this.slot));
      if (state >= FIRED_BASE) return this.fired(state);
    }
    this.register();
    return NONE;
  }

  /** A peer committed case `c`: withdraw the rest, pick up a received value, free the slot. */
  private fired(state: number): OpResult {
    const c = (state - FIRED_BASE) >> 1;
    const closed = ((state - FIRED_BASE) & FIRED_CLOSED) !== 0;
    this.withdraw(BUSY);
    const oc = this.cases[c]!;
    try {
      if (oc.kind === C_LOCAL) {
        if (this.localFailed) throw this.localError;
        return { index: c, value: this.localValue, ok: this.localOk };
      }
      if (oc.kind === C_SEND) {
        if (closed) throw new SendOnClosedError();
        return { index: c, value: undefined, ok: true };
      }
      if (closed) return { index: c, value: undefined, ok: false };
      (oc.st as ChanState).pickup(this.slot);
      return { index: c, value: ChanState.took(), ok: ChanState.tookOk() };
    } finally {
      this.release();
    }
  }
}

function full(st: ChanState): WaiterLimitError {
  return new WaiterLimitError(`too many operations parked on shared channel ${st.id}`);
}

export { BUSY, WAITING };
