/**
 * Go's channel properties across threads: random programs of senders,
 * receivers and selects on three threads (this one and two workers) over
 * shared channels that get closed at a random moment. Whatever the
 * interleaving: no value is lost, duplicated or invented, and every select
 * committed exactly one case (its other send values never arrive).
 */
import fc from "fast-check";
import type { Worker } from "node:worker_threads";
import * as api from "@gochan/threads";
import { SharedChan } from "@gochan/threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, nextMessage, numberSends, spawn } from "./helpers.ts";
// @ts-expect-error: a plain ESM fixture without types
import { runTask } from "./fixtures/actor.mjs";

type Op =
  | { t: "send"; ch: number; v: number }
  | { t: "recv"; ch: number }
  | { t: "try"; ch: number }
  | { t: "select"; cases: ({ t: "send"; ch: number; v: number } | { t: "recv"; ch: number })[] };
type Entry = { t: "sent"; v: number } | { t: "recv"; v: number; ok: boolean } | { t: "failed"; name: string; message: string };

const runTaskTyped = runTask as (chans: SharedChan<number>[], ops: Op[], log: Entry[], api: typeof import("@gochan/threads")) => Promise<void>;

let workers: Worker[] = [];

beforeAll(() => {
  ensureBuilt();
  workers = [spawn("actor"), spawn("actor")];
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
});

function program(nch: number): fc.Arbitrary<Op[][][]> {
  const ch = fc.nat({ max: nch - 1 });
  const caseArb = fc.oneof(
    ch.map((c) => ({ t: "send" as const, ch: c, v: 0 })),
    ch.map((c) => ({ t: "recv" as const, ch: c })),
  );
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 3, arbitrary: ch.map((c) => ({ t: "send" as const, ch: c, v: 0 })) },
    { weight: 3, arbitrary: ch.map((c) => ({ t: "recv" as const, ch: c })) },
    { weight: 1, arbitrary: ch.map((c) => ({ t: "try" as const, ch: c })) },
    { weight: 2, arbitrary: fc.array(caseArb, { minLength: 1, maxLength: 3 }).map((cases) => ({ t: "select" as const, cases })) },
  );
  const task = fc.array(op, { minLength: 1, maxLength: 8 });
  // three threads, each 1-3 concurrent tasks
  return fc.array(fc.array(task, { minLength: 1, maxLength: 3 }), { minLength: 3, maxLength: 3 });
}

describe("shared channels across threads", () => {
  it("no value lost, duplicated or invented; one case per select", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(0, 1, 3), { minLength: 1, maxLength: 3 }),
        fc.nat({ max: 6 }),
        fc.nat(),
        async (caps, closeAfterMs, seed) => {
          const threads = fc.sample(program(caps.length), { seed, numRuns: 1 })[0] as Op[][][];
          numberSends(threads);
          const chans = caps.map((c) => new SharedChan<number>(c, { bytes: 1024 }));
          const handles = chans.map((c) => c.handle);
          const replies = workers.map((w) => nextMessage<Entry[]>(w));
          workers.forEach((w, i) => w.postMessage({ chans: handles, tasks: threads[i + 1] }));
          const local: Entry[] = [];
          const mine = Promise.all((threads[0] as Op[][]).map((ops) => runTaskTyped(chans, ops, local, api)));
          await new Promise((r) => setTimeout(r, closeAfterMs));
          for (const c of chans) c.close();
          await mine;
          const logs = [local, ...(await Promise.all(replies))];
          const drained: number[] = [];
          for (const c of chans) {
            for (let r = c.tryRecv(); r !== undefined && r.ok; r = c.tryRecv()) drained.push(r.value);
          }
          const sent = logs.flat().flatMap((e) => (e.t === "sent" ? [e.v] : []));
          const got = [...logs.flat().flatMap((e) => (e.t === "recv" && e.ok ? [e.v] : [])), ...drained];
          expect(new Set(got).size).toBe(got.length); // nothing duplicated
          expect([...got].sort((a, b) => a - b)).toEqual([...sent].sort((a, b) => a - b)); // nothing lost or invented
          for (const e of logs.flat()) if (e.t === "failed") expect(`${e.name}: ${e.message}`).toBe("SendOnClosedError: send on closed channel");
          for (const c of chans) expect(c.len).toBe(0);
        },
      ),
      { seed: 1913, numRuns: 80 },
    );
  });

  it("buffered FIFO across threads: one sender's values arrive in order on every receiver", async () => {
    const ch = new SharedChan<number>(3, { bytes: 1024 });
    const replies = workers.map((w) => nextMessage<Entry[]>(w));
    const recvs: Op[] = Array.from({ length: 60 }, () => ({ t: "recv", ch: 0 }));
    workers.forEach((w) => w.postMessage({ chans: [ch.handle], tasks: [recvs] }));
    for (let v = 1; v <= 100; v++) await ch.send(v);
    ch.close();
    const logs = await Promise.all(replies);
    for (const log of logs) {
      const vals = log.flatMap((e) => (e.t === "recv" && e.ok ? [e.v] : []));
      expect(vals).toEqual([...vals].sort((a, b) => a - b));
    }
    expect(logs.flat().filter((e) => e.t === "recv" && e.ok).length).toBe(100);
  });
});
