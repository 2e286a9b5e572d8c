/**
 * The shared state of one channel: a SharedArrayBuffer every thread holding
 * the channel maps, changed only under its lock word. It is Go's hchan
 * (runtime/chan.go) with the element buffer replaced by a byte ring of
 * records, because values cross threads as bytes.
 *
 * Layout: a header of Int32 words, the send queue, the receive queue (fixed
 * arrays of [slot, case, record] entries, FIFO), then the ring. A record is
 * [total, kind, owner, size] followed by the encoded value, 16-byte aligned:
 * - BUFFERED: a value in the buffer; counted by `len`.
 * - OFFER: the value of a parked sender (`owner` is its waiter slot); named by
 *   exactly one send-queue entry.
 * - RESERVED: a value a sender handed to a parked receiver (`owner`), which has
 *   been committed (its slot fired) but has not picked the value up yet.
 * - ORPHAN: a RESERVED value whose receiver's thread died before picking it
 *   up: delivered first to the next receiver, never lost.
 * - ABANDONED: the OFFER of a live sender whose entry a peer removed (close,
 *   or its select fired elsewhere) when the value is a ticket for moved ports
 *   (port-hub.ts): kept until its sender withdraws it, because only the
 *   sender knows whether the ticket is parked again or dropped. Never
 *   delivered; counted by NABANDONED.
 * - DEAD / PAD: space waiting to be reclaimed from the head / the ring's tail end.
 *
 * Invariants (compare Go's runtime/chan.go):
 * - A waiting receiver means nothing to take: recvq non-empty => no BUFFERED
 *   and no live OFFER record. (ORPHANs appear while receivers wait, when a
 *   thread dies; every waiter is then woken and re-polls, taking them first.)
 * - A non-full buffer means no parked senders: NBUF < CAP => sendq empty.
 * - Every BUFFERED record precedes every OFFER record in the ring, and OFFER
 *   records are in send-queue order, so a receive that frees a buffer place
 *   promotes the first live offer and the overall order stays FIFO.
 * - A value leaves the ring only when its receiver commits: a receive removes
 *   the record it returns in the same critical section, and a record handed to
 *   a receiver on another thread stays (RESERVED) until that receiver picks it
 *   up or its thread is found dead (then it becomes ORPHAN).
 * - A ticket for moved ports (port-hub.ts) leaves the ring as any value,
 *   except that a peer removing the offer of a live sender keeps it ABANDONED
 *   until the sender withdraws it (and drops the ticket itself); a peer
 *   removing a dead sender's offer, or reclaim finding a dead sender's
 *   ABANDONED record, drops the ticket. So each ticket is dropped once, by
 *   whoever knows its send did not happen.
 * - Once closed, sendq is empty forever and recvq is empty.
 * - A queue entry names a slot that is not FREE (see domain.ts). An entry whose
 *   slot is no longer WAITING belongs to a select that fired elsewhere: it is
 *   dropped when met (its offer becomes DEAD).
 *
 * Every operation is written from the point of view of an active party that
 * holds the lock: the same ladder as core's chan.ts (closed -> hand off to a
 * parked peer -> buffer -> would block).
 *
 * @module
 */
import { SendOnClosedError } from "@gochan/core";
import { decode, TAG_SIDE, writeEncoded, type Encoded } from "./codec.js";
import { Domain, FIRED_BASE, H_DEATHS, WAITING } from "./domain.js";
import { wakeAfterUnlock } from "./lock.js";
import { dropKey } from "./port-hub.js";

// Header words.
export const LOCK = 0;
const CLOSED = 1;
const CAP = 2;
const ID = 3;
const NBUF = 4;
const NORPHAN = 5;
const NRESERVED = 6;
const RING = 7;
const HEAD = 8;
const TAIL = 9;
const USED = 10;
/** A sequence number bumped when ring space is freed (senders short of space wait on it). */
export const SPACE = 11;
const QCAP = 12;
const SENDN = 13;
const RECVN = 14;
const DEATHS_SEEN = 15;
const DOMAIN_ID = 16;
/** How many senders wait on SPACE (so freeing space notifies only when someone listens). */
export const SPACE_WAITERS = 17;
const NABANDONED = 18;
/** 1 once a ticket for moved ports has been in this channel (try operations then look before they take). */
const TICKETS = 19;
const HEADER_INTS = 32;
const ENTRY = 3;

// Record kinds.
const K_DEAD = 0;
const K_BUFFERED = 1;
const K_OFFER = 2;
const K_RESERVED = 3;
const K_PAD = 4;
const K_ORPHAN = 5;
const K_ABANDONED = 6;
const REC = 16; // record header bytes

