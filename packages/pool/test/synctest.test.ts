/**
 * The pool inside a synctest bubble: a job's timeout runs on core's clock, so a
 * bubble makes it virtual. A one-hour timeout fires as soon as every task is
 * blocked, at exactly one virtual hour, without a real hour or fake timers.
 */
import { sleep } from "@gochan/core";
import * as synctest from "@gochan/core/testing";
import { describe, expect, it } from "vitest";
import { JobTimeoutError, Pool } from "../src/index.js";

const HOUR = 3_600_000;

describe("a pool in a synctest bubble", () => {
  it("times a job out on the bubble's virtual clock", async () => {
    let outcome: unknown = null;
    let elapsed = -1;
    await synctest.test(async () => {
      const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
      const start = synctest.now().getTime();
      try {
        // The job waits two virtual hours; its timeout is one.
        await pool.submit((signal) => sleep(2 * HOUR, signal), { timeout: HOUR });
        outcome = "finished";
      } catch (e) {
        outcome = e;
      }
      elapsed = synctest.now().getTime() - start;
      await pool.stopAndWait();
    });
    expect(outcome).toBeInstanceOf(JobTimeoutError);
    expect(elapsed).toBe(HOUR);
  });

  it("cancels the timeout of a job that finished first (no timer fires later)", async () => {
    let result: unknown = null;
    let after = -1;
    await synctest.test(async () => {
      const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
      const start = synctest.now().getTime();
      result = await pool.submit(async () => {
        await sleep(1000);
        return "done";
      }, { timeout: HOUR });
      await pool.stopAndWait();
      // Nothing is left armed: a wait here returns at once, at the same instant.
      await synctest.wait();
      after = synctest.now().getTime() - start;
    });
    expect(result).toBe("done");
    expect(after).toBe(1000);
  });

  it("counts a timeout from the job's start, not from its submission: no clock stepping, no guessing", async () => {
    let failedAt = -1;
    let error: unknown = null;
    let reason: unknown = null;
    await synctest.test(async () => {
      const pool = new Pool({ maxWorkers: 1, maxQueue: 2 });
      const start = synctest.now().getTime();
      void pool.submit(() => sleep(1000)); // holds the only worker for one virtual second
      await pool
        .submit(
          async (signal) => {
            signal.addEventListener("abort", () => (reason = signal.reason));
            await sleep(HOUR, signal).catch(() => undefined);
          },
          { timeout: 100 },
        )
        .catch((e: unknown) => {
          error = e;
          failedAt = synctest.now().getTime() - start;
        });
      await pool.stopAndWait();
    });
    expect(error).toBeInstanceOf(JobTimeoutError);
    expect(reason).toBe(error);
    expect(failedAt).toBe(1100); // queued 1,000 ms, then timed out 100 ms after it started
  });
});
