/**
 * The ways a bubble's test fails on its own account (besides the errors the
 * test's function throws).
 *
 * @module
 */

/**
 * Every task in the bubble is blocked, no timer is pending, and the bubble's
 * function has not returned: nothing can ever wake it. The message is run()'s
 * deadlock report with Go's synctest first line: each blocked channel
 * operation, where it blocked, and the `go()` tasks still running with where
 * they were created.
 *
 * @example
 * ```ts
 * import { Chan } from "@gochan/core";
 * import * as synctest from "@gochan/core/testing";
 * try {
 *   await synctest.test(async () => {
 *     await new Chan<number>().recv(); // nobody sends
 *   });
 * } catch (e) {
 *   console.log(e instanceof synctest.DeadlockError); // true
 *   console.log((e as Error).message.split("\n")[0]);
 *   // "deadlock: all goroutines in bubble are blocked"
 * }
 * ```
 */
export class DeadlockError extends Error {
  /** How many channel operations were blocked. */
  readonly blocked: number;

  /** @internal */
  constructor(report: string, blocked: number) {
    super(report);
    this.name = "DeadlockError";
    this.blocked = blocked;
  }
}

/**
 * The bubble's function returned while tasks it started were still alive:
 * blocked on a channel operation or a timer, or `go()` tasks that had not
 * finished. Go's synctest waits for them and reports a deadlock if they can
 * never finish; here they must be finished by the time the function returns
 * (the bubble lets them run until they block, but does not move time for
 * them), so a leaked task fails the test at once, listed like a deadlock.
 *
 * @example
 * ```ts
 * import { go, after } from "@gochan/core";
 * import * as synctest from "@gochan/core/testing";
 * try {
 *   await synctest.test(async () => {
 *     go(async () => {
 *       await after(1000).recv(); // still waiting when the test returns
 *     });
 *   });
 * } catch (e) {
 *   console.log(e instanceof synctest.LeakedTasksError); // true
 * }
 * ```
 */
export class LeakedTasksError extends Error {
  /** How many channel operations were still blocked. */
  readonly blocked: number;
  /** How many `go()` tasks had not finished. */
  readonly tasks: number;

  /** @internal */
  constructor(report: string, blocked: number, tasks: number) {
    super(report);
    this.name = "LeakedTasksError";
    this.blocked = blocked;
    this.tasks = tasks;
  }
}

/**
 * A synctest function used where it cannot work: {@link wait} or
 * {@link external} outside a bubble, or a bubble started while another one
 * runs (bubbles cannot nest or overlap: see {@link test}).
 *
 * @example
 * ```ts
 * import * as synctest from "@gochan/core/testing";
 * try {
 *   await synctest.wait(); // not in a bubble
 * } catch (e) {
 *   console.log(e instanceof synctest.BubbleUsageError); // true
 * }
 * ```
 */
export class BubbleUsageError extends Error {
  /** @internal */
  constructor(message: string) {
    super(message);
    this.name = "BubbleUsageError";
  }
}
