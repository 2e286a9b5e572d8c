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
});
