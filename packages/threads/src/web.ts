/**
 * `@gochan/threads` for browsers and Web Workers: the shared channels and
 * `select`, without the parts that need Node (ThreadPool, threadExited). Package
 * resolution picks it wherever the `node` condition is not set (bundlers
 * targeting the web, browsers through an import map); its module graph
 * imports nothing from Node.
 *
 * Shared memory needs a cross-origin-isolated page (served with
 * `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp`); values the platform cannot
 * encode as Node's `v8.serialize` does are listed in the threads guide.
 *
 * @example
 * ```ts
 * import { SharedChan, select, recv } from "@gochan/threads";
 * const ch = new SharedChan<number>(1);
 * await ch.send(42);
 * const r = await select([recv(ch)]);
 * console.log(r.value); // 42
 * ```
 *
 * @packageDocumentation
 */
export { SharedChan } from "./shared-chan.js";
export type { SharedChanOptions, SharedChanHandle, SharedSendOptions } from "./shared-chan.js";
export { select, trySelect, recv, send, SharedRecvCase, SharedSendCase } from "./select.js";
export type { SharedSelectCase, SharedSelectResult, SharedCaseResult, SharedSelectOptions } from "./select.js";
export { UncloneableValueError, ValueTooLargeError, WaiterLimitError, MovedValueError } from "./errors.js";
