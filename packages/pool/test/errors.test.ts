import { describe, expect, it } from "vitest";
import { JobTimeoutError, Pool, PoolError, PoolStoppedError, QueueFullError } from "@gochan/pool";
import { deferred } from "./helpers.js";

describe("errors", () => {
  it("are classes under PoolError, named after themselves, usable with instanceof", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const stall = deferred();
    void pool.submit(() => stall.promise);
    const queued = pool.submit(() => 1).catch((e: unknown) => e);
    let full: unknown;
    try {
      void pool.trySubmit(() => 2);
    } catch (e) {
      full = e;
    }
    expect(full).toBeInstanceOf(QueueFullError);
    expect(full).toBeInstanceOf(PoolError);
    expect(full).toBeInstanceOf(Error);
    expect((full as QueueFullError).name).toBe("QueueFullError");
    expect((full as QueueFullError).maxQueue).toBe(1);
    expect((full as Error).message).toBe("pool queue is full: 1 job(s) queued of maxQueue 1");

    stall.resolve();
    const stopping = pool.stop();
    expect(await queued).toBeInstanceOf(PoolStoppedError);
    expect(((await queued) as Error).message).toBe("job 2 dropped: the pool was stopped before it ran");
    const after = await pool.submit(() => 1).catch((e: unknown) => e);
    expect(after).toBeInstanceOf(PoolStoppedError);
    expect((after as Error).message).toBe("submit: the pool is stopped");
    expect((after as Error).name).toBe("PoolStoppedError");
    await stopping;
  });

  it("JobTimeoutError carries the timeout and names the job", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const release = deferred();
    const e = await pool.submit(() => release.promise, { timeout: 1 }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(JobTimeoutError);
    expect((e as JobTimeoutError).timeout).toBe(1);
    expect((e as Error).message).toBe("job 1 timed out after 1 ms");
    release.resolve();
    await pool.stop();
  });
});
