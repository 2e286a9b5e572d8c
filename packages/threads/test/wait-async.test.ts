import { describe, expect, it, vi } from "vitest";
import { POLL_CAP_MS, pollWaitAsync } from "../src/wait-async.ts";

describe("the polling stand-in for Atomics.waitAsync", () => {
  it("answers not-equal at once when the word already differs", () => {
    const i32 = new Int32Array(new SharedArrayBuffer(8));
    i32[1] = 5;
    expect(pollWaitAsync(i32, 1, 4)).toEqual({ async: false, value: "not-equal" });
  });

  it("resolves ok once the word changes, and not before", async () => {
    vi.useFakeTimers();
    try {
      const i32 = new Int32Array(new SharedArrayBuffer(8));
      const w = pollWaitAsync(i32, 0, 0);
      expect(w.async).toBe(true);
      let result: string | null = null;
      if (w.async) void w.value.then((v) => (result = v));
      await vi.advanceTimersByTimeAsync(10);
      expect(result).toBe(null);
      Atomics.store(i32, 0, 1);
      await vi.advanceTimersByTimeAsync(16);
      expect(result).toBe("ok");
    } finally {
      vi.useRealTimers();
    }
  });

  it("resolves timed-out after its cap, so a notify that left the word unchanged is seen by the re-check", async () => {
    vi.useFakeTimers();
    try {
      const i32 = new Int32Array(new SharedArrayBuffer(8));
      const w = pollWaitAsync(i32, 0, 0);
      let result: string | null = null;
      if (w.async) void w.value.then((v) => (result = v));
      await vi.advanceTimersByTimeAsync(POLL_CAP_MS - 20);
      expect(result).toBe(null);
      await vi.advanceTimersByTimeAsync(40);
      expect(result).toBe("timed-out");
      expect(vi.getTimerCount()).toBe(0); // no poll left running
    } finally {
      vi.useRealTimers();
    }
  });
});
