/// <reference lib="esnext.disposable" preserve="true" />
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
 * @module @gochan/core
 */
export { Chan, nilChan, isChan, makeChan } from "./chan.js";
export type { SendChan, RecvChan, ChanOptions, RangeOptions, Received, ReceivedValue, ReceivedZero } from "./chan.js";
export { select, trySelect, recv, send, RecvCase, SendCase } from "./select.js";
export type { SelectCase, SelectResult, CaseResult, SelectOptions, Fired, NoBody, RecvBody, CaseBody } from "./select.js";
export {
  ChanError,
  SendOnClosedError,
  CloseOfClosedError,
  CloseOfNilError,
  ThenableValueError,
  MAX_CAPACITY,
  errorString,
} from "./errors.js";
export { configureScheduling, getScheduling } from "./scheduling.js";
export type { SchedulingOptions, SchedulingState } from "./scheduling.js";
export { setSelectSeed } from "./random.js";

// ---- Timers, WaitGroup, context, errgroup, go() and run(): Go's companions of channels ----
export { Timer, after, afterFunc } from "./timer.js";
export { sleep } from "./sleep.js";
export { Ticker, tick } from "./ticker.js";
export { WaitGroup, NegativeWaitGroupCounterError } from "./wait-group.js";
export {
  background,
  todo,
  withCancel,
  withTimeout,
  withDeadline,
  withValue,
  fromSignal,
  ContextKey,
  ContextError,
  CanceledError,
  DeadlineExceededError,
  Canceled,
  DeadlineExceeded,
} from "./context.js";
export type { Context, ContextWithCancel, CancelFunc } from "./context.js";
export { ErrGroup, ErrGroupLimitError, withContext } from "./errgroup.js";
export type { ErrGroupWithContext } from "./errgroup.js";
export { go, setPanicHandler } from "./go.js";
export type { PanicHandler } from "./go.js";
export { run } from "./run.js";
export type { RunOptions } from "./run.js";
