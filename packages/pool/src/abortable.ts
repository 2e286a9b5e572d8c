/**
 * Waits that the caller can stop waiting for: `Group.wait`, `pool.stop` /
 * `stopAndWait`, and the seed's `Worker.stop` / `Dispatcher.stop` take a
 * signal. Aborting it rejects the wait with the signal's reason; whatever was
 * being waited for carries on (the pool keeps draining, the group's jobs keep
 * running), and a later wait can still see it finish.
 *
 * @internal
 * @module
 */
import { checkObject, checkSignal } from "./options.js";

/**
 * Options of a wait that may block: `group.wait`, `pool.stop`,
 * `pool.stopAndWait`, `worker.stop`, `dispatcher.stop`.
 *
 * @example
 * ```ts
 * import { Pool, type WaitOptions } from "@gochan/pool";
 * const pool = new Pool({ maxWorkers: 2, maxQueue: 10 });
 * const options: WaitOptions = { signal: AbortSignal.timeout(10_000) };
 * await pool.stopAndWait(options).catch(() => console.log("still draining after 10 s"));
 * ```
 */
export interface WaitOptions {
  /**
   * Stops waiting: the returned promise rejects with the signal's reason (at
   * once if it is already aborted). Only the wait ends; what it waited for
   * carries on.
   * @defaultValue undefined (wait until done)
   */
  signal?: AbortSignal | undefined;
}

/** The signal of a wait's options, validated (null if none). */
export function waitSignal(where: string, options: WaitOptions | undefined): AbortSignal | null {
  checkObject(where, "options", options);
  return checkSignal(where, options?.signal);
}

/** `done`, or its rejection with the signal's reason once the signal aborts, whichever comes first. */
export function abortable<T>(done: Promise<T>, signal: AbortSignal | null): Promise<T> {
  if (signal === null) return done;
  if (signal.aborted) {
    done.catch(ignore);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    done.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function ignore(): void {}
