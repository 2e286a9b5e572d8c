/**
 * Property tests of pool.map and pool.mapStream.
 *
 * 1. Interleavings (fc.scheduler): job completions and an async source's
 *    next() resolve in any order. Whatever the order:
 *    - results come in input order (map: the array; stream: the yields);
 *    - with failures, map rejects with a failing item's error (stopping) or an
 *      AggregateError of exactly the failing items in input order (collecting);
 *    - never more than `concurrency` items taken and unsettled, never more
 *      than `maxWorkers` jobs running at once;
 *    - the source is closed (return()) exactly when the map ended before it
 *      was exhausted;
 *    - the pool's counters balance and nothing is left running.
 * 2. Re-entrant user code: the job function, the source's next() and the
 *    map's abort listeners call map, stop or abort again. Whatever they do,
 *    every promise settles, no job of a map starts after its signal aborted,
 *    the source is closed at most once, and the counters balance.
 *
 * Fixed seeds. POOL_PROPERTY_RUNS raises the number of runs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Pool } from "@gochan/pool";
import { balanced, settle } from "./helpers.js";

const RUNS = Number(process.env.POOL_PROPERTY_RUNS ?? 100);

describe("pool.map under any interleaving", () => {
  it("keeps input order, its bounds and its error rules", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.record({
          n: fc.integer({ min: 0, max: 12 }),
          concurrency: fc.integer({ min: 1, max: 4 }),
          maxWorkers: fc.integer({ min: 1, max: 4 }),
          maxQueue: fc.integer({ min: 1, max: 3 }),
          asyncSource: fc.boolean(),
          stream: fc.boolean(),
          stopOnError: fc.boolean(),
          failing: fc.uniqueArray(fc.nat(11), { maxLength: 3 }),
          syncThrow: fc.boolean(),
          breakAfter: fc.option(fc.nat(6), { nil: undefined }),
        }),
        async (s, c) => {
          const pool = new Pool({ maxWorkers: c.maxWorkers, maxQueue: c.maxQueue });
          const failing = new Set(c.failing.filter((i) => i < c.n));
          let taken = 0;
          let exhausted = false;
          let closed = 0;
          let unsettled = 0;
          let maxUnsettled = 0;
          let running = 0;
          let maxRunning = 0;
          const take = (): IteratorResult<number> => {
            // Closed while an async next() was pending: done, as a generator would be.
            if (closed > 0) return { done: true, value: undefined };
            if (taken >= c.n) {
              exhausted = true;
              return { done: true, value: undefined };
            }
            unsettled++;
            maxUnsettled = Math.max(maxUnsettled, unsettled);
            return { done: false, value: taken++ };
          };
          const close = (): IteratorResult<number> => {
            closed++;
            return { done: true, value: undefined };
          };
          const source: Iterable<number> | AsyncIterable<number> = c.asyncSource
            ? {
                [Symbol.asyncIterator]: () => ({
                  next: () => s.schedule(Promise.resolve(), "next").then(take),
                  return: async () => close(),
                }),
              }
            : { [Symbol.iterator]: () => ({ next: take, return: close }) };
          const fn = async (x: number): Promise<number> => {
            running++;
            maxRunning = Math.max(maxRunning, running);
            try {
              if (failing.has(x) && c.syncThrow) throw new Error(`bad ${x}`);
              await s.schedule(Promise.resolve(), `job ${x}`);
              if (failing.has(x)) throw new Error(`bad ${x}`);
              return x * 2;
            } finally {
              running--;
              unsettled--;
            }
          };
          const options = { concurrency: c.concurrency, stopOnError: c.stopOnError };
          let outcome: { ok: true; values: number[] } | { ok: false; error: unknown; values: number[] };
          let broke = false;
          if (c.stream) {
            const values: number[] = [];
            const reading = (async () => {
              for await (const v of pool.mapStream(source, fn, options)) {
                values.push(v);
                if (c.breakAfter !== undefined && values.length > c.breakAfter) {
                  broke = true;
                  break;
                }
              }
            })();
            const done = reading.then(
              () => ({ ok: true as const, values }),
              (error: unknown) => ({ ok: false as const, error, values }),
            );
            await s.waitFor(done);
            outcome = await done;
          } else {
            const done = pool.map(source, fn, options).then(
              (values) => ({ ok: true as const, values }),
              (error: unknown) => ({ ok: false as const, error, values: [] as number[] }),
            );
            await s.waitFor(done);
            outcome = await done;
          }
          await s.waitAll();
          await pool.stopAndWait();

          const expected = Array.from({ length: c.n }, (_, i) => i * 2);
          expect(maxUnsettled).toBeLessThanOrEqual(c.concurrency);
          expect(maxRunning).toBeLessThanOrEqual(Math.min(c.concurrency, c.maxWorkers));
          // What was yielded (or returned) is always a prefix of the expected results, minus failures when collecting.
          const successes = expected.filter((_, i) => !failing.has(i));
          if (failing.size === 0) {
            expect(outcome.values).toEqual(expected.slice(0, outcome.values.length));
          } else if (!c.stopOnError) {
            expect(outcome.values).toEqual(successes.slice(0, outcome.values.length));
          }
          if (failing.size === 0 && !broke) {
            expect(outcome).toEqual({ ok: true, values: expected });
          } else if (failing.size > 0 && !broke) {
            expect(outcome.ok).toBe(false);
            const error = (outcome as { error: unknown }).error;
            if (c.stopOnError) {
              expect(failing.has(Number((error as Error).message.slice(4)))).toBe(true);
            } else {
              expect(error).toBeInstanceOf(AggregateError);
              expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual(
                [...failing].sort((a, b) => a - b).map((i) => `bad ${i}`),
              );
              expect(outcome.values).toEqual(c.stream ? successes : []);
            }
          }
          // Closed exactly when ended before the source was exhausted.
          expect(closed).toBe(exhausted ? 0 : 1);
          const m = pool.metrics();
          expect(m.running + m.queued).toBe(0);
          expect(balanced(m)).toBe(true);
          expect(m.submitted).toBe(taken);
        },
      ),
      { numRuns: RUNS * 3, seed: 20261130 },
    );
  });
});

type Action = "none" | "stop" | "stopAndWait" | "abort" | "map" | "mapStream";
const action: fc.Arbitrary<Action> = fc.constantFrom("none", "none", "stop", "stopAndWait", "abort", "map", "mapStream");

describe("pool.map with re-entrant user code", () => {
  it("settles everything, starts nothing after an abort, closes the source at most once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 10 }),
          concurrency: fc.integer({ min: 1, max: 3 }),
          maxWorkers: fc.integer({ min: 1, max: 3 }),
          stream: fc.boolean(),
          stopOnError: fc.boolean(),
          inFn: fc.array(action, { minLength: 10, maxLength: 10 }),
          inNext: fc.array(action, { minLength: 11, maxLength: 11 }),
          onAbort: action,
          fail: fc.option(fc.nat(9), { nil: undefined }),
          slow: fc.boolean(),
        }),
        async (c) => {
          const pool = new Pool({ maxWorkers: c.maxWorkers, maxQueue: 2 });
          const ac = new AbortController();
          const pending: Promise<unknown>[] = [];
          let aborted = false;
          let startedAfterAbort = 0;
          let closed = 0;
          const act = (a: Action): void => {
            switch (a) {
              case "stop":
                pending.push(pool.stop());
                break;
              case "stopAndWait":
                pending.push(pool.stopAndWait());
                break;
              case "abort":
                ac.abort(new Error("aborted"));
                break;
              case "map":
                pending.push(pool.map([1, 2], (x) => x).catch(() => undefined));
                break;
              case "mapStream":
                pending.push(
                  (async () => {
                    for await (const v of pool.mapStream([1, 2, 3], (x) => x)) if (v === 2) break;
                  })().catch(() => undefined),
                );
                break;
              default:
            }
          };
          ac.signal.addEventListener("abort", () => {
            aborted = true;
            act(c.onAbort);
          });
          function* gen(): Generator<number> {
            try {
              for (let i = 0; i < c.n; i++) {
                act(c.inNext[i] as Action);
                yield i;
              }
            } finally {
              closed++;
            }
          }
          const fn = async (x: number, _i: number, signal: AbortSignal): Promise<number> => {
            if (aborted) startedAfterAbort++;
            act(c.inFn[x] as Action);
            // A macrotask turn, not a timer: the "pending" check below counts turns, so a timer due
            // after some wall time would race it on a loaded machine (it did, in a full run).
            if (c.slow) await new Promise((r) => setImmediate(r));
            signal.throwIfAborted();
            if (x === c.fail) throw new Error("bad");
            return x;
          };
          const options = { concurrency: c.concurrency, stopOnError: c.stopOnError, signal: ac.signal };
          let result: Promise<unknown>;
          if (c.stream) {
            result = (async () => {
              const out: number[] = [];
              for await (const v of pool.mapStream(gen(), fn, options)) out.push(v);
              return out;
            })();
          } else {
            result = pool.map(gen(), fn, options);
          }
          const settled = await Promise.race([
            result.then(
              () => "ok",
              () => "rejected",
            ),
            settle(200).then(() => "pending"),
          ]);
          expect(settled).not.toBe("pending");
          expect(startedAfterAbort).toBe(0);
          await Promise.race([Promise.allSettled(pending), settle(200)]);
          await pool.stop();
          expect(closed).toBe(1); // the generator's finally ran once: exhausted or closed
          const m = pool.metrics();
          expect(m.running + m.queued + m.blockedSubmitters).toBe(0);
          expect(balanced(m)).toBe(true);
        },
      ),
      { numRuns: RUNS, seed: 1130 },
    );
  });
});
