/**
 * A job's signal aborts only for that job's own reasons (issue 11, item 3):
 * its signal, its timeout, its fail-fast group, the pool's signal. Cancelling
 * another job on the same worker never reaches it, however it kept the signal
 * (stored, or derived with AbortSignal.any).
 */
import { describe, expect, it } from "vitest";
import { Pool } from "@gochan/pool";
import { deferred, settle } from "./helpers.js";

describe("a finished job's signal is its own", () => {
  it("cancelling a later job on the same worker (the pool's signal) does not abort it", async () => {
    const shutdown = new AbortController();
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4, signal: shutdown.signal });
    let kept: AbortSignal | null = null;
    let derived: AbortSignal | null = null;
    await pool.submit((signal) => {
      kept = signal;
      derived = AbortSignal.any([signal]);
    });
    const release = deferred();
    const later = pool.submit(() => release.promise).catch(() => "cancelled");
    await settle();
    shutdown.abort(new Error("shutdown"));
    expect(await later).toBe("cancelled");
    release.resolve();
    await pool.stop();
    expect((kept as unknown as AbortSignal).aborted).toBe(false);
    expect((derived as unknown as AbortSignal).aborted).toBe(false);
  });

  it("a failing fail-fast group does not abort the stored signal of an earlier job of another group", async () => {
    // Two workers: the earlier job's worker runs the group's slow job while the other fails.
    const pool = new Pool({ maxWorkers: 2, maxQueue: 4 });
    const other = pool.group<void>({ failFast: true });
    let derived: AbortSignal | null = null;
    await other.submit((signal) => {
      derived = AbortSignal.any([signal]);
    });
    await other.wait();
    const group = pool.group<void>({ failFast: true });
    const release = deferred();
    await group.submit(async (signal) => {
      await release.promise;
      signal.throwIfAborted();
    });
    await group.submit(() => {
      throw new Error("boom");
    });
    await settle();
    release.resolve();
    await expect(group.wait()).rejects.toThrow();
    await pool.stop();
    expect((derived as unknown as AbortSignal).aborted).toBe(false);
  });

  it("a job cancelled while running aborts its own signal with the reason", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
    const ctl = new AbortController();
    const started = deferred<AbortSignal>();
    const p = pool.submit((signal) => {
      started.resolve(signal);
      return new Promise(() => {});
    }, { signal: ctl.signal });
    const signal = await started.promise;
    const reason = new Error("stop it");
    ctl.abort(reason);
    await expect(p).rejects.toBe(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    void pool.stop();
  });

  it("jobs that nothing can cancel get a signal that never aborts and keeps no listener", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
    const signals: AbortSignal[] = [];
    let calls = 0;
    for (let i = 0; i < 3; i++) {
      await pool.submit((signal) => {
        signals.push(signal);
        signal.addEventListener("abort", () => calls++, { once: true });
      });
    }
    await pool.stop();
    for (const s of signals) expect(s.aborted).toBe(false);
    expect(calls).toBe(0);
  });
});

describe("the jobs of a fail-fast group", () => {
  it("receive the group's signal, which aborts only once the group's other jobs are settled", async () => {
    const pool = new Pool({ maxWorkers: 2, maxQueue: 4 });
    const group = pool.group<void>({ failFast: true });
    const fail = deferred();
    let received: AbortSignal | null = null;
    let cancelledWhenAborted = -1;
    await group.submit(async (signal) => {
      received = signal;
      signal.addEventListener("abort", () => (cancelledWhenAborted = pool.metrics().cancelled));
      await new Promise((resolve) => signal.addEventListener("abort", resolve));
    });
    await group.submit(async () => {
      await fail.promise;
      throw new Error("boom");
    });
    await settle();
    expect(received).toBe(group.signal);
    fail.resolve();
    await expect(group.wait()).rejects.toThrow("boom");
    expect(cancelledWhenAborted).toBe(1);
    await pool.stop();
  });
});
