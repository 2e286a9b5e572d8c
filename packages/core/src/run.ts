/**
 * `run(main)`: an entry point with a Go program's exit behaviour, and Go's
 * "all goroutines are asleep - deadlock!" report.
 *
 * Node gives no sign when a program is stuck: once nothing can wake a pending
 * promise, the event loop drains and the process just exits (code 0, or 13 for
 * an unsettled top-level await). `run` listens for that moment ('beforeExit')
 * and, if `main` is still pending, lists every blocked channel operation with
 * where it started, as Go does, and exits with code 2.
 *
 * @module
 */
import { Chan } from "./chan.js";
import { describe } from "./errors.js";
import { spawnSites } from "./go.js";
import { RecvCase, SendCase } from "./select.js";
import { trace, type BlockedKind, type TraceHook } from "./trace.js";
import { waitGroupChans } from "./wait-group.js";

/**
 * Options of {@link run}.
 *
 * @example
 * ```ts
 * import { run, Chan } from "@gochan/core";
 * async function main(): Promise<void> {
 *   const ch = new Chan<number>(1);
 *   for (let i = 0; i < 1_000_000; i++) {
 *     await ch.send(i);
 *     await ch.recv();
 *   }
 * }
 * // A program that blocks very often, where capturing call sites costs too much:
 * run(main, { callSites: false });
 * ```
 */
export interface RunOptions {
  /**
   * Record every blocked channel operation (send, receive, select, WaitGroup
   * wait) so that a deadlock report can list them. Costs a map insertion and
   * removal per operation that has to wait; nothing at all when false (the
   * report then only says that `main` is stuck).
   * @defaultValue true
   */
  blockedOps?: boolean;
  /**
   * Also record where each blocked operation and each {@link go} task started
   * (one `Error` per parked operation or spawn, formatted only if a report is
   * printed). Ignored for blocked operations when `blockedOps` is false. This is
   * the expensive part: about 2 µs per operation that has to wait (Node 20),
   * against well under 0.1 µs for `blockedOps` alone; turn it off for programs
   * that block millions of times.
   * @defaultValue true
   */
  callSites?: boolean;
}

/** One blocked operation, as recorded by the trace hook. @internal */
export interface BlockedOp {
  readonly kind: BlockedKind;
  readonly target: unknown;
  readonly site: Error | null;
}

/** Records blocked operations while installed as the trace hook. @internal */
export class BlockedOps implements TraceHook {
  readonly ops = new Map<object, BlockedOp>();
  readonly #callSites: boolean;

  constructor(callSites: boolean) {
    this.#callSites = callSites;
  }

  park(op: object, kind: BlockedKind, target: unknown): void {
    this.ops.set(op, { kind, target, site: this.#callSites ? new Error("blocked") : null });
  }

  unpark(op: object): void {
    this.ops.delete(op);
  }
}

/** The directory of gochan's own modules, whose frames a report leaves out. */
const ownDir: { href: string; path: string } = (() => {
  try {
    const dir = new URL(".", import.meta.url);
    return { href: dir.href, path: decodeURIComponent(dir.pathname) };
  } catch {
    return { href: "\u0000", path: "\u0000" };
  }
})();

/** The stack frames of `site` that belong to the user's code, tab-indented. @internal */
export function userFrames(site: Error): string[] {
  const stack = site.stack;
  if (typeof stack !== "string") return [];
  const frames: string[] = [];
  const lines = stack.split("\n");
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line.startsWith("at ")) continue;
    if (line.includes(ownDir.href) || line.includes(ownDir.path)) continue;
    if (line.includes("(node:") || line.startsWith("at node:")) continue;
    frames.push(`\t${line}`);
  }
  return frames;
}

function chanLabel(kind: BlockedKind, ch: unknown): string {
  const nil = ch instanceof Chan && ch._nil;
  if (kind === "recv") {
    if (waitGroupChans.has(ch as object)) return "sync.WaitGroup.Wait";
    return nil ? "chan receive (nil chan)" : "chan receive";
  }
  return nil ? "chan send (nil chan)" : "chan send";
}

