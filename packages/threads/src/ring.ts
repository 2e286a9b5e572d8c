/**
 * A ring of records in shared memory with one producer thread and one
 * consumer thread: how a ThreadPool hands jobs to a thread and how the thread
 * hands results back, without a lock, a message or an allocation per record
 * beyond the payload's encoding.
 *
 * A record is three Int32 words, then its payload, padded to 4 bytes:
 * `[payload bytes][a][b][payload]`; `a` and `b` are the protocol's (a job's
 * control slot and function, a result's slot and status).
 *
 * Invariants:
 * - The producer alone stores the tail, the consumer alone the head. Both are
 *   byte counts since the ring was made, wrapping as Int32; a record lives at
 *   `position & (capacity - 1)`; capacity is a power of two <= 2^30, so
 *   `tail - head` (Int32) is the bytes in use.
 * - [head, tail) holds complete records only: the producer writes a record's
 *   bytes and then publishes it by storing the tail; the consumer loads the
 *   tail before reading them (Atomics orders both).
 * - A record never straddles the end of the memory: where it would, the
 *   producer writes a PAD word and starts the record at offset 0; the padding
 *   counts as bytes in use until the consumer skips it.
 * - A record takes at most half the capacity, so it always fits an empty ring.
 * - Waking is the protocol's business (protocol.ts): the ring never blocks.
 *
 * @module
 */
import { decode, writeEncoded, type Encoded } from "./codec.js";

/** Bytes of a record's header words. */
export const RECORD_HEADER = 12;
const PAD = -1;

/** One direction of a ring: the words and bytes both ends share. */
class RingMemory {
  protected readonly i32: Int32Array;
  protected readonly u8: Uint8Array;
  protected readonly view: DataView;
  /** Index (in i32) of the head and tail words. */
  protected readonly headAt: number;
  protected readonly tailAt: number;
  /** Byte offset of the data area in the buffer. */
  protected readonly base: number;
  readonly capacity: number;
  protected readonly mask: number;

  constructor(sab: SharedArrayBuffer, headAt: number, tailAt: number, base: number, capacity: number) {
    this.i32 = new Int32Array(sab);
    this.u8 = new Uint8Array(sab);
    this.view = new DataView(sab);
    this.headAt = headAt;
    this.tailAt = tailAt;
    this.base = base;
    this.capacity = capacity;
    this.mask = capacity - 1;
  }

  /** The largest payload a record may carry. */
  get maxPayload(): number {
    return (this.capacity >> 1) - RECORD_HEADER;
  }
}

/** The producer's end. */
export class RingWriter extends RingMemory {
  #tail: number;

  constructor(sab: SharedArrayBuffer, headAt: number, tailAt: number, base: number, capacity: number) {
    super(sab, headAt, tailAt, base, capacity);
    this.#tail = Atomics.load(this.i32, tailAt);
  }

  /**
   * Appends a record and publishes it; false (nothing written) if the ring
   * has no room for it now. The payload must be at most {@link maxPayload}.
   */
  write(a: number, b: number, payload: Encoded): boolean {
    const total = (RECORD_HEADER + payload.size + 3) & ~3;
    let tail = this.#tail;
    const free = this.capacity - ((tail - Atomics.load(this.i32, this.headAt)) | 0);
    let off = tail & this.mask;
    const pad = off + total > this.capacity ? this.capacity - off : 0;
    if (pad + total > free) return false;
    if (pad > 0) {
      this.i32[(this.base + off) >> 2] = PAD;
      tail = (tail + pad) | 0;
      off = 0;
    }
    const at = (this.base + off) >> 2;
    this.i32[at] = payload.size;
    this.i32[at + 1] = a;
    this.i32[at + 2] = b;
    writeEncoded(this.u8, this.view, this.base + off + RECORD_HEADER, payload);
    this.#tail = (tail + total) | 0;
    Atomics.store(this.i32, this.tailAt, this.#tail);
    return true;
  }
}

/** The consumer's end: {@link RingReader.next} fills `a`, `b` and `value`. */
export class RingReader extends RingMemory {
  #head: number;
  /** The last record read. */
  a = 0;
  b = 0;
  value: unknown = undefined;

  constructor(sab: SharedArrayBuffer, headAt: number, tailAt: number, base: number, capacity: number) {
    super(sab, headAt, tailAt, base, capacity);
    this.#head = Atomics.load(this.i32, headAt);
  }

  /** Whether a record is waiting. */
  get empty(): boolean {
    return Atomics.load(this.i32, this.tailAt) === this.#head;
  }

  /**
   * Takes the oldest record (decoding its payload) and frees its bytes; false
   * if there is none.
   */
  next(): boolean {
    const tail = Atomics.load(this.i32, this.tailAt);
    let head = this.#head;
    if (tail === head) return false;
    let off = head & this.mask;
    let at = (this.base + off) >> 2;
    let size = this.i32[at]!;
    if (size === PAD) {
      head = (head + this.capacity - off) | 0;
      off = 0;
      at = this.base >> 2;
      size = this.i32[at]!;
    }
    this.a = this.i32[at + 1]!;
    this.b = this.i32[at + 2]!;
    this.value = decode(this.u8, this.view, this.base + off + RECORD_HEADER, size);
    this.#head = (head + ((RECORD_HEADER + size + 3) & ~3)) | 0;
    Atomics.store(this.i32, this.headAt, this.#head);
    return true;
  }
}
