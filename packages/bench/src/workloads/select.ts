/**
 * select over 2 and over 8 ready channels. Every channel is buffered and filled
 * (untimed) with enough values that it stays ready for the whole run, so the
 * timed loop is select alone: `count` receives, each through one select.
 *
 * @gochan/core is written as its docs write it, a fresh cases array per
 * iteration; ts-chan as its docs write it, one Select object built before the
 * loop, then `wait()` and `recv()` per iteration.
 *
 * @module
 */
import type * as Core from "@gochan/core";
import type * as TsChan from "ts-chan";
import { load, runIfMain, timed } from "../child.ts";
import type { Family, Peer } from "../spec.ts";

/** Channel `j` holds `count` copies of j + 1, so the checksum counts where each receive came from. */
function gochanSelect(k: 2 | 8): Peer {
  return async (count) => {
    const { Chan, select, recv } = await load<typeof Core>("@gochan/core");
    const cs: Core.Chan<number>[] = [];
    for (let j = 0; j < k; j++) {
      const ch = new Chan<number>(count);
      for (let i = 0; i < count; i++) ch.trySend(j + 1);
      cs.push(ch);
    }
    const [c0, c1, c2, c3, c4, c5, c6, c7] = cs as [Core.Chan<number>, Core.Chan<number>, ...Core.Chan<number>[]];
    const m = await timed(count, "ns/recv", 0, async () => {
      let sum = 0;
      if (k === 2) {
        for (let i = 0; i < count; i++) {
          const r = await select([recv(c0), recv(c1)]);
          sum += r.value as number;
        }
      } else {
        for (let i = 0; i < count; i++) {
          const r = await select([recv(c0), recv(c1), recv(c2), recv(c3), recv(c4), recv(c5), recv(c6), recv(c7)]);
          sum += r.value as number;
        }
      }
      return sum;
    });
    // Each receive took one value j + 1 from channel j: the values left behind
    // must account for exactly `count` receives.
    let left = 0;
    for (let j = 0; j < k; j++) left += (cs[j] as Core.Chan<number>).len * (j + 1);
    m.expected = (count * k * (k + 1)) / 2 - left;
    return m;
  };
}

function tsChanSelect(k: 2 | 8, unsafe: boolean): Peer {
  return async (count) => {
    const { Chan, Select, recv } = await load<typeof TsChan>("ts-chan");
    const cs: TsChan.Chan<number>[] = [];
    for (let j = 0; j < k; j++) {
      const ch = new Chan<number>(count).setUnsafe(unsafe);
      for (let i = 0; i < count; i++) ch.trySend(j + 1);
      cs.push(ch);
    }
    const sel = new Select(cs.map((c) => recv(c))).setUnsafe(unsafe);
    const m = await timed(count, "ns/recv", 0, async () => {
      let sum = 0;
      for (let i = 0; i < count; i++) {
        const index = await sel.wait();
        sum += sel.recv(sel.cases[index] as TsChan.SelectCase<number>).value as number;
      }
      return sum;
    });
    let left = 0;
    for (let j = 0; j < k; j++) left += (cs[j] as TsChan.Chan<number>).length * (j + 1);
    m.expected = (count * k * (k + 1)) / 2 - left;
    return m;
  };
}

/** The select workloads. */
export const selects: Family = {
  name: "select",
  workloads: [
    {
      id: "select2",
      title: "select over 2 ready channels",
      unit: "ns/recv",
      count: { full: 200_000, quick: 2_000 },
      warmup: true,
      peers: { gochan: gochanSelect(2), "ts-chan": tsChanSelect(2, false), "ts-chan-unsafe": tsChanSelect(2, true) },
      go: [{ bench: "Select2", peer: "go" }],
    },
    {
      id: "select8",
      title: "select over 8 ready channels",
      unit: "ns/recv",
      count: { full: 200_000, quick: 2_000 },
      warmup: true,
      peers: { gochan: gochanSelect(8), "ts-chan": tsChanSelect(8, false), "ts-chan-unsafe": tsChanSelect(8, true) },
      go: [{ bench: "Select8", peer: "go" }],
    },
  ],
};

runIfMain(import.meta.url, selects);
