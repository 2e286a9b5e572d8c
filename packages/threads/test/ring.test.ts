import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encode } from "../src/codec.ts";
import { RECORD_HEADER, RingReader, RingWriter } from "../src/ring.ts";

const HEAD = 0;
const TAIL = 1;
const BASE = 16;

function ring(capacity: number): { w: RingWriter; r: RingReader } {
  const sab = new SharedArrayBuffer(BASE + capacity);
  return { w: new RingWriter(sab, HEAD, TAIL, BASE, capacity), r: new RingReader(sab, HEAD, TAIL, BASE, capacity) };
}

/** The model: positions as plain numbers, and the rule that a record never straddles the end. */
interface Model {
  capacity: number;
  queue: { a: number; b: number; value: string; end: number }[];
  head: number;
  tail: number;
  written: number;
}

class Write implements fc.Command<Model, { w: RingWriter; r: RingReader }> {
  constructor(readonly len: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, real: { w: RingWriter; r: RingReader }): void {
    const n = ++m.written;
    const rec = { a: n, b: -n, value: "x".repeat(this.len) };
    const total = (RECORD_HEADER + encode(rec.value).size + 3) & ~3;
    const off = m.tail % m.capacity;
    const pad = off + total > m.capacity ? m.capacity - off : 0;
    const fits = m.tail + pad + total - m.head <= m.capacity;
    expect(real.w.write(rec.a, rec.b, encode(rec.value))).toBe(fits);
    if (!fits) return;
    m.tail += pad + total;
    m.queue.push({ ...rec, end: m.tail });
  }
  toString(): string {
    return `write(${this.len})`;
  }
}

class Read implements fc.Command<Model, { w: RingWriter; r: RingReader }> {
  check(): boolean {
    return true;
  }
  run(m: Model, real: { w: RingWriter; r: RingReader }): void {
    const got = real.r.next();
    expect(got).toBe(m.queue.length > 0);
    if (!got) return;
    const { end, ...want } = m.queue.shift()!;
    m.head = end;
    expect({ a: real.r.a, b: real.r.b, value: real.r.value }).toEqual(want);
  }
  toString(): string {
    return "read";
  }
}

describe("ring (one producer, one consumer, in shared memory)", () => {
  it("hands records over in order, wrapping around its end, never losing, duplicating or inventing one", () => {
    const capacity = 256;
    fc.assert(
      fc.property(fc.commands([fc.integer({ min: 0, max: capacity / 2 - RECORD_HEADER - 1 }).map((n) => new Write(n)), fc.constant(new Read())], { size: "+1" }), (cmds) => {
        const real = ring(capacity);
        const model: Model = { capacity, queue: [], head: 0, tail: 0, written: 0 };
        fc.modelRun(() => ({ model, real }), cmds);
        // Drain: everything written comes out, in order.
        while (model.queue.length > 0) new Read().run(model, real);
        expect(real.r.next()).toBe(false);
      }),
      { seed: 13, numRuns: 300 },
    );
  });

  it("a record of half the capacity always fits an empty ring, wherever its head is", () => {
    const capacity = 128;
    const biggest = "y".repeat(capacity / 2 - RECORD_HEADER - 1); // + tag byte = half the ring
    for (let offset = 0; offset < capacity; offset += 16) {
      const { w, r } = ring(capacity);
      // Move head and tail to `offset` with records of 16 bytes (12 header + tag + 3 characters).
      let moved = 0;
      while (moved < offset) {
        expect(w.write(0, 0, encode("zzz"))).toBe(true);
        expect(r.next()).toBe(true);
        moved += 16;
      }
      expect(w.write(7, 8, encode(biggest))).toBe(true);
      expect(r.next()).toBe(true);
      expect(r.value).toBe(biggest);
      expect(w.maxPayload).toBe(capacity / 2 - RECORD_HEADER);
      expect(moved).toBe(offset);
    }
  });
});
