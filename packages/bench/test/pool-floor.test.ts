// The pool floors are the yardsticks of the pool targets, so each must keep the
// contract of the rows it is compared with: FloorPool a promise per job (every
// job's own result or error, at most `workers` running, started in submission
// order), floorMap a batch (every result in index order, at most `workers`
// running), FloorGroup a batch submitted job by job (submit resolves once the
// job is in a queue of bounded size; every result in submission order).
// Job completions are interleaved by fc.scheduler().
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FloorGroup, FloorPool, floorMap } from "../src/pool-floor.ts";

describe("FloorPool", () => {
  it("settles every job with its own result or error, never runs more than `workers`, and starts jobs in submission order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }),
        async (s, workers, fails) => {
          const pool = new FloorPool(workers);
          let running = 0;
          let most = 0;
          const started: number[] = [];
          const outcomes = fails.map((fail, i) =>
            pool
              .submit(async () => {
                started.push(i);
                most = Math.max(most, ++running);
                await s.schedule(Promise.resolve(), `job ${i}`);
                running--;
                if (fail) throw new Error(`job ${i}`);
                return i * 2;
              })
              .then(
                (v) => ({ ok: true, v }),
                (e: unknown) => ({ ok: false, v: (e as Error).message }),
              ),
          );
          expect(pool.active).toBe(Math.min(workers, fails.length));
          expect(pool.waiting).toBe(Math.max(0, fails.length - workers));
          const settled = await s.waitFor(Promise.all(outcomes));
          expect(settled).toEqual(fails.map((fail, i) => (fail ? { ok: false, v: `job ${i}` } : { ok: true, v: i * 2 })));
          expect(most).toBeLessThanOrEqual(workers);
          expect(started).toEqual(fails.map((_, i) => i));
          expect(pool.active).toBe(0);
          expect(pool.waiting).toBe(0);
        },
      ),
      { seed: 15_04, numRuns: 100 },
    );
  });

  it("a submit meeting an idle worker starts the job at once (the idle-worker path), and the pool is reusable once drained", async () => {
    const pool = new FloorPool(1);
    let ran = 0;
    const first = pool.submit(async () => ++ran);
    expect(ran).toBe(1);
    await first;
    expect(await pool.submit(async () => ++ran)).toBe(2);
    expect(pool.active).toBe(0);
  });

  it("names a bad worker count", () => {
    expect(() => new FloorPool(0)).toThrow(new RangeError("FloorPool: workers must be a positive integer, got 0"));
    expect(() => new FloorPool(1.5)).toThrow(RangeError);
  });
});

describe("floorMap", () => {
  it("returns every result in index order with at most `workers` running, whatever order jobs finish in", async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 20 }), async (s, workers, count) => {
        let running = 0;
        let most = 0;
        const results = floorMap(count, workers, async (i) => {
          most = Math.max(most, ++running);
          await s.schedule(Promise.resolve(), `job ${i}`);
          running--;
          return i * 2;
        });
        expect(await s.waitFor(results)).toEqual(Array.from({ length: count }, (_, i) => i * 2));
        expect(most).toBeLessThanOrEqual(workers);
      }),
      { seed: 15_04, numRuns: 100 },
    );
  });

  it("rejects with a job's error, and takes no job after it", async () => {
    const taken: number[] = [];
    const run = floorMap(10, 2, async (i) => {
      taken.push(i);
      if (i === 1) throw new Error("job 1");
      await new Promise((resolve) => setImmediate(resolve));
      return i;
    });
    await expect(run).rejects.toThrow("job 1");
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(taken).toEqual([0, 1]);
  });
});

describe("FloorGroup", () => {
  it("gives every result in submission order, runs at most `workers`, and holds at most `capacity` jobs waiting", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 20 }),
        async (s, workers, capacity, count) => {
          const group = new FloorGroup<number>(workers, capacity);
          let running = 0;
          let most = 0;
          let submitted = 0;
          let started = 0;
          let mostWaiting = 0;
          const produce = async (): Promise<void> => {
            for (let i = 0; i < count; i++) {
              await group.submit(async () => {
                started++;
                most = Math.max(most, ++running);
                await s.schedule(Promise.resolve(), `job ${i}`);
                running--;
                return i * 2;
              });
              submitted++;
              // Jobs whose submit resolved and that have not started yet.
              mostWaiting = Math.max(mostWaiting, submitted - started);
            }
          };
          await s.waitFor(produce());
          expect(await s.waitFor(group.wait())).toEqual(Array.from({ length: count }, (_, i) => i * 2));
          expect(most).toBeLessThanOrEqual(workers);
          expect(mostWaiting).toBeLessThanOrEqual(capacity);
        },
      ),
      { seed: 15_04, numRuns: 100 },
    );
  });
});
