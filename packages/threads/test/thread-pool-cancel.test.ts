/**
 * Cancelling a running job, as documented: JavaScript cannot interrupt a
 * function, so the pool terminates the job's thread (and starts another on
 * demand). The job rejects at once with the reason; jobs handed to that
 * thread that had not started go back to the head of the queue and run; it
 * is not counted as a crash.
 */
import { ThreadPool, type JobEndEvent } from "@gochan/threads";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiJobs, type ApiJobs } from "./api-jobs.ts";
import { ensureBuilt } from "./helpers.ts";

let pool: ThreadPool<ApiJobs> | null = null;
beforeAll(() => ensureBuilt());
afterEach(async () => {
  await pool?.stop();
  pool = null;
});

describe("cancelling a running job", () => {
  it("terminates its thread; jobs behind it on that thread run on a new one; not a crash", async () => {
    const ends: JobEndEvent[] = [];
    const p = (pool = new ThreadPool<ApiJobs>({ module: apiJobs, maxThreads: 1, depth: 4, onEvent: (e) => void (e.type === "end" && ends.push(e)) }));
    await p.submit("add", [0, 0]); // the thread is up
    const ac = new AbortController();
    const endless = p.submit("spin", [600_000], { signal: ac.signal });
    const behind = [p.submit("add", [1, 1]), p.submit("add", [2, 2])]; // handed to the same thread, not started
    await new Promise((r) => setTimeout(r, 200));
    ac.abort(new Error("cancelled by the caller"));
    await expect(endless).rejects.toThrow("cancelled by the caller");
    expect(await Promise.all(behind)).toEqual([2, 4]);
    expect(p.metrics()).toMatchObject({ crashed: 0, cancelled: 1, succeeded: 3, threads: 1 });
    await p.stopAndWait();
    expect(ends.find((e) => e.job.id === 2)).toMatchObject({ outcome: "cancelled", started: true });
  });

  it("a timeout terminates it too and counts it as failed", async () => {
    const p = (pool = new ThreadPool<ApiJobs>({ module: apiJobs, maxThreads: 1 }));
    await p.submit("add", [0, 0]);
    await expect(p.submit("spin", [600_000], { timeout: 200 })).rejects.toThrow(/timed out after 200 ms/);
    expect(await p.submit("add", [1, 2])).toBe(3);
    expect(p.metrics()).toMatchObject({ failed: 1, crashed: 0 });
  });
});
