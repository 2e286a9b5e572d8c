/**
 * Memory: bytes per unbuffered channel, per blocked receiver and per blocked
 * 2-case select. `count`
 * operations block at once on the same channel(s); the figure is the heap
 * delta between two full collections divided by `count`. Everything the user
 * must hold to keep the operation alive is kept (the promise; for ts-chan also
 * its Select object), in arrays allocated before the first measurement. The
 * channels are closed afterwards and every operation must complete: the
 * checksum counts them.
 *
 * @module
 */
import type * as Core from "@gochan/core";
import type * as TsChan from "ts-chan";
import { gc, load, runIfMain } from "../child.ts";
import type { Family, Measurement, Peer, Unit } from "../spec.ts";

/** Heap bytes per item retained by `park` (called `count` times), measured between full collections. */
function heapPer(count: number, unit: Unit, park: (i: number) => void): Measurement {
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) park(i);
  gc();
  const after = process.memoryUsage().heapUsed;
  return { value: (after - before) / count, unit, ops: count, check: 0, expected: count, extra: { heapDelta: after - before } };
}

const gochanChan: Peer = async (count) => {
  const { Chan } = await load<typeof Core>("@gochan/core");
  const keep = new Array<Core.Chan<number> | null>(count).fill(null);
  const m = heapPer(count, "B/channel", (i) => {
    keep[i] = new Chan<number>();
  });
  for (const ch of keep) if (ch !== null && ch.trySend(1) === false) m.check++;
  return m;
};

const tsChanChan: Peer = async (count) => {
  const { Chan } = await load<typeof TsChan>("ts-chan");
  const keep = new Array<TsChan.Chan<number> | null>(count).fill(null);
  const m = heapPer(count, "B/channel", (i) => {
    keep[i] = new Chan<number>();
  });
  for (const ch of keep) if (ch !== null && ch.trySend(1) === false) m.check++;
  return m;
};

const gochanRecv: Peer = async (count) => {
  const { Chan } = await load<typeof Core>("@gochan/core");
  const ch = new Chan<number>();
  const keep = new Array<Promise<number | undefined>>(count).fill(Promise.resolve(0));
  const m = heapPer(count, "B/receiver", (i) => {
    keep[i] = ch.recv();
  });
  ch.close();
  for (const v of await Promise.all(keep)) if (v === undefined) m.check++;
  return m;
};

const gochanSelect2: Peer = async (count) => {
  const { Chan, select, recv } = await load<typeof Core>("@gochan/core");
  const a = new Chan<number>();
  const b = new Chan<number>();
  const keep = new Array<Promise<{ index: number; ok: boolean }>>(count).fill(Promise.resolve({ index: 0, ok: true }));
  const m = heapPer(count, "B/select", (i) => {
    keep[i] = select([recv(a), recv(b)]);
  });
  a.close();
  for (const r of await Promise.all(keep)) if (r.index === 0 && !r.ok) m.check++;
  return m;
};

const tsChanRecv: Peer = async (count) => {
  const { Chan } = await load<typeof TsChan>("ts-chan");
  const ch = new Chan<number>();
  const keep = new Array<Promise<IteratorResult<number, number | undefined>>>(count).fill(
    Promise.resolve({ value: 0, done: false }),
  );
  const m = heapPer(count, "B/receiver", (i) => {
    keep[i] = ch.recv();
  });
  ch.close();
  for (const r of await Promise.all(keep)) if (r.done === true) m.check++;
  return m;
};

const tsChanSelect2: Peer = async (count) => {
  const { Chan, Select, recv } = await load<typeof TsChan>("ts-chan");
  const a = new Chan<number>();
  const b = new Chan<number>();
  const selects = new Array<TsChan.Select<TsChan.SelectCase<number>[]> | null>(count).fill(null);
  const keep = new Array<Promise<number>>(count).fill(Promise.resolve(0));
  const m = heapPer(count, "B/select", (i) => {
    const s = new Select([recv(a), recv(b)]);
    selects[i] = s;
    keep[i] = s.wait();
  });
  a.close();
  const indexes = await Promise.all(keep);
  for (let i = 0; i < count; i++) {
    const s = selects[i] as TsChan.Select<TsChan.SelectCase<number>[]>;
    if (indexes[i] === 0 && s.recv(s.cases[0] as TsChan.SelectCase<number>).done === true) m.check++;
  }
  return m;
};

/** The memory workloads. */
export const memory: Family = {
  name: "memory",
  workloads: [
    {
      id: "mem-chan",
      title: "Memory per unbuffered channel",
      unit: "B/channel",
      count: { full: 10_000, quick: 500 },
      warmup: false,
      peers: { gochan: gochanChan, "ts-chan": tsChanChan },
      note: "Heap delta after gc with 10,000 unbuffered channels made and kept, nothing parked on them, divided by 10,000.",
    },
    {
      id: "mem-recv",
      title: "Memory per blocked receiver",
      unit: "B/receiver",
      count: { full: 10_000, quick: 500 },
      warmup: false,
      peers: { gochan: gochanRecv, "ts-chan": tsChanRecv },
      note: "Heap delta after gc with 10,000 receivers blocked at once on one channel, divided by 10,000.",
    },
    {
      id: "mem-select",
      title: "Memory per blocked 2-case select",
      unit: "B/select",
      count: { full: 10_000, quick: 500 },
      warmup: false,
      peers: { gochan: gochanSelect2, "ts-chan": tsChanSelect2 },
      note: "10,000 selects blocked at once on the same two channels; for ts-chan the Select object is kept too (its users need it to read the value).",
    },
  ],
};

runIfMain(import.meta.url, memory);