function describeCase(c: unknown): string {
  if (c instanceof RecvCase) return `receive from ${c.ch === null ? "nil chan" : String(c.ch)}`;
  if (c instanceof SendCase) return `send to ${c.ch === null ? "nil chan" : String(c.ch)}`;
  if (typeof AbortSignal !== "undefined" && c instanceof AbortSignal) return "abort signal";
  return "promise";
}

/** Go's wait reason for a blocked operation, e.g. "chan receive". @internal */
export function waitReason(op: BlockedOp): string {
  if (op.kind === "select") {
    const cases = op.target as readonly unknown[];
    return cases.length === 0 ? "select (no cases)" : "select";
  }
  return chanLabel(op.kind, op.target);
}

/** What the operation waits on, e.g. "receive from chan(jobs) 0/0". @internal */
export function waitTarget(op: BlockedOp): string {
  if (op.kind === "select") {
    const cases = op.target as readonly unknown[];
    return cases.length === 0 ? "select {}" : `select on: ${cases.map(describeCase).join(", ")}`;
  }
  if (waitGroupChans.has(op.target as object)) return "wait for a WaitGroup";
  return `${op.kind === "recv" ? "receive from" : "send to"} ${String(op.target)}`;
}

/** Go's first line of a deadlock report. */
const DEADLOCK = "fatal error: all goroutines are asleep - deadlock!";

/**
 * The deadlock report: Go's first line, a blank line, then one entry per
 * blocked operation in the order they blocked. Entries are numbered like Go's
 * goroutines, but JavaScript has no goroutine ids: the numbers only count the
 * blocked operations. `tracked` false: operations were not recorded.
 * @internal
 */
export function deadlockReport(ops: Iterable<BlockedOp>, tracked: boolean): string {
  let out = `${DEADLOCK}\n`;
  let n = 0;
  for (const op of ops) {
    n++;
    out += `\ngoroutine ${n} [${waitReason(op)}]:\n${waitTarget(op)}\n`;
    if (op.site !== null) {
      const frames = userFrames(op.site);
      out += frames.length > 0 ? `${frames.join("\n")}\n` : "\t(no call site outside gochan)\n";
    }
  }
  if (!tracked) {
    out += "\nmain is still pending (blocked operations are not recorded: run(main, { blockedOps: true }) lists them)\n";
  } else if (n === 0) {
    out += "\nmain is still pending, but no channel operation is blocked: it awaits a promise that can never settle\n";
  }
  return out;
}

/**
 * A panic report: Go's "panic: " line with the error's stack, its causes, and
 * where the failing task was started if that was recorded.
 * @internal
 */
export function panicReport(error: unknown): string {
  let out = "panic: ";
  if (error instanceof Error) {
    out += `${typeof error.stack === "string" && error.stack.length > 0 ? error.stack : String(error)}\n`;
    let cause: unknown = error.cause;
    for (let depth = 0; cause !== undefined && depth < 8; depth++) {
      out += `[cause]: ${cause instanceof Error && typeof cause.stack === "string" ? cause.stack : describe(cause)}\n`;
      cause = cause instanceof Error ? cause.cause : undefined;
    }
  } else {
    out += `${typeof error === "string" ? error : describe(error)}\n`;
  }
  const site = typeof error === "object" && error !== null ? spawnSites.of.get(error) : undefined;
  if (site !== undefined) {
    const frames = userFrames(site);
    out += `created by go()\n${frames.length > 0 ? frames.join("\n") : "\t(no call site outside gochan)"}\n`;
  }
  return out;
}

interface WritableLike {
  write(chunk: string, callback?: (error?: unknown) => void): unknown;
}

interface NodeProcessLike {
  on(event: string, listener: (...args: never[]) => void): unknown;
  exit(code?: number): never;
  stdout?: WritableLike;
  stderr?: WritableLike;
  versions?: { node?: unknown };
}

/** Node's `process` (also provided by Deno and Bun); not a bundler's browser shim. */
function nodeProcess(): NodeProcessLike | null {
  const p = (globalThis as { process?: Partial<NodeProcessLike> }).process;
  return p !== undefined &&
    typeof p.on === "function" &&
    typeof p.exit === "function" &&
    typeof p.versions?.node === "string"
    ? (p as NodeProcessLike)
    : null;
}

