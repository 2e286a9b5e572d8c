/**
 * A result a thread publishes without ringing the bell (more jobs queued
 * behind it) must still reach its caller within about RESULT_POLL_MS, even
 * when the pool went to sleep before that thread raised UNRUNG. The pool's
 * watchdog is set to an hour here, so a result left to it fails the test by
 * timing out instead of arriving a second late.
 */
import { ThreadPool } from "@gochan/threads";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { ensureBuilt } from "./helpers.ts";

vi.mock("../src/protocol.ts", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../src/protocol.ts")>()),
  WATCHDOG_MS: 3_600_000,
}));

interface Jobs {
  add(a: number, b: number): number;
  gate(path: string): string;
  spin(ms: number): number;
}

const module = new URL("./fixtures/jobs.mjs", import.meta.url);
let pool: ThreadPool<Jobs> | null = null;

beforeAll(() => ensureBuilt());
afterEach(async () => {
  await pool?.stop();
  pool = null;
});

describe("ThreadPool: a result published without a bell", () => {
  it("reaches its caller while the job behind it on the same thread is still blocked, with the pool asleep before the flag was raised", async () => {
    const p = (pool = new ThreadPool<Jobs>({ module, maxThreads: 1 }));
    await p.submit("add", [0, 0]); // the thread is up; the pool's pump sleeps with nothing unrung
    const dir = mkdtempSync(join(tmpdir(), "gochan-gate-"));
    // `blocker` holds the thread until all three are in its ring, so `blocker`
    // and `first` are both reported with a job still queued behind them.
    const blocker = p.submit("gate", [join(dir, "blocker")]);
    const first = p.submit("add", [1, 2]);
    const held = p.submit("gate", [join(dir, "held")]);
    let heldSettled = false;
    void held.then(
      () => (heldSettled = true),
      () => (heldSettled = true),
    );
    onTestFinished(() => {
      writeFileSync(join(dir, "blocker"), "");
      writeFileSync(join(dir, "held"), ""); // lets stop() finish if an expectation failed
    });
    writeFileSync(join(dir, "blocker"), "");
    expect(await blocker).toBe("opened");
    expect(await first).toBe(3);
    expect(heldSettled).toBe(false);
    writeFileSync(join(dir, "held"), "");
    expect(await held).toBe("opened");
  }, 20_000);

  it("a burst long enough to stretch the poll interval to its longest loses no result, and a lone job after it still rings", async () => {
    // 1 ms jobs, 16 per ring: each poll finds a few results per thread with
    // most of the ring still queued, so the interval doubles up to POLL_MS_MAX.
    const p = (pool = new ThreadPool<Jobs>({ module, maxThreads: 2, depth: 16, maxQueue: Infinity }));
    const burst = await Promise.all(Array.from({ length: 300 }, () => p.submit("spin", [1])));
    expect(burst.reduce((a, b) => a + b, 0)).toBe(300);
    expect(await p.submit("add", [20, 22])).toBe(42);
    // And again with jobs still queued behind a blocked one, after the stretch.
    const dir = mkdtempSync(join(tmpdir(), "gochan-gate-"));
    onTestFinished(() => writeFileSync(join(dir, "open"), ""));
    const behind = Array.from({ length: 40 }, (_, i) => p.submit("add", [i, 1]));
    const blocked = p.submit("gate", [join(dir, "open")]);
    expect((await Promise.all(behind)).reduce((a, b) => a + b, 0)).toBe(820);
    writeFileSync(join(dir, "open"), "");
    expect(await blocked).toBe("opened");
    expect(p.metrics().succeeded).toBe(342);
  }, 30_000);
});
