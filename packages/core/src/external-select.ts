/**
 * The external-select hook: lets a select implemented outside core (such as
 * `@gochan/threads`' select over shared and local channels) poll, commit and
 * park cases on core channels, with exactly one case committing.
 *
 * An external select owns its "fired" token (for `@gochan/threads`, a word in
 * shared memory that peers on other threads commit with one compare-and-swap).
 * Core cannot see that token, so a case it parks may be committed elsewhere
 * while its waiter is still linked here. The contract that keeps this exact:
 * when a core channel completes the parked case, it asks the external select
 * ({@link ExternalSelector.fire}), which tries to take its own token and
 * answers whether the case committed. On false (declined) the channel goes on
 * to its next waiter as if the case had never been parked: the value goes to
 * the next receiver, or the sender stays blocked. So nothing is lost or
 * delivered twice (see waiter.ts and the invariants of chan.ts).
 *
 * @module
 */
import { currentBubble } from "./bubble-hook.js";
import { crossBubble, type Chan } from "./chan.js";
import { SendOnClosedError } from "./errors.js";
import { RecvCase, SendCase } from "./select.js";
import { trace } from "./trace.js";
import { MODE_SELECT, Waiter } from "./waiter.js";

/**
 * A case of an external select parked on a core channel, as returned by
 * {@link parkCase} and handed back to {@link ExternalSelector.fire}.
 *
 * @example
 * ```ts
 * import { Chan, recv } from "@gochan/core";
 * import { parkCase, withdrawCase, type ExternalSelector, type ParkedCase } from "@gochan/core/internal";
 * const never: ExternalSelector = { fire: () => false, fail: () => false };
 * const p: ParkedCase | null = parkCase(recv(new Chan<number>()), never, 0);
 * if (p !== null) withdrawCase(p);
 * ```
 */
export interface ParkedCase {
  /** The case index given to {@link parkCase}. */
  readonly index: number;
}

/**
 * A select implemented outside `@gochan/core` that parks cases on core
 * channels with {@link parkCase}. A channel operation that reaches a parked
 * case calls `fire` (or `fail`) synchronously, in the middle of its own
 * work: the selector must only decide and record (take its fired token,
 * withdraw its other parked cases with {@link withdrawCase}, wake its owner)
 * and run no user code nor any other channel operation.
 *
 * @example
 * ```ts
 * import { Chan, recv } from "@gochan/core";
 * import { parkCase, withdrawCase, type ExternalSelector, type ParkedCase } from "@gochan/core/internal";
 *
 * // A one-shot select over two local channels; `done` is its fired token.
 * const a = new Chan<string>(), b = new Chan<string>();
 * let done = false;
 * const parked: (ParkedCase | null)[] = [];
 * const sel: ExternalSelector = {
 *   fire(p, value, ok) {
 *     if (done) return false; // committed already: decline, the channel moves on
 *     done = true;
 *     for (const q of parked) if (q !== null && q !== p) withdrawCase(q);
 *     console.log(`case ${p.index} got ${String(value)} (ok ${ok})`);
 *     return true;
 *   },
 *   fail: () => false,
 * };
 * parked.push(parkCase(recv(a), sel, 0), parkCase(recv(b), sel, 1));
 * await b.send("hi"); // case 1 got hi (ok true)
 * console.log(a.trySend("x")); // false: case 0 was withdrawn
 * ```
 */
export interface ExternalSelector {
  /**
   * Case `parked` can commit with (value, ok): a receive got a value (`ok`
   * true) or the zero value of a closed channel (`ok` false); a send was
   * taken (`value` undefined). Return true to commit it, false to decline.
   */
  fire(parked: ParkedCase, value: unknown, ok: boolean): boolean;
  /**
   * A parked send case fails: its channel was closed (`error` is a
   * SendOnClosedError). Return true to commit (the select fails with
   * `error`), false to decline.
   */
  fail(parked: ParkedCase, error: unknown): boolean;
}

/** A channel case of core's select: what this hook takes. */
export type LocalCase = RecvCase<unknown, unknown, unknown> | SendCase<never, unknown>;

/** What {@link commitCase} reports: the received value and ok (a send: undefined, true). */
export interface Committed {
  /** A receive's value (the zero value when closed); undefined for a send. */
  value: unknown;
  /** False only for a receive from a closed, drained channel. */
  ok: boolean;
}

function chanOf(c: LocalCase, what: string): Chan<unknown, unknown> | null {
  if (!(c instanceof RecvCase || c instanceof SendCase)) {
    throw new TypeError(`${what}: expected a recv() or send() case of @gochan/core`);
  }
  const ch = c.ch as Chan<unknown, unknown> | null;
  if (ch !== null && ch._bubble !== currentBubble) throw crossBubble("select", ch);
  return ch;
}