/** The closed bit of a fired state word. */
export const FIRED_CLOSED = 1;

// takeRecv reports through these, so polling allocates nothing.
let took: unknown;
let tookOk = false;

/** One channel's shared memory, seen from this thread. */
export class ChanState {
  readonly sab: SharedArrayBuffer;
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
  readonly view: DataView;
  readonly domain: Domain;
  readonly id: number;
  readonly cap: number;
  /** The largest encoded value (payload bytes) a record can hold. */
  readonly maxValue: number;
  private readonly ringAt: number; // byte offset of the ring
  private readonly ringSize: number;
  private readonly sq: number; // int index of the send queue
  private readonly rq: number; // int index of the receive queue
  private readonly qcap: number;

  constructor(sab: SharedArrayBuffer, domain: Domain) {
    this.sab = sab;
    this.i32 = new Int32Array(sab);
    this.u8 = new Uint8Array(sab);
    this.view = new DataView(sab);
    this.domain = domain;
    if (this.i32[DOMAIN_ID] !== domain.id) throw new TypeError("shared channel handle does not match its domain");
    this.id = this.i32[ID] as number;
    this.cap = this.i32[CAP] as number;
    this.qcap = this.i32[QCAP] as number;
    this.sq = HEADER_INTS;
    this.rq = HEADER_INTS + ENTRY * this.qcap;
    this.ringAt = align16(4 * (this.rq + ENTRY * this.qcap));
    this.ringSize = this.i32[RING] as number;
    this.maxValue = this.ringSize - REC;
  }

  /** Allocates a channel's shared memory. */
  static create(domain: Domain, cap: number, bytes: number, waiters: number): ChanState {
    const ring = align16(Math.max(bytes, 64));
    const ringAt = align16(4 * (HEADER_INTS + 2 * ENTRY * waiters));
    const sab = new SharedArrayBuffer(ringAt + ring);
    const i32 = new Int32Array(sab);
    i32[CAP] = cap;
    i32[ID] = domain.nextChanId();
    i32[RING] = ring;
    i32[QCAP] = waiters;
    i32[DOMAIN_ID] = domain.id;
    i32[DEATHS_SEEN] = Atomics.load(domain.i32, H_DEATHS);
    return new ChanState(sab, domain);
  }

  static took(): unknown {
    const v = took;
    took = undefined;
    return v;
  }

  static tookOk(): boolean {
    return tookOk;
  }

  get closed(): boolean {
    return Atomics.load(this.i32, CLOSED) === 1;
  }

  /** len: buffered values (a racy snapshot when read without the lock, as in Go). */
  get len(): number {
    return Atomics.load(this.i32, NBUF);
  }

  // ---- Receive side ----

  /** Whether a receive by the operation owning `self` (or -1) would proceed now. */
  canRecv(self: number): boolean {
    this.reclaim();
    const i32 = this.i32;
    if (i32[NORPHAN]! > 0 || i32[NBUF]! > 0 || i32[CLOSED] === 1) return true;
    for (let i = 0, n = i32[SENDN]!; i < n; i++) {
      const slot = i32[this.sq + ENTRY * i]!;
      if (slot !== self && this.slotState(slot) === WAITING) return true;
    }
    return false;
  }

  /**
   * Receives as the active party. True with the value in took()/tookOk(), or
   * false if a receive would block.
   */
  takeRecv(): boolean {
    this.reclaim();
    const i32 = this.i32;
    if (i32[NORPHAN]! > 0) {
      i32[NORPHAN]!--;
      this.deliver(this.find(K_ORPHAN, -1));
      return true;
    }
    if (i32[NBUF]! > 0) {
      i32[NBUF]!--;
      this.deliver(this.find(K_BUFFERED, -1));
      this.promote();
      return true;
    }
    while (i32[SENDN]! > 0) {
      const slot = i32[this.sq]!;
      const c = i32[this.sq + 1]!;
      const rec = i32[this.sq + 2]!;
      this.removeAt(this.sq, SENDN, 0);
      if (this.fire(slot, c, 0)) {
        this.deliver(rec);
        return true;
      }
      this.removeOffer(rec, slot); // a select that fired elsewhere: its offer is withdrawn
    }
    if (i32[CLOSED] === 1) {
      took = undefined;
      tookOk = false;
      return true;
    }
    return false;
  }

