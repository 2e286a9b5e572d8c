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
import { CallSites } from "./call-sites.js";
import { panic } from "./go.js";
import { firstChan, ParkedChans } from "./parked-chans.js";
import { RecvCase, SendCase } from "./select.js";
import { trace, type BlockedKind, type BlockedOp, type TaskHook, type Traced, type TraceHook } from "./trace.js";
import { waitGroupChans } from "./wait-group.js";

/**
 * Options of {@link run}.
 *
 * @example
 * ```ts
 * import { run, Chan } from "@gochan/core";
 * async function main(): Promise<void> {
 *   const ch = new Chan<number>();
 *   await ch.recv(); // nobody sends: the report shows this line
 * }
 * // Chasing a deadlock in a busy program: a call site for every blocked operation.
 * run(main, { callSites: "all" });
 * ```
 */
export interface RunOptions {
  /**
   * Record every blocked channel operation (send, receive, select, WaitGroup
   * wait) so that a deadlock report can list them. What is recorded is the
   * channels they wait on (a channel's queues already hold its blocked
   * operations, in order), read only when the report is written: one compare
   * per operation that has to wait, nothing allocated per operation. Nothing at
   * all when false (the report then only says that `main` is stuck).
   * @defaultValue true
   */
  blockedOps?: boolean;
  /**
   * Also record where blocked operations and {@link go} tasks started, so that
   * the report shows the user's frames and Go's "created by" line.
   *
   * A stack can only be captured at the call, and capturing one costs 2-4 µs
   * on Node 20 in isolation (measured up to 28 µs inside a busy program), 10-100
   * times a channel hand-off. So `true` (the default) samples: every operation
   * and spawn gets its call site until a budget runs out (64 at once, refilled
   * by one per 10 ms), so small or slow programs get all of them and a busy one
   * pays for at most 100 captures a second. The refill is a timer that never
   * keeps the process alive and runs only while the budget is below 64; a
   * busy chain that never yields to the event loop (`yieldEvery: Infinity`,
   * see {@link configureScheduling}) gets no refill until it does. A {@link go} task is recorded (for
   * "created by") only if its spawn was sampled. An operation whose own site
   * was not sampled is reported with the places where operations of its kind
   * on its channel were seen waiting.
   *
   * Per operation, the record costs a load and a compare (is a capture due?)
   * and, on a channel already recorded, one more compare when the
   * operation parks; nothing when the operation completes (nor when a select
   * on a channel does). Parking on a channel not recorded yet (a fresh reply
   * channel per request) records it as the last one; the next such park
   * forgets it if nothing waits on it any more, else keeps it. So nothing
   * idle is kept alive but that one channel (keeping young channels alive cost
   * far more than their bytes: a ring that kept its last 64 made the stateful
   * goroutine ~150 ns a request slower), and a channel still waited on is
   * read once, not at every later record. The Go programs of docs/benchmarks.md measure run()'s
   * cost against the same programs without it, in CPU time, every full run.
   * Capturing every site, the old default, cost 5-30x.
   *
   * `"all"`: capture every call site (exact, but channel-heavy programs then
   * run 5-30x slower). `false`: none (the report lists the operations only).
   * @defaultValue true
   */
  callSites?: boolean | "all";
}

export type { BlockedOp } from "./trace.js";

/** A blocked operation in the list of {@link BlockedOps}. */
class Entry implements BlockedOp {
  prev: Entry | null = null;
  next: Entry | null = null;
  constructor(
    readonly kind: BlockedKind,
    readonly target: unknown,
    readonly site: Error | null,
  ) {}
}

/**
 * Records every blocked operation, in a doubly linked list in the order they
 * parked, with its call site if `callSites`: an allocation and a few writes per
 * parked operation, and an exact count. The synctest bubble uses it (it asks
 * for the count each time it goes quiet); run() records the channels instead
 * (see parked-chans.ts), which costs nothing per operation.
 * @internal
 */
