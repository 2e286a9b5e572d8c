/**
 * `Atomics.waitAsync`, or a polling stand-in where the platform lacks it
 * (Firefox before 145, Safari before 16.4, Chrome before 90; Node, Deno and
 * current browsers have it). The stand-in re-reads the word on a timer
 * (1 ms, doubling to 16 ms) and resolves "ok" once it differs; it cannot see an
 * `Atomics.notify` that leaves the word unchanged (an abort, a promise case, a
 * thread's death), so it also resolves "timed-out" after about 60 ms, and the
 * caller re-checks under its locks as it does after any wake-up. So it is
 * correct, with wake-ups up to 16 ms late (60 ms for those notifies) and a
 * parked operation polling while it waits: a fallback, not a peer.
 *
 * @module
 */

/** What `Atomics.waitAsync(i32, index, value)` returns. */
export type WaitAsyncResult = { async: false; value: "not-equal" | "timed-out" } | { async: true; value: Promise<"ok" | "timed-out"> };

/** Atomics.waitAsync's signature (ES2024), typed here so the package builds against ES2022 libs. */
export type WaitAsync = (i32: Int32Array, index: number, value: number) => WaitAsyncResult;

const native = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** The longest the stand-in waits before a spurious "timed-out" wake-up, in ms. */
export const POLL_CAP_MS = 60;

/** The polling stand-in (exported for its tests; use {@link waitAsync}). */
export function pollWaitAsync(i32: Int32Array, index: number, value: number): WaitAsyncResult {
  if (Atomics.load(i32, index) !== value) return { async: false, value: "not-equal" };
  return {
    async: true,
    value: new Promise((resolve) => {
      let delay = 1;
      let waited = 0;
      const poll = (): void => {
        if (Atomics.load(i32, index) !== value) return resolve("ok");
        if (waited >= POLL_CAP_MS) return resolve("timed-out");
        waited += delay;
        setTimeout(poll, delay);
        delay = Math.min(2 * delay, 16);
      };
      setTimeout(poll, 0);
    }),
  };
}

/** The platform's Atomics.waitAsync, or the polling stand-in. */
export const waitAsync: WaitAsync = native ?? pollWaitAsync;

/** Whether this thread polls (no native Atomics.waitAsync). */
export const polling: boolean = native === undefined;