  /** A buffer place was freed: the first live parked sender's offer joins the buffer. */
  private promote(): void {
    const i32 = this.i32;
    while (i32[SENDN]! > 0) {
      const slot = i32[this.sq]!;
      const c = i32[this.sq + 1]!;
      const rec = i32[this.sq + 2]!;
      this.removeAt(this.sq, SENDN, 0);
      if (this.fire(slot, c, 0)) {
        this.setKind(rec, K_BUFFERED);
        i32[NBUF]!++;
        return;
      }
      this.removeOffer(rec, slot);
    }
  }

  /** Picks up the value a sender reserved for the receive of `slot`, which has fired. */
  pickup(slot: number): void {
    this.i32[NRESERVED]!--;
    this.deliver(this.find(K_RESERVED, slot));
  }

  /** Parks a receive case: an entry in the receive queue. False if the queue is full. */
  registerRecv(slot: number, c: number): boolean {
    return this.push(this.rq, RECVN, slot, c, -1);
  }

  // ---- Send side ----

  /** Whether a send of `size` payload bytes by `self` (or -1) would proceed now (a closed channel "proceeds" to fail). */
  canSend(self: number, size: number): boolean {
    const i32 = this.i32;
    if (i32[CLOSED] === 1) return true;
    if (!this.fits(size)) return false;
    if (i32[NBUF]! < this.cap) return true;
    this.reclaim();
    for (let i = 0, n = i32[RECVN]!; i < n; i++) {
      const slot = i32[this.rq + ENTRY * i]!;
      if (slot !== self && this.slotState(slot) === WAITING && this.domain.slotAlive(slot)) return true;
    }
    return false;
  }

  /**
   * Sends as the active party: hands the value to the first live parked
   * receiver, or buffers it. False if it would block (no receiver, buffer full,
   * or no ring space). Throws SendOnClosedError on a closed channel.
   */
  giveSend(e: Encoded): boolean {
    const i32 = this.i32;
    if (i32[CLOSED] === 1) throw new SendOnClosedError();
    this.reclaim();
    if (i32[RECVN]! === 0 && i32[NBUF]! >= this.cap) return false;
    const rec = this.alloc(e);
    if (rec < 0) return false;
    while (i32[RECVN]! > 0) {
      const slot = i32[this.rq]!;
      const c = i32[this.rq + 1]!;
      this.removeAt(this.rq, RECVN, 0);
      if (!this.domain.slotAlive(slot)) continue;
      if (this.fire(slot, c, 0)) {
        this.setKind(rec, K_RESERVED, slot);
        i32[NRESERVED]!++;
        return true;
      }
    }
    if (i32[NBUF]! < this.cap) {
      this.setKind(rec, K_BUFFERED);
      i32[NBUF]!++;
      return true;
    }
    this.kill(rec);
    return false;
  }

  /**
   * Parks a send case: its value becomes an OFFER record at the ring's tail and
   * an entry in the send queue. 1 parked, 0 no ring space now, -1 queue full.
   */
  registerSend(slot: number, c: number, e: Encoded): number {
    const rec = this.alloc(e);
    if (rec < 0) return 0;
    this.setKind(rec, K_OFFER, slot);
    if (this.push(this.sq, SENDN, slot, c, rec)) return 1;
    this.kill(rec);
    return -1;
  }

  // ---- Both ----

  /** Removes every entry of `slot` from both queues (its offers become DEAD). */
  withdraw(slot: number): void {
    const i32 = this.i32;
    for (let i = 0; i < i32[SENDN]!; ) {
      if (i32[this.sq + ENTRY * i] === slot) {
        this.kill(i32[this.sq + ENTRY * i + 2]!);
        this.removeAt(this.sq, SENDN, i);
      } else i++;
    }
    for (let i = 0; i < i32[RECVN]!; ) {
      if (i32[this.rq + ENTRY * i] === slot) this.removeAt(this.rq, RECVN, i);
      else i++;
    }
    if (i32[NABANDONED]! > 0) this.killAbandoned(slot, false);
  }

  /**
   * A peer (not the sender) removes the offer `rec` of `slot`: a plain value
   * dies; a ticket is dropped if its sender's thread is dead, else kept
   * ABANDONED for the sender to withdraw (see port-hub.ts).
   */
  private removeOffer(rec: number, slot: number): void {
    if (this.u8[this.ringAt + rec + REC] !== TAG_SIDE) this.kill(rec);
    else if (!this.domain.slotAlive(slot)) {
      dropKey(this.ticketKey(rec));
      this.kill(rec);
    } else {
      this.setKind(rec, K_ABANDONED, slot);
      this.i32[NABANDONED]!++;
    }
  }