export class BlockedOps implements TraceHook {
  /** Every park is recorded: no channel carries this stamp. */
  readonly stamp = -1;
  readonly due = false;
  readonly #sites: CallSites;
  #head: Entry | null = null;
  #tail: Entry | null = null;
  /** How many operations are blocked now. */
  size = 0;

  constructor(callSites: boolean) {
    this.#sites = new CallSites(callSites ? "all" : "off");
  }

  park(op: Traced, kind: BlockedKind, target: unknown): void {
    const e = new Entry(kind, target, this.#sites.capture());
    e.prev = this.#tail;
    if (this.#tail === null) this.#head = e;
    else this.#tail.next = e;
    this.#tail = e;
    this.size++;
    op.traced = e;
  }

  unpark(op: Traced): void {
    const e = op.traced as Entry | null;
    if (e === null) return;
    op.traced = null;
    this.size--;
    if (e.prev === null) this.#head = e.next;
    else e.prev.next = e.next;
    if (e.next === null) this.#tail = e.prev;
    else e.next.prev = e.prev;
  }

  /** The operations blocked now, in the order they parked. */
  *ops(): IterableIterator<BlockedOp> {
    for (let e = this.#head; e !== null; e = e.next) yield e;
  }
}

/** A {@link go} task started under `run()`: what it runs and where it was started. @internal */
export interface TaskRecord {
  readonly id: number;
  /** The name of the function the task runs ("" if anonymous). */
  readonly name: string;
  /** Where `go()` was called. */
  readonly site: Error;
}

/** A recorded task in the list of {@link Tasks}. */
interface LiveTask extends TaskRecord {
  /** `gochan.task#<id>`: V8 names a method frame after its receiver's tag. */
  readonly [Symbol.toStringTag]: string;
  prev: LiveTask | null;
  next: LiveTask | null;
  readonly owner: Tasks;
}

/** A task's frame in a stack: `gochan.task#<id>.runTask`. */
const TASK_FRAME = /\bat (?:async )?gochan\.task#(\d+)\./;

/**
 * Runs a recorded task with the task as `this`, so that V8 names this frame
 * after it (`gochan.task#<id>.runTask`) in every stack captured inside the
 * task: as a caller frame before the task's first `await`, and as an async
 * frame after it (V8 follows `await`, not `then`). Then forgets the task.
 */
async function runTask(this: LiveTask, fn: (...args: unknown[]) => unknown, args: unknown[]): Promise<void> {
  try {
    await fn(...args);
  } catch (e) {
    this.owner.panicked(e, this);
    panic(e, this.site);
  } finally {
    this.owner.forget(this);
  }
}

/**
 * Starts and records {@link go} tasks while `run()` is in force, those whose
 * spawn gets a sampled call site (the others start as go() starts them
 * outside `run()`, unrecorded). A sampled call site of a blocked operation
 * names the task that parked it (see {@link runTask}), and the report says
 * where that task was created, as Go's "created by" line does. JavaScript has
 * no task-local state to do this without a stack.
 * @internal
 */
export class Tasks implements TaskHook {
  readonly #sites: CallSites;
  readonly #panicked = new WeakMap<object, TaskRecord>();
  #head: LiveTask | null = null;
  #next = 0;

  constructor(sites: CallSites) {
    this.#sites = sites;
  }

  sample(): Error | null {
    return this.#sites.capture();
  }

  spawn<A extends unknown[]>(fn: (...args: A) => unknown, args: A, site: Error): void {
    const id = ++this.#next;
    const task: LiveTask = {
      [Symbol.toStringTag]: `gochan.task#${id}`,
      id,
      name: fn.name,
      site,
      prev: null,
      next: this.#head,
      owner: this,
    };
    if (this.#head !== null) this.#head.prev = task;
    this.#head = task;
    queueMicrotask(() => void runTask.call(task, fn as (...args: unknown[]) => unknown, args));
  }

  /** The task ended: unlink it. @internal */
  forget(task: LiveTask): void {
    if (task.prev === null) this.#head = task.next;
    else task.prev.next = task.next;
    if (task.next !== null) task.next.prev = task.prev;
    task.prev = null;
    task.next = null;
  }

  /** The task `task` failed with `error`: remembered for the panic report. */
  panicked(error: unknown, task: TaskRecord): void {
    if (typeof error === "object" && error !== null && !this.#panicked.has(error)) this.#panicked.set(error, task);
  }

  /** The task whose failure `error` is, if it was recorded. */
  failedWith(error: unknown): TaskRecord | undefined {
    return typeof error === "object" && error !== null ? this.#panicked.get(error) : undefined;
  }

  /** The recorded tasks still pending, oldest first. */
  live(): TaskRecord[] {
    const tasks: TaskRecord[] = [];
    for (let t = this.#head; t !== null; t = t.next) tasks.push(t);
    return tasks.reverse();
  }

  /** The recorded, pending task a stack captured inside it belongs to, if any. */
  of(site: Error, live: readonly TaskRecord[] = this.live()): TaskRecord | undefined {
    const m = typeof site.stack === "string" ? TASK_FRAME.exec(site.stack) : null;
    if (m === null) return undefined;
    const id = Number(m[1]);
    return live.find((t) => t.id === id);
  }
}

/**
 * The directories whose frames a report leaves out: gochan's own modules
 * (dist/, and src/ where source maps point), and those other gochan packages
 * register under the global symbol `gochan.internalFrames` (a Set of file URL
 * and path prefixes; @gochan/pool adds its own).
 */
const INTERNAL_FRAMES = Symbol.for("gochan.internalFrames");

function internalDirs(): Set<string> {
  const g = globalThis as { [INTERNAL_FRAMES]?: Set<string> };
  let dirs = g[INTERNAL_FRAMES];
  if (dirs === undefined) {
    dirs = new Set();
    g[INTERNAL_FRAMES] = dirs;
  }
  return dirs;
}

for (const sub of ["../src/", "../dist/"]) {
  try {
    const dir = new URL(sub, import.meta.url);
    internalDirs().add(dir.href).add(decodeURIComponent(dir.pathname));
  } catch {
    // No file URL (a bundle): nothing to leave out.
  }
}

function internal(line: string): boolean {
  if (line.includes("(node:") || line.startsWith("at node:")) return true;
  for (const dir of internalDirs()) if (line.includes(dir)) return true;
  return false;
}

/** The stack frames of `site` that belong to the user's code, tab-indented. @internal */
export function userFrames(site: Error): string[] {
  const stack = site.stack;
  if (typeof stack !== "string") return [];
  const frames: string[] = [];
  const lines = stack.split("\n");
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line.startsWith("at ") || internal(line)) continue;
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

/** The innermost user frame of each distinct site, tab-indented. */
function distinctFrames(sites: readonly Error[]): string[] {
  const seen = new Set<string>();
  for (const site of sites) {
    const first = userFrames(site)[0];
    if (first !== undefined) seen.add(first);
  }
  return [...seen];
}

/** Where a blocked operation started: its own frames, else where its kind was seen parking. */
function siteLines(op: BlockedOp, blocked: ParkedChans | undefined): string {
  if (op.site !== null) {
    const frames = userFrames(op.site);
    return frames.length > 0 ? `${frames.join("\n")}\n` : "\t(no call site outside gochan)\n";
  }
  if (blocked === undefined || blocked.sites.mode !== "sampled") return "";
  const seen = distinctFrames(blocked.exemplars(op.kind, op.target));
  if (seen.length === 0) return `\t(call site not sampled: run(main, { callSites: "all" }) records every one)\n`;
  const ch = op.kind === "select" ? firstChan(op.target as readonly unknown[]) : op.target;
  const what = op.kind === "recv" ? "receives from" : op.kind === "send" ? "sends to" : "selects on";
  return `\t(call site not sampled; ${what} ${String(ch)} were seen waiting at:)\n${seen.join("\n")}\n`;
}

/** Go's "created by" line for a task, with where it was started. */
function createdBy(task: TaskRecord): string {
  const frames = userFrames(task.site);
  return `created by go(${task.name})\n${frames.length > 0 ? frames.join("\n") : "\t(no call site outside gochan)"}\n`;
}

/**
 * The deadlock report: Go's first line, a blank line, then one entry per
 * blocked operation in the order `ops` lists them. Entries are numbered like
 * Go's goroutines, but JavaScript has no goroutine ids: the numbers only count the
 * blocked operations. `tracked` false: operations were not recorded. With
 * `blocked` and `tasks` (what run() recorded), an entry whose own call site was
 * not sampled lists where operations of its kind on its channel were seen
 * waiting; an entry parked by a {@link go} task says where the task was
 * created; and the tasks still pending that no entry names are listed last.
 * @internal
 */
export function deadlockReport(
  ops: Iterable<BlockedOp>,
  tracked: boolean,
  blocked?: ParkedChans,
  tasks?: Tasks,
): string {
  let out = `${DEADLOCK}\n`;
  let n = 0;
  const named = new Set<TaskRecord>();
  const live = tasks?.live() ?? [];
  for (const op of ops) {
    n++;
    out += `\ngoroutine ${n} [${waitReason(op)}]:\n${waitTarget(op)}\n${siteLines(op, blocked)}`;
    const task = op.site === null ? undefined : tasks?.of(op.site, live);
    if (task !== undefined) {
      named.add(task);
      out += createdBy(task);
    }
  }
  if (!tracked) {
    out += "\nmain is still pending (blocked operations are not recorded: run(main, { blockedOps: true }) lists them)\n";
  } else if (n === 0) {
    out += "\nmain is still pending, but no channel operation is blocked: it awaits a promise that can never settle\n";
  }
  out += pendingTasks(live.filter((t) => !named.has(t)));
  return out;
}

/** The pending tasks no entry names, grouped by function and where they were created. */
function pendingTasks(rest: readonly TaskRecord[]): string {
  if (rest.length === 0) return "";
  const groups = new Map<string, number>();
  for (const t of rest) {
    const key = createdBy(t);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  let out = `\n${rest.length} go() task${rest.length === 1 ? " is" : "s are"} still pending without a blocked operation above to show for it (its operation's call site was not sampled, or it awaits a promise):\n`;
  for (const [key, count] of groups) out += count === 1 ? key : key.replace("\n", ` (${count} tasks)\n`);
  return out;
}

/**
 * A panic report: Go's "panic: " line with the error's stack, its causes, and
 * where the failing task was started if that was recorded.
 * @internal
 */
export function panicReport(error: unknown, tasks?: Tasks): string {
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
  const task = tasks?.failedWith(error);
  if (task !== undefined) out += createdBy(task);
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
 * Differences from Go: entries are listed channel by channel (each channel's
 * operations in the order they blocked) and numbered in that order (JavaScript
 * has no goroutine ids, so the numbers are not task identities);
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
  const sites = new CallSites(callSites === "all" ? "all" : callSites ? "sampled" : "off");
  const blocked = tracked ? new ParkedChans(sites) : null;
  if (blocked !== null) trace.hook = blocked;
  const tasks = sites.mode === "off" ? undefined : new Tasks(sites);
  if (tasks !== undefined) trace.tasks = tasks;

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
  const fail = (error: unknown): void => exit(2, panicReport(error, tasks));

  proc.on("uncaughtException", fail);
  proc.on("beforeExit", () => {
    if (!finished) exit(2, deadlockReport(blocked === null ? [] : blocked.ops(), tracked, blocked ?? undefined, tasks));
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
