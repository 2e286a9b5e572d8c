/**
 * A job's signal aborts only for that job's own reasons (issue 11, item 3):
 * its signal, its timeout, its fail-fast group, the pool's signal. Cancelling
 * another job on the same worker never reaches it, however it kept the signal
 * (stored, or derived with AbortSignal.any).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
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

describe("a job's own signal is made when something first uses it", () => {
  /** Counts the AbortSignals made through AbortController (the signal is the costly part). */
  function countSignals(): { readonly made: number } {
    const counter = { made: 0 };
    const Real = globalThis.AbortController;
    class Counting extends Real {
      override get signal(): AbortSignal {
        counter.made++;
        return super.signal;
      }
    }
    vi.stubGlobal("AbortController", Counting);
    return counter;
  }
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("jobs of a pool with a signal that never touch theirs make none; jobs that do make one each", async () => {
    const shutdown = new AbortController();
    const pool = new Pool({ maxWorkers: 2, maxQueue: 100, signal: shutdown.signal });
    const counter = countSignals();
    await Promise.all(Array.from({ length: 50 }, (_, i) => pool.submit(() => i)));
    expect(counter.made).toBe(0);
    const seen = await Promise.all(Array.from({ length: 10 }, () => pool.submit((signal) => signal.aborted)));
    expect(seen).toEqual(Array.from({ length: 10 }, () => false));
    expect(counter.made).toBe(10);
    await pool.stop();
  });

  it("is a real AbortSignal to its users: instanceof, AbortSignal.any, listeners, throwIfAborted, Node's timers", async () => {
    const shutdown = new AbortController();
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4, signal: shutdown.signal });
    const reason = new Error("shutdown");
    const seen: unknown[] = [];
    const started = deferred();
    const job = pool.submit(async (signal) => {
      expect(signal).toBeInstanceOf(AbortSignal);
      const derived = AbortSignal.any([signal]);
      signal.addEventListener("abort", () => seen.push("listener"));
      signal.onabort = () => seen.push("onabort");
      signal.throwIfAborted();
      started.resolve();
      await sleep(60_000, undefined, { signal }).catch((e: unknown) => seen.push((e as Error).cause === reason ? "timer" : e));
      seen.push(derived.aborted && derived.reason === reason ? "derived" : "not derived");
      expect(() => signal.throwIfAborted()).toThrow(reason);
      return "finished";
    });
    await started.promise;
    shutdown.abort(reason);
    await expect(job).rejects.toBe(reason);
    await pool.stop();
    expect(seen).toEqual(["listener", "onabort", "timer", "derived"]);
  });

  it("a job cancelled before it touched its signal finds it aborted, with the reason, when it does", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4 });
    const ctl = new AbortController();
    const release = deferred();
    let late: { aborted: boolean; reason: unknown } | null = null;
    const job = pool.submit(async (signal) => {
      await release.promise;
      late = { aborted: signal.aborted, reason: signal.reason };
    }, { signal: ctl.signal });
    await settle();
    ctl.abort("gone");
    await expect(job).rejects.toBe("gone");
    release.resolve();
    await pool.stopAndWait();
    expect(late).toEqual({ aborted: true, reason: "gone" });
  });

  it("a finished job's stored, untouched signal never aborts later", async () => {
    const shutdown = new AbortController();
    const pool = new Pool({ maxWorkers: 1, maxQueue: 4, signal: shutdown.signal });
    let kept: AbortSignal | null = null;
    await pool.submit((signal) => {
      kept = signal; // stored without reading it: its AbortSignal is not made yet
    });
    const release = deferred();
    const later = pool.submit(() => release.promise).catch(() => "cancelled");
    await settle();
    shutdown.abort(new Error("shutdown"));
    expect(await later).toBe("cancelled");
    release.resolve();
    await pool.stop();
    const signal = kept as unknown as AbortSignal;
    expect(signal.aborted).toBe(false);
    const derived = AbortSignal.any([signal]);
    expect(derived.aborted).toBe(false);
  });
});

describe("where a Proxy may stand for a job's signal", () => {
  it("only on Node: browsers, Deno and Bun brand-check AbortSignal natively, so jobs there get the real one", async () => {
    const { proxyStandsIn } = await import("../src/signals.js");
    expect(proxyStandsIn(globalThis)).toBe(true); // these tests run on Node
    expect(proxyStandsIn({ process: { versions: { node: "20.19.0" } } })).toBe(true);
    expect(proxyStandsIn({})).toBe(false); // a browser: no process
    expect(proxyStandsIn({ process: { versions: { node: "22.0.0" } }, Deno: {} })).toBe(false);
    expect(proxyStandsIn({ process: { versions: { node: "22.6.0", bun: "1.2.0" } } })).toBe(false);
  });
});