  /** Kills the ABANDONED records of `slot` (its sender withdraws), or of every dead sender (`dead`: their tickets are dropped). */
  private killAbandoned(slot: number, dead: boolean): void {
    const found: number[] = [];
    this.forEachRecord((off, kind, owner) => {
      if (kind === K_ABANDONED && (dead ? !this.domain.slotAlive(owner) : owner === slot)) found.push(off);
    });
    for (const off of found) {
      if (dead) dropKey(this.ticketKey(off));
      this.i32[NABANDONED]!--;
      this.kill(off);
    }
  }

  private ticketKey(rec: number): number {
    return this.view.getFloat64(this.ringAt + rec + REC + 1, true);
  }

  /**
   * Whether the value a receive would take now is a ticket for moved ports
   * (a try operation refuses it rather than take it). The caller holds the lock.
   */
  frontIsTicket(): boolean {
    const i32 = this.i32;
    if (i32[TICKETS] === 0) return false;
    this.reclaim();
    let rec = -1;
    if (i32[NORPHAN]! > 0) rec = this.find(K_ORPHAN, -1);
    else if (i32[NBUF]! > 0) rec = this.find(K_BUFFERED, -1);
    else {
      for (let i = 0, n = i32[SENDN]!; i < n && rec < 0; i++) {
        if (this.slotState(i32[this.sq + ENTRY * i]!) === WAITING) rec = i32[this.sq + ENTRY * i + 2]!;
      }
    }
    return rec >= 0 && this.u8[this.ringAt + rec + REC] === TAG_SIDE;
  }

  /**
   * Closes the channel: every parked receiver fires with closed (it gets the
   * zero value), every parked sender fires with closed (it fails) and its
   * offer is dropped. Returns false if it was already closed.
   */
  close(): boolean {
    const i32 = this.i32;
    if (i32[CLOSED] === 1) return false;
    Atomics.store(i32, CLOSED, 1);
    while (i32[RECVN]! > 0) {
      this.fire(i32[this.rq]!, i32[this.rq + 1]!, FIRED_CLOSED);
      this.removeAt(this.rq, RECVN, 0);
    }
    while (i32[SENDN]! > 0) {
      this.fire(i32[this.sq]!, i32[this.sq + 1]!, FIRED_CLOSED);
      this.removeOffer(i32[this.sq + 2]!, i32[this.sq]!);
      this.removeAt(this.sq, SENDN, 0);
    }
    this.spaceFreed(); // senders waiting for ring space must see the close
    return true;
  }

  /**
   * A thread died since this channel last looked: values reserved for its
   * receivers become ORPHANs, its parked receivers are dropped, and its
   * ABANDONED tickets are dropped. (A dead thread's parked offers stay: they
   * are still delivered.) It never fires a
   * waiter, because it runs while polling: the parked receivers were all woken
   * by the death (Domain.threadExited) and take orphans by polling.
   */
  private reclaim(): void {
    const i32 = this.i32;
    const deaths = Atomics.load(this.domain.i32, H_DEATHS);
    if (deaths === i32[DEATHS_SEEN]) return;
    i32[DEATHS_SEEN] = deaths;
    if (i32[NRESERVED]! > 0) {
      this.forEachRecord((off, kind, owner) => {
        if (kind === K_RESERVED && !this.domain.slotAlive(owner)) {
          this.setKind(off, K_ORPHAN);
          i32[NRESERVED]!--;
          i32[NORPHAN]!++;
        }
      });
    }
    for (let i = 0; i < i32[RECVN]!; ) {
      if (!this.domain.slotAlive(i32[this.rq + ENTRY * i]!)) this.removeAt(this.rq, RECVN, i);
      else i++;
    }
    if (i32[NABANDONED]! > 0) this.killAbandoned(-1, true);
  }

  // ---- Waiter slots ----

  private slotState(slot: number): number {
    return Atomics.load(this.domain.i32, this.domain.stateAt(slot));
  }

  /** Commits the parked operation of `slot` to case `c`; false if it is no longer waiting. */
  private fire(slot: number, c: number, closed: number): boolean {
    const at = this.domain.stateAt(slot);
    if (Atomics.compareExchange(this.domain.i32, at, WAITING, FIRED_BASE + 2 * c + closed) !== WAITING) return false;
    wakeAfterUnlock(this.domain.i32, at); // the caller holds this channel's lock
    return true;
  }

  // ---- Queues ----

  private push(q: number, n: number, slot: number, c: number, rec: number): boolean {
    const len = this.i32[n]!;
    if (len >= this.qcap) return false;
    const at = q + ENTRY * len;
    this.i32[at] = slot;
    this.i32[at + 1] = c;
    this.i32[at + 2] = rec;
    this.i32[n] = len + 1;
    return true;
  }

