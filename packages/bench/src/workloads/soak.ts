/**
 * Soak: `count` select iterations that each include a long-lived promise case,
 * the loop that leaks with a Promise.race-based select (every iteration adds a
 * reaction to a promise that never settles). One task sends 0..count-1 on an
 * unbuffered channel; the other selects over that channel and the long-lived
 * case. The figure is the heap growth between full collections from after a
 * warm-up tenth of the run to its end.
 *
 * - never: a promise that never settles (a shutdown that never comes);
 * - timer: one deadline promise backed by a one-hour setTimeout, created before
 *   the loop and shared by every iteration, cleared afterwards.
 *
 * @module
 */
import type * as Core from "@gochan/core";
import { gc, load, runIfMain, triangle } from "../child.ts";
import type { Family, Peer } from "../spec.ts";

/** Keeps the long-lived case reachable until the last measurement, as a real program would. */
const alive: { case: Promise<unknown> | null } = { case: null };

/**
 * `race` swaps select for `Promise.race([ch.recv(), longLived])`, the usual
 * hand-rolled select: a reference that shows the soak detects the leak it is for.
 */
function gochanSoak(kind: "never" | "timer", race = false): Peer {
  return async (count) => {
    const { Chan, select, recv } = await load<typeof Core>("@gochan/core");
    let timer: NodeJS.Timeout | undefined;
    let release = (): void => {};
    // "never" does not settle while the loop runs; it is released afterwards so
    // that nothing is left pending when the workload runs inside a test.
    const longLived =
      kind === "never"
        ? new Promise<void>((resolve) => {
            release = resolve;
          })
        : new Promise<void>((resolve) => {
            timer = setTimeout(resolve, 3_600_000);
          });
    alive.case = longLived;
    const ch = new Chan<number>();
    const warm = Math.max(1, Math.floor(count / 10));
    let sum = 0;
    let before = 0;
    let peak = 0;
    let t0 = 0n;
    const producer = (async () => {
      for (let i = 0; i < count; i++) await ch.send(i);
    })();
    for (let i = 0; i < count; i++) {
      if (i === warm) {
        gc();
        before = process.memoryUsage().heapUsed;
        t0 = process.hrtime.bigint();
      }
      if ((i & 0xffff) === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
      if (race) {
        sum += (await Promise.race([ch.recv(), longLived])) as number;
      } else {
        const r = await select([recv(ch), longLived]);
        if (r.index !== 0) throw new Error(`soak: the ${kind} case fired`);
        sum += r.value as number;
      }
    }
    const ns = Number(process.hrtime.bigint() - t0);
    await producer;
    gc();
    const after = process.memoryUsage().heapUsed;
    alive.case = null;
    clearTimeout(timer);
    release();
    const measured = count - warm;
    return {
      value: after - before,
      unit: "B",
      ops: count,
      check: sum,
      expected: triangle(count),
      extra: { nsPerIteration: measured > 0 ? ns / measured : 0, peakHeapUsed: peak, heapBefore: before },
    };
  };
}

/** The soak workloads. */
export const soak: Family = {
  name: "soak",
  workloads: [
    {
      id: "soak-never",
      title: "Soak: select with a never-settling promise case, heap growth",
      unit: "B",
      count: { full: 1_000_000, quick: 5_000 },
      warmup: false,
      peers: { gochan: gochanSoak("never"), "promise-race": gochanSoak("never", true) },
      note: "The Promise.race row is the hand-rolled select users write without a select: a reference showing the growth this soak exists to catch.",
    },
    {
      id: "soak-timer",
      title: "Soak: select with a timer case, heap growth",
      unit: "B",
      count: { full: 1_000_000, quick: 5_000 },
      warmup: false,
      peers: { gochan: gochanSoak("timer") },
      note: "One one-hour setTimeout promise shared by every iteration, as a deadline is.",
    },
  ],
};

runIfMain(import.meta.url, soak);
