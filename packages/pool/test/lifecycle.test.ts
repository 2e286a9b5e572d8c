/**
 * Every job settles exactly once, whatever user code runs in between (abort
 * listeners, onEvent, onError): regression tests for issue 11, items 1, 2, 4
 * and 5. Each case re-enters the pool from user code called in the middle of
 * a transition.
 */
import { describe, expect, it } from "vitest";
import { Pool, PoolStoppedError, JobTimeoutError, type PoolEvent } from "@gochan/pool";
import { balanced, deferred, observe, settle } from "./helpers.js";

/** Counts end events per job id. */
function endCounter(): { onEvent: (e: PoolEvent) => void; ends: Map<number, number> } {
  const ends = new Map<number, number>();
  return {
    ends,
    onEvent: (e) => {
      if (e.type === "end") ends.set(e.job.id, (ends.get(e.job.id) ?? 0) + 1);
    },
  };
}

describe("a running job settles once when an abort listener re-enters the pool", () => {
  it("a timeout whose abort listener aborts the pool's signal: one outcome (failed)", async () => {
    const shutdown = new AbortController();
    const { onEvent, ends } = endCounter();
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4, signal: shutdown.signal, onEvent });
    const release = deferred();
    const p = observe(
      pool.submit(
        async (signal) => {
          signal.addEventListener("abort", () => shutdown.abort(new Error("listener")));
          await release.promise;
        },
        { timeout: 1 },
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    await settle();
    release.resolve();
    await pool.stop();
    const m = pool.metrics();
    expect(p.current.state).toBe("rejected");
    expect((p.current as { reason: unknown }).reason).toBeInstanceOf(JobTimeoutError);
    expect([m.submitted, m.failed, m.cancelled]).toEqual([1, 1, 0]);
    expect(balanced(m)).toBe(true);
    expect([...ends.values()]).toEqual([1]);
  });

  it("a cancelled running job whose abort listener aborts the pool's signal: one outcome (cancelled)", async () => {
    const shutdown = new AbortController();
    const { onEvent, ends } = endCounter();
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4, signal: shutdown.signal, onEvent });
    const own = new AbortController();
    const release = deferred();
    const started = deferred();
    const p = observe(
      pool.submit(
        async (signal) => {
          signal.addEventListener("abort", () => shutdown.abort(new Error("listener")));
          started.resolve();
          await release.promise;
        },
        { signal: own.signal },
      ),
    );
    await started.promise;
    own.abort(new Error("cancel"));
    release.resolve();
    await pool.stop();
    await settle();
    const m = pool.metrics();
    expect(p.current.state).toBe("rejected");
    expect([m.submitted, m.cancelled, m.failed]).toEqual([1, 1, 0]);
    expect(balanced(m)).toBe(true);
    expect([...ends.values()]).toEqual([1]);
  });

  it("a group's only job timing out with a re-entrant listener: wait() settles", async () => {
    const shutdown = new AbortController();
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4, signal: shutdown.signal });
    const group = pool.group<void>();
    const release = deferred();
    await group.submit(
      async (signal) => {
        signal.addEventListener("abort", () => shutdown.abort(new Error("listener")));
        await release.promise;
      },
      { timeout: 1 },
    );
    const w = observe(group.wait());
    await new Promise((resolve) => setTimeout(resolve, 5));
    await settle();
    release.resolve();
    await pool.stop();
    await settle();
    expect(w.current.state).toBe("rejected");
    const m = pool.metrics();
    expect([m.submitted, m.failed, m.cancelled]).toEqual([1, 1, 0]);
  });

  it("a fail-fast group whose failure re-enters from an abort listener counts each job once", async () => {
    const shutdown = new AbortController();
    const { onEvent, ends } = endCounter();
    const pool = new Pool({ maxWorkers: 2, maxQueue: 4, signal: shutdown.signal, onEvent });
    const group = pool.group<void>({ failFast: true });
    const release = deferred();
    const fail = deferred();
    await group.submit(async (signal) => {
      signal.addEventListener("abort", () => shutdown.abort(new Error("listener")));
      await release.promise;
    });
    await group.submit(async () => {
      await fail.promise;
      throw new Error("boom");
    });
    const w = observe(group.wait());
    await settle();
    fail.resolve();
    await settle();
    release.resolve();
    await pool.stop();
    await settle();
    const m = pool.metrics();
    expect(w.current.state).toBe("rejected");
    expect([m.submitted, m.failed, m.cancelled]).toEqual([2, 1, 1]);
    expect(balanced(m)).toBe(true);
    expect([...ends.values()]).toEqual([1, 1]);
  });

  it("an onEvent hook that cancels jobs while stop() drops them: one outcome each", async () => {
    const ctls = [new AbortController(), new AbortController(), new AbortController()];
    const ends = new Map<number, number>();
    const pool = new Pool({
      maxWorkers: 1,
      maxQueue: 4,
      onEvent: (e) => {
        if (e.type !== "end") return;
        ends.set(e.job.id, (ends.get(e.job.id) ?? 0) + 1);
        for (const c of ctls) c.abort(new Error("from the hook"));
      },
    });
    const release = deferred();
    const first = observe(pool.submit(() => release.promise));
    const rest = ctls.map((c) => observe(pool.submit(() => 1, { signal: c.signal })));
    await settle();
    const stopped = pool.stop();
    release.resolve();
    await stopped;
    await settle();
    const m = pool.metrics();
    expect(first.current.state).toBe("fulfilled");
    for (const r of rest) expect(r.current.state).toBe("rejected");
    expect(m.submitted).toBe(4);
    expect(m.dropped + m.cancelled).toBe(3);
    expect(balanced(m)).toBe(true);
    expect([...ends.values()]).toEqual([1, 1, 1, 1]);
  });
});