  private removeAt(q: number, n: number, i: number): void {
    const len = this.i32[n]!;
    this.i32.copyWithin(q + ENTRY * i, q + ENTRY * (i + 1), q + ENTRY * len);
    this.i32[n] = len - 1;
  }

  // ---- The ring ----

  /** Allocates and fills a record for `e` (kind DEAD until set); its byte offset, or -1 if no room. */
  private alloc(e: Encoded): number {
    const i32 = this.i32;
    const total = align16(REC + e.size);
    const size = this.ringSize;
    if (i32[USED] === 0) i32[HEAD] = i32[TAIL] = 0;
    const head = i32[HEAD]!;
    const tail = i32[TAIL]!;
    let off: number;
    if (i32[USED] === size) return -1;
    if (tail >= head) {
      if (size - tail >= total) off = tail;
      else if (head >= total) {
        this.header(tail, size - tail, K_PAD, -1, 0);
        i32[USED]! += size - tail;
        off = 0;
      } else return -1;
    } else if (head - tail >= total) off = tail;
    else return -1;
    i32[TAIL] = off + total === size ? 0 : off + total;
    i32[USED]! += total;
    this.header(off, total, K_DEAD, -1, e.size);
    if (e.tag === TAG_SIDE) i32[TICKETS] = 1;
    writeEncoded(this.u8, this.view, this.ringAt + off + REC, e);
    return off;
  }

  /** Whether a record of `size` payload bytes would fit now. */
  private fits(size: number): boolean {
    const i32 = this.i32;
    const total = align16(REC + size);
    const used = i32[USED]!;
    if (used === 0) return total <= this.ringSize;
    if (used === this.ringSize) return false;
    const head = i32[HEAD]!;
    const tail = i32[TAIL]!;
    if (tail >= head) return this.ringSize - tail >= total || head >= total;
    return head - tail >= total;
  }

  private header(off: number, total: number, kind: number, owner: number, size: number): void {
    const at = (this.ringAt + off) >> 2;
    this.i32[at] = total;
    this.i32[at + 1] = kind;
    this.i32[at + 2] = owner;
    this.i32[at + 3] = size;
  }

  private setKind(off: number, kind: number, owner = -1): void {
    const at = (this.ringAt + off) >> 2;
    this.i32[at + 1] = kind;
    this.i32[at + 2] = owner;
  }

  /** Decodes record `off` into took/tookOk and frees it. */
  private deliver(off: number): void {
    const at = (this.ringAt + off) >> 2;
    took = decode(this.u8, this.view, this.ringAt + off + REC, this.i32[at + 3]!);
    tookOk = true;
    this.kill(off);
  }

  /** Frees record `off`; space is reclaimed once the dead records reach the head. */
  private kill(off: number): void {
    const i32 = this.i32;
    this.setKind(off, K_DEAD);
    let freed = false;
    while (i32[USED]! > 0) {
      const at = (this.ringAt + i32[HEAD]!) >> 2;
      const kind = i32[at + 1];
      if (kind !== K_DEAD && kind !== K_PAD) break;
      const total = i32[at]!;
      i32[USED]! -= total;
      i32[HEAD] = i32[HEAD]! + total === this.ringSize ? 0 : i32[HEAD]! + total;
      freed = true;
    }
    if (freed) this.spaceFreed();
  }

  private spaceFreed(): void {
    Atomics.add(this.i32, SPACE, 1);
    if (Atomics.load(this.i32, SPACE_WAITERS) > 0) Atomics.notify(this.i32, SPACE);
  }

  /** The first record (from the head) of `kind` (and `owner`, unless -1). */
  private find(kind: number, owner: number): number {
    const i32 = this.i32;
    let off = i32[HEAD]!;
    let rem = i32[USED]!;
    while (rem > 0) {
      const at = (this.ringAt + off) >> 2;
      if (i32[at + 1] === kind && (owner < 0 || i32[at + 2] === owner)) return off;
      const total = i32[at]!;
      rem -= total;
      off = off + total === this.ringSize ? 0 : off + total;
    }
    throw new Error(`@gochan/threads: internal error: no record of kind ${kind} for ${owner} in channel ${this.id}`);
  }

  private forEachRecord(f: (off: number, kind: number, owner: number) => void): void {
    const i32 = this.i32;
    let off = i32[HEAD]!;
    let rem = i32[USED]!;
    while (rem > 0) {
      const at = (this.ringAt + off) >> 2;
      const total = i32[at]!;
      f(off, i32[at + 1]!, i32[at + 2]!);
      rem -= total;
      off = off + total === this.ringSize ? 0 : off + total;
    }
  }
}

function align16(n: number): number {
  return (n + 15) & ~15;
}
