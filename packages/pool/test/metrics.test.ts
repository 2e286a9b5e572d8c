import { describe, expect, it } from "vitest";
import { Pool, PoolStoppedError, type JobEndEvent, type PoolEvent } from "@gochan/pool";
import { balanced, gate, settle } from "./helpers.js";

describe("metrics", () => {
  it("a snapshot is a plain copy; workers start on demand; idle counts live workers without a job", async () => {
    const pool = new Pool({ maxWorkers: 4, maxQueue: 4 });
    const before = pool.metrics();
    expect(before).toMatchObject({ running: 0, idle: 0, maxWorkers: 4, maxQueue: 4 });
    const g = gate();
    const p = pool.submit(g.job);
    expect(before.running).toBe(0); // not a live view
    expect(pool.metrics()).toMatchObject({ running: 1, idle: 0 });
    g.release();
    await p;
    await settle();
    expect(pool.metrics()).toMatchObject({ running: 0, idle: 1 }); // one worker was ever needed
    await pool.stop();
    expect(pool.metrics()).toMatchObject({ running: 0, idle: 0 });
  });

  it("counters add up once drained, across every outcome", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 2, onError: () => undefined });
    const g = gate();
    const all: Promise<unknown>[] = [pool.submit(g.job), pool.submit(g.job)];
    all.push(pool.submit(() => 1), pool.submit(() => { throw new Error("x"); }));
    const ac = new AbortController();
    all.push(pool.submit(() => 2, { signal: ac.signal }).catch(() => "cancelled"));
    all.push(pool.submit(() => 3).catch(() => "dropped"));
    ac.abort();
    pool.go(() => undefined);
    const m0 = pool.metrics();
    expect(m0).toMatchObject({ submitted: 7, cancelled: 1, blockedSubmitters: 2, queued: 2 });
    g.release();
    await Promise.allSettled(all);
    await pool.stopAndWait();
    const m = pool.metrics();
    expect(m).toMatchObject({ submitted: 7, succeeded: 5, failed: 1, cancelled: 1, dropped: 0, completed: 6 });
    expect(balanced(m)).toBe(true);
  });

  it("end events carry the error for failed, cancelled and dropped jobs, and none for succeeded ones", async () => {
    const ends: JobEndEvent[] = [];
    const pool = new Pool({
      maxWorkers: 1,
      maxQueue: 1,
      onEvent: (e: PoolEvent) => {
        if (e.type === "end") ends.push(e);
      },
    });
    const g = gate();
    const boom = new Error("boom");
    const all = [pool.submit(g.job), pool.submit(() => { throw boom; }).catch(() => undefined), pool.submit(() => 3).catch(() => undefined)];
    const stopped = pool.stop();
    g.release();
    await Promise.all([...all, stopped]);
    expect(ends.map((e) => [e.job.id, e.outcome, e.started, "error" in e])).toEqual([
      [2, "dropped", false, true],
      [3, "dropped", false, true],
      [1, "succeeded", true, false],
    ]);
    expect(ends[0]?.error).toBeInstanceOf(PoolStoppedError);
    const pool2 = new Pool({ maxWorkers: 1, maxQueue: 1, onEvent: (e) => void (e.type === "end" && ends.push(e)) });
    await pool2.submit(() => { throw boom; }).catch(() => undefined);
    expect(ends.at(-1)).toMatchObject({ outcome: "failed", started: true, error: boom });
    await pool2.stop();
  });
});