describe("cancellation from inside the job-start event", () => {
  it("reaches the job's signal: the function sees it aborted", async () => {
    const ctl = new AbortController();
    let seen: boolean | null = null;
    const pool = new Pool({
      maxWorkers: 1,
      maxQueue: 4,
      onEvent: (e) => {
        if (e.type === "start") ctl.abort(new Error("cancelled at start"));
      },
    });
    const p = observe(
      pool.submit(
        (signal) => {
          seen = signal.aborted;
        },
        { signal: ctl.signal },
      ),
    );
    await settle();
    await pool.stop();
    expect(p.current.state).toBe("rejected");
    // Either the function never ran, or it ran with its signal already aborted.
    expect(seen === null || seen).toBe(true);
    expect(pool.metrics().cancelled).toBe(1);
  });
});

describe("stop() and fail-fast groups", () => {
  it("stop() dropping a queued job of a fail-fast group lets the group's running job finish unaborted", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
    const group = pool.group<number>({ failFast: true });
    const release = deferred();
    let aborted: boolean | null = null;
    await group.submit(async (signal) => {
      await release.promise;
      aborted = signal.aborted;
      return 1;
    });
    await group.submit(() => 2);
    await settle();
    const w = observe(group.wait());
    const stopped = pool.stop();
    await settle();
    expect(w.current.state).toBe("pending"); // its running job is not cancelled
    release.resolve();
    await stopped;
    await settle();
    expect(aborted).toBe(false);
    expect(w.current.state).toBe("rejected");
    expect((w.current as { reason: unknown }).reason).toBeInstanceOf(PoolStoppedError);
    const m = pool.metrics();
    expect([m.succeeded, m.dropped, m.cancelled]).toEqual([1, 1, 0]);
  });
});

describe("group.submit on a stopped pool", () => {
  it("counts in size and in wait() (collect)", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
    const group = pool.group<number>();
    await group.submit(() => 1);
    await pool.stopAndWait();
    await expect(group.submit(() => 2)).rejects.toBeInstanceOf(PoolStoppedError);
    expect(group.size).toBe(2);
    const e = await group.wait().then(
      () => null,
      (error: unknown) => error,
    );
    expect(e).toBeInstanceOf(AggregateError);
    expect((e as AggregateError).errors[0]).toBeInstanceOf(PoolStoppedError);
  });

  it("fails a fail-fast group", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
    const group = pool.group<number>({ failFast: true });
    await pool.stop();
    await expect(group.submit(() => 2)).rejects.toBeInstanceOf(PoolStoppedError);
    expect(group.size).toBe(1);
    await expect(group.wait()).rejects.toBeInstanceOf(PoolStoppedError);
  });
});