let running = false;

/**
 * Runs `main` as the program's main task, with a Go program's exit behaviour:
 *
 * - `main` returns (or its promise resolves): the process exits with code 0 at
 *   once, even if other tasks are still running or blocked, as in Go.
 * - `main` throws or rejects, or any error goes uncaught (including a failed
 *   {@link go} task): Go's "panic: ..." with the stack (and where the task was
 *   started) on stderr, exit code 2.
 * - The event loop drains while `main` is still pending (nothing can ever wake
 *   it): Go's "fatal error: all goroutines are asleep - deadlock!", a blank line,
 *   then one entry per blocked operation: `goroutine N [chan receive]:` (or
 *   `[chan send]`, `[select]`, `[chan receive (nil chan)]`,
 *   `[sync.WaitGroup.Wait]`), the channel, and where the operation started.
 *   Exit code 2.
 *
 * A program waiting on a pending timer ({@link after}, {@link Ticker}, a context
 * deadline) is not deadlocked: the timer keeps the event loop alive, as in Go.
 * Open sockets, child processes and other Node handles do too (Go's network
 * poller likewise never counts as a deadlock). Note that Node does not let an
 * `AbortSignal.timeout()` timer keep the process alive: a program whose only
 * hope is such a signal is reported as deadlocked; use {@link withTimeout}.
 *
 * Blocked-operation tracking is installed by `run` only and costs nothing when
 * `run` is not used; see {@link RunOptions} for its cost.
 *
 * Differences from Go: entries are numbered in the order the operations blocked
 * (JavaScript has no goroutine ids, so the numbers are not task identities);
 * JavaScript has no preemption. In a browser (no `process`) `run` only calls
 * `main` and raises its error as an uncaught exception; there is no exit code
 * and no deadlock detection, since a page has no "drained event loop" moment.
 *
 * @throws Error if a program is already running in this process.
 *
 * @example
 * ```ts
 * import { run, Chan, go } from "@gochan/core";
 * run(async () => {
 *   const results = new Chan<number>();
 *   go(async () => results.send(42));
 *   console.log(await results.recv());
 *   await results.recv(); // nobody sends again:
 *   // fatal error: all goroutines are asleep - deadlock!
 *   //
 *   // goroutine 1 [chan receive]:
 *   // receive from chan 0/0
 *   //         at main (file:///app/main.ts:7:17)
 * });
 * ```
 */
export function run(main: () => unknown, options?: RunOptions): void {
  if (typeof main !== "function") throw new TypeError(`run: main must be a function, got ${describe(main)}`);
  if (running) throw new Error("run: a program is already running in this process");
  const proc = nodeProcess();
  if (proc === null) {
    // Browsers: no exit codes and no drained-loop event; errors stay loud.
    Promise.resolve()
      .then(main)
      .then(undefined, (e: unknown) => {
        queueMicrotask(() => {
          throw e;
        });
      });
    return;
  }
  running = true;
  const tracked = options?.blockedOps ?? true;
  const callSites = options?.callSites ?? true;
  const blocked = tracked ? new BlockedOps(callSites) : null;
  if (blocked !== null) trace.hook = blocked;
  spawnSites.enabled = callSites;

  let finished = false;
  const exit = (code: number, message: string): void => {
    if (finished) return;
    finished = true;
    // Let what is already written reach its pipe before exiting (pipes are
    // asynchronous on some platforms).
    let waiting = 2;
    const done = (): void => {
      if (--waiting === 0) proc.exit(code);
    };
    if (proc.stderr !== undefined) {
      proc.stderr.write(message, done);
    } else {
      if (message !== "") console.error(message);
      done();
    }
    if (proc.stdout !== undefined) proc.stdout.write("", done);
    else done();
  };
  const fail = (error: unknown): void => exit(2, panicReport(error));

  proc.on("uncaughtException", fail);
  proc.on("beforeExit", () => {
    if (!finished) exit(2, deadlockReport(blocked === null ? [] : blocked.ops.values(), tracked));
  });
  let result: unknown;
  try {
    result = main();
  } catch (e) {
    fail(e);
    return;
  }
  Promise.resolve(result).then(() => exit(0, ""), fail);
}
