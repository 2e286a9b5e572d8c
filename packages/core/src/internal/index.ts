/**
 * `@gochan/core/internal`: hooks for libraries built on core. The hook for
 * selects implemented outside core: `@gochan/threads` uses it so one select
 * can wait on shared channels and on local `Chan`s at once, with exactly one
 * case committing; an external select must follow the contract of
 * {@link ExternalSelector}. And {@link countOp}, which counts work done
 * without core's channels against the event-loop fairness budget
 * (`@gochan/pool` counts its job starts). Public and semver-covered, but
 * meant for libraries, not applications.
 *
 * @example
 * ```ts
 * import { Chan, recv } from "@gochan/core";
 * import { commitCase, pollCase } from "@gochan/core/internal";
 * const ch = new Chan<number>(1);
 * ch.trySend(5);
 * if (pollCase(recv(ch))) console.log(commitCase(recv(ch))); // { value: 5, ok: true }
 * ```
 *
 * @module @gochan/core/internal
 */
export { pollCase, commitCase, parkCase, withdrawCase } from "../external-select.js";
export type { ExternalSelector, ParkedCase, LocalCase, Committed } from "../external-select.js";
export { countOp } from "../scheduling.js";