/**
 * Whether case `c` can proceed now (a nil case never can; a send on a closed
 * channel can, to fail). Runs no user code. A true answer may still commit
 * nothing if every waiter behind it declines: {@link commitCase} then
 * returns null and the caller polls again.
 *
 * @throws TypeError if `c` is not a core channel case; CrossBubbleError for
 *   a channel of another synctest bubble.
 *
 * @example
 * ```ts
 * import { Chan, recv } from "@gochan/core";
 * import { pollCase } from "@gochan/core/internal";
 * const ch = new Chan<number>(1);
 * console.log(pollCase(recv(ch))); // false
 * ch.trySend(1);
 * console.log(pollCase(recv(ch))); // true
 * ```
 */
export function pollCase(c: LocalCase): boolean {
  const ch = chanOf(c, "pollCase");
  if (ch === null) return false;
  return c.kind === "recv" ? ch._canRecv() : ch._canSend();
}

/**
 * Commits case `c` now, as the active party: receives (from the buffer, a
 * parked sender or a closed channel) or sends (to a parked receiver or the
 * buffer). Null if it would block (a nil case always would).
 *
 * @throws SendOnClosedError for a send on a closed channel (nothing is sent);
 *   the errors of {@link pollCase}.
 *
 * @example
 * ```ts
 * import { Chan, recv, send } from "@gochan/core";
 * import { commitCase } from "@gochan/core/internal";
 * const ch = new Chan<string>(1);
 * console.log(commitCase(send(ch, "v"))); // { value: undefined, ok: true }
 * console.log(commitCase(recv(ch))); // { value: "v", ok: true }
 * console.log(commitCase(recv(ch))); // null: it would block
 * ```
 */
export function commitCase(c: LocalCase): Committed | null {
  const ch = chanOf(c, "commitCase");
  if (ch === null) return null;
  if (c.kind === "recv") {
    if (!ch._take()) return null;
    const value = ch._took();
    return { value, ok: ch._tookOk() };
  }
  if (ch._closed) throw new SendOnClosedError();
  return ch._offer((c as SendCase<never, unknown>)._value) ? { value: undefined, ok: true } : null;
}

/**
 * Parks case `c` of the external select `sel` on its channel, as case
 * number `index`: a channel operation that later reaches it calls
 * `sel.fire` (or `sel.fail`). Null for a nil case (nothing is parked). The
 * caller has polled first (a parked case never commits by being parked).
 *
 * @throws the errors of {@link pollCase}.
 *
 * @example
 * ```ts
 * import { Chan, send } from "@gochan/core";
 * import { parkCase, type ExternalSelector } from "@gochan/core/internal";
 * const ch = new Chan<number>();
 * const sel: ExternalSelector = { fire: (p) => (console.log("sent by case", p.index), true), fail: () => true };
 * parkCase(send(ch, 7), sel, 3);
 * console.log(await ch.recv()); // "sent by case 3", then 7
 * ```
 */
export function parkCase(c: LocalCase, sel: ExternalSelector, index: number): ParkedCase | null {
  const ch = chanOf(c, "parkCase");
  if (ch === null) return null;
  let w: Waiter;
  if (c.kind === "recv") {
    w = new Waiter(MODE_SELECT, undefined, sel, index);
    ch._recvq.push(w);
  } else {
    w = new Waiter(MODE_SELECT, (c as SendCase<never, unknown>)._value, sel, index);
    ch._sendq.push(w);
  }
  // run() records the channel, so its deadlock report finds the case there
  // (as that channel's operation: core does not know the select's other cases).
  if (trace.hook !== null) trace.hook.park(w, c.kind, ch);
  return w;
}

/**
 * Withdraws a parked case from its channel (nothing is taken or sent); a
 * no-op if it is no longer parked (it fired, or was withdrawn).
 *
 * @example
 * ```ts
 * import { Chan, recv } from "@gochan/core";
 * import { parkCase, withdrawCase } from "@gochan/core/internal";
 * const ch = new Chan<number>();
 * const p = parkCase(recv(ch), { fire: () => true, fail: () => true }, 0);
 * if (p !== null) withdrawCase(p);
 * console.log(ch.trySend(1)); // false: no receiver
 * ```
 */
export function withdrawCase(parked: ParkedCase): void {
  if (!(parked instanceof Waiter)) throw new TypeError("withdrawCase: expected a case parked by parkCase");
  if (parked.queue !== null) parked.queue.remove(parked);
}
