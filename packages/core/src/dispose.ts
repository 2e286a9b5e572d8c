/// <reference lib="esnext.disposable" preserve="true" />
/**
 * The well-known symbols of `using` and `await using` (TC39 explicit resource
 * management), looked up once so core runs on hosts that predate them: where
 * `Symbol.dispose` is missing, the registered `Symbol.for("Symbol.dispose")`
 * stands in (what the common polyfills install).
 *
 * @internal
 * @module
 */

const symbols = Symbol as unknown as { dispose?: symbol; asyncDispose?: symbol };

/** `Symbol.dispose`, or its registered stand-in. */
export const DISPOSE: typeof Symbol.dispose = (symbols.dispose ?? Symbol.for("Symbol.dispose")) as typeof Symbol.dispose;

/** `Symbol.asyncDispose`, or its registered stand-in. */
export const ASYNC_DISPOSE: typeof Symbol.asyncDispose = (symbols.asyncDispose ??
  Symbol.for("Symbol.asyncDispose")) as typeof Symbol.asyncDispose;
