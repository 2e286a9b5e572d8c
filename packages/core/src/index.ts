/**
 * `@gochan/core`: Go's channels and `select` for TypeScript, with Go's semantics
 * to the letter.
 *
 * @example
 * ```ts
 * import { Chan, select, recv } from "@gochan/core";
 * const ch = new Chan<number>();
 * void ch.send(42);
 * const r = await select([recv(ch)]);
 * console.log(r.value); // 42
 * ```
 *
 * @packageDocumentation
 */
export { Chan, nilChan, isChan } from "./chan.js";
export type { SendChan, RecvChan, ChanOptions, RangeOptions, Received } from "./chan.js";
export { select, trySelect, recv, send, RecvCase, SendCase } from "./select.js";
export type { SelectCase, SelectResult, CaseResult, SelectOptions } from "./select.js";
export { ChanError, SendOnClosedError, CloseOfClosedError, CloseOfNilError, MAX_CAPACITY } from "./errors.js";
export { configureScheduling, getScheduling } from "./scheduling.js";
export type { SchedulingOptions, SchedulingState } from "./scheduling.js";
export { setSelectSeed } from "./random.js";
