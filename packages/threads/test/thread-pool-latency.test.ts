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
});
