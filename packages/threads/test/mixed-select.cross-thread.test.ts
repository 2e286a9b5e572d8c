/**
 * select over a mix of shared and local channels, across threads: random
 * programs of senders, receivers, selects and trySelects on three threads
 * (this one and two workers). Each thread has its own local core channels
 * besides the shared ones, and its selects mix both. Shared channels are
 * closed at a random moment, then every thread closes its local ones.
 * Whatever the interleaving: no value is lost, duplicated or invented, and
 * every select committed exactly one case (its other send values never
 * arrive anywhere).
 */
import fc from "fast-check";
import type { Worker } from "node:worker_threads";
import * as api from "@gochan/threads";
import { Chan } from "@gochan/core";
import { SharedChan } from "@gochan/threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, nextMessage, numberSends, spawn } from "./helpers.ts";
// @ts-expect-error: a plain ESM fixture without types
import { closeAndDrain, runTask } from "./fixtures/mixed-actor.mjs";

type Case = { t: "send"; ch: number; v: number } | { t: "recv"; ch: number };
type Op = { t: "send"; ch: number; v: number } | { t: "recv"; ch: number } | { t: "select"; try: boolean; cases: Case[] };
type Entry = { t: "sent"; v: number } | { t: "recv"; v: number; ok: boolean } | { t: "failed"; name: string; message: string };
type AnyChan = SharedChan<number> | Chan<number>;

const run = runTask as (chans: AnyChan[], ops: Op[], log: Entry[], api: typeof import("@gochan/threads")) => Promise<void>;
const drain = closeAndDrain as (locals: Chan<number>[], running: Promise<unknown>) => Promise<number[]>;

let workers: Worker[] = [];

beforeAll(() => {
  ensureBuilt();
  workers = [spawn("mixed-actor"), spawn("mixed-actor")];
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
});

/** Three threads of 1-3 concurrent tasks over `n` channels (shared first, then that thread's locals). */
function program(n: number): fc.Arbitrary<Op[][][]> {
  const ch = fc.nat({ max: n - 1 });
  const caseArb: fc.Arbitrary<Case> = fc.oneof(
    ch.map((c) => ({ t: "send" as const, ch: c, v: 0 })),
    ch.map((c) => ({ t: "recv" as const, ch: c })),
  );
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 2, arbitrary: ch.map((c) => ({ t: "send" as const, ch: c, v: 0 })) },
    { weight: 2, arbitrary: ch.map((c) => ({ t: "recv" as const, ch: c })) },
    {
      weight: 4,
      arbitrary: fc
        .record({ try: fc.boolean(), cases: fc.array(caseArb, { minLength: 1, maxLength: 4 }) })
        .map((s) => ({ t: "select" as const, ...s })),
    },
  );
  const task = fc.array(op, { minLength: 1, maxLength: 8 });
  return fc.array(fc.array(task, { minLength: 1, maxLength: 3 }), { minLength: 3, maxLength: 3 });
}

describe("select mixing shared and local channels, across threads", () => {
  it("no value lost, duplicated or invented; one case per select", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(0, 1, 2), { minLength: 1, maxLength: 2 }),
        fc.array(fc.constantFrom(0, 1, 2), { minLength: 1, maxLength: 2 }),
        fc.nat({ max: 6 }),
        fc.nat(),
        async (sharedCaps, localCaps, closeAfterMs, seed) => {
          const threads = fc.sample(program(sharedCaps.length + localCaps.length), { seed, numRuns: 1 })[0] as Op[][][];
          numberSends(threads);
          const shared = sharedCaps.map((c) => new SharedChan<number>(c, { bytes: 1024 }));
          const locals = localCaps.map((c) => new Chan<number>(c));
          workers.forEach((w, i) => w.postMessage({ chans: shared.map((c) => c.handle), locals: localCaps, tasks: threads[i + 1] }));
          const log: Entry[] = [];
          const mine = Promise.all((threads[0] as Op[][]).map((ops) => run([...shared, ...locals], ops, log, api)));
          await new Promise((r) => setTimeout(r, closeAfterMs));
          for (const c of shared) c.close();
          const replies = workers.map((w) => nextMessage<{ log: Entry[]; drained: number[] }>(w));
          for (const w of workers) w.postMessage({ close: true });
          const drained = await drain(locals, mine);
          const others = await Promise.all(replies);
          const logs = [log, ...others.map((o) => o.log)].flat();
          drained.push(...others.flatMap((o) => o.drained));
          for (const c of shared) for (let r = c.tryRecv(); r !== undefined && r.ok; r = c.tryRecv()) drained.push(r.value);
          const sent = logs.flatMap((e) => (e.t === "sent" ? [e.v] : []));
          const got = [...logs.flatMap((e) => (e.t === "recv" && e.ok ? [e.v] : [])), ...drained];
          expect(new Set(got).size).toBe(got.length); // nothing duplicated
          expect([...got].sort((a, b) => a - b)).toEqual([...sent].sort((a, b) => a - b)); // nothing lost or invented
          for (const e of logs) if (e.t === "failed") expect(`${e.name}: ${e.message}`).toBe("SendOnClosedError: send on closed channel");
        },
      ),
      { seed: 1313, numRuns: 60 },
    );
  });
});
