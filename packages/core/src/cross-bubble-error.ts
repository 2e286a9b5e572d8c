/**
 * The error for a channel operation that crosses a synctest bubble's boundary.
 *
 * @module
 */
import { ChanError } from "./errors.js";

/** The channel operations a bubble checks. */
export type BubbleOp = "send" | "receive" | "close" | "select";

/**
 * A channel operation that crosses a synctest bubble's boundary (see
 * `@gochan/core/testing`): a channel created inside a bubble used from outside
 * it (Go panics with "send on synctest channel from outside bubble"), or a
 * channel created outside any bubble, or in another one, used from inside a
 * bubble. A bubble may only wait on its own channels, so that "every task is
 * blocked" really means nothing outside can wake it. The operation has no
 * effect: nothing is sent, received or closed.
 *
 * Timers, tickers and context done channels count as channels of the bubble
 * (or outside world) they were made in.
 *
 * @example
 * ```ts
 * import { Chan } from "@gochan/core";
 * import * as synctest from "@gochan/core/testing";
 * const outside = new Chan<number>(1);
 * await synctest.test(async () => {
 *   try {
 *     await outside.send(1);
 *   } catch (e) {
 *     console.log(e instanceof synctest.CrossBubbleError, (e as Error).message);
 *     // true "send on channel created outside the bubble, from inside the bubble: chan 0/1"
 *   }
 * });
 * ```
 */
export class CrossBubbleError extends ChanError {
  /** The operation refused. */
  readonly op: BubbleOp;
  /** The channel it was attempted on. */
  readonly channel: unknown;
  /** True if the channel belongs to a bubble and the operation came from outside it. */
  readonly fromOutside: boolean;

  /** @internal */
  constructor(op: BubbleOp, channel: unknown, fromOutside: boolean) {
    const what = op === "close" ? "close of" : `${op} on`;
    super(
      fromOutside
        ? `${what} synctest channel from outside bubble: ${String(channel)}`
        : `${what} channel created outside the bubble, from inside the bubble: ${String(channel)}`,
    );
    this.op = op;
    this.channel = channel;
    this.fromOutside = fromOutside;
  }
}
