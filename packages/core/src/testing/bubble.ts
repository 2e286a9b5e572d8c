/**
 * A synctest bubble: the test's function and every task it starts, run
 * against a virtual clock that moves only when all of them are blocked.
 *
 * Which operations belong to the bubble: JavaScript has no goroutine identity
 * and core must run where `AsyncLocalStorage` does not exist, so the bubble is
 * simply *current* from the moment {@link test} starts it until it ends (see
 * bubble-hook.ts). Only one bubble runs at a time, and everything gochan does
 * meanwhile belongs to it: channels, timers and contexts made meanwhile are
 * stamped with it, and channel operations that cross its boundary are refused.
 *
 * When the bubble is blocked: every task of the bubble runs on microtasks
 * (channel hand-offs, timer fires, `go()` starts are all promise reactions),
 * so once a macrotask turn finds the microtask queue drained, with no deferred
 * fairness flush of gochan's scheduler pending, every task is waiting for
 * something. If nothing the bubble cannot see is in flight ({@link external}),
 * that something is a channel operation, a timer, or a promise that only the
 * bubble's own tasks could settle: the bubble is durably blocked. It then
 * releases {@link wait}ers, or ends the test if the function has returned, or
 * advances the clock to the next timer, or, with no timer left, reports a
 * deadlock.
 *
 * @internal
 * @module
 */
import { setCurrentBubble, type BubbleHook, type VirtualTimer } from "../bubble-hook.js";
import { panic, spawnSites } from "../go.js";
import { BlockedOps, deadlockReport, userFrames } from "../run.js";
import { configureScheduling, type SchedulingOptions } from "../scheduling.js";
import { trace, type TraceHook } from "../trace.js";
import type { Waiter, WaiterQueue } from "../waiter.js";
import { Choices } from "./choices.js";
import { DeadlockError, LeakedTasksError } from "./errors.js";
import { VirtualClock } from "./virtual-clock.js";

/** Go's synctest deadlock messages. */
const ALL_BLOCKED = "deadlock: all goroutines in bubble are blocked";
const MAIN_EXITED = "deadlock: main bubble goroutine has exited but blocked goroutines remain";

/** A macrotask turn of the host, captured at load (fake timers installed later do not apply). */
const hop: () => Promise<void> = (() => {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown; MessageChannel?: typeof MessageChannel };
  const si = g.setImmediate;
  if (typeof si === "function") return () => new Promise<void>((resolve) => void si(resolve));
  if (typeof g.MessageChannel === "function") {
    const mc = new g.MessageChannel();
    const queue: (() => void)[] = [];
    mc.port1.onmessage = () => (queue.shift() as () => void)();
    return () =>
      new Promise<void>((resolve) => {
        queue.push(resolve);
        mc.port2.postMessage(0);
      });
  }
  const st = globalThis.setTimeout;
  return () => new Promise<void>((resolve) => void st(resolve, 0));
})();

/** The bubble's settings; see `BubbleOptions` in index.ts for the documented form. */
export interface BubbleSettings {
  readonly choices: number | readonly number[];
  readonly start: number;
  readonly callSites: boolean;
}

export class Bubble implements BubbleHook {
  readonly #clock: VirtualClock;
  readonly #choices: Choices;
  readonly #blocked: BlockedOps;
  readonly #callSites: boolean;
  /** Live `go()` tasks, with where each was started (null: not recorded). */
  readonly #tasks = new Map<object, Error | null>();
  /** The first error of the function or of a task: it fails the test. */
  #failure: { readonly error: unknown } | null = null;
  /** Resolvers of pending {@link wait} calls. */
  #waiters: (() => void)[] = [];
  /** Promises from outside the bubble in flight ({@link external}). */
  #externals = 0;
  #externalSettled: (() => void) | null = null;
  /** Fairness flushes of gochan's scheduler not yet run: the bubble is not idle. */
  #flushes = 0;
  #ended = false;
  #restore: (() => void) | null = null;

  constructor(settings: BubbleSettings) {
    this.#clock = new VirtualClock(settings.start);
    this.#choices = new Choices(settings.choices);
    this.#callSites = settings.callSites;
    this.#blocked = new BlockedOps(settings.callSites);
  }

  // ---- BubbleHook: what core asks of the running bubble ----

  now(): number {
    return this.#clock.now();
  }

  arm(timer: VirtualTimer, ms: number): void {
    this.#clock.arm(timer, ms);
  }

  disarm(timer: VirtualTimer): void {
    this.#clock.disarm(timer);
  }

  random(): number {
    return this.#choices.random();
  }

  spawned(site: Error | null): object {
    const task = {};
    this.#tasks.set(task, site);
    return task;
  }

  exited(task: object, failed: boolean, error: unknown): void {
    const site = this.#tasks.get(task) ?? null;
    this.#tasks.delete(task);
    if (!failed) return;
    // A task that outlived its bubble has no test left to fail: never lose it.
    if (this.#ended) panic(error, site);
    else this.fail(error);
  }

  reorder(queue: WaiterQueue): void {
    if (queue.size < 2) return;
    const ws: Waiter[] = [];
    for (let w = queue.head; w !== null; w = w.next) ws.push(w);
    // Relink in the chosen order; the queue's members and size stay the same.
    let prev: Waiter | null = null;
    while (ws.length > 0) {
      const w = ws.splice(this.#choices.choose(ws.length), 1)[0] as Waiter;
      w.prev = prev;
      w.next = null;
      if (prev === null) queue.head = w;
      else prev.next = w;
      prev = w;
    }
    queue.tail = prev;
  }

  // ---- The test's side ----

  /** Records the first failure; the driver throws it at the next idle point. */
  fail(error: unknown): void {
    if (this.#failure === null) this.#failure = { error };
  }

  /** Resolves once every other task of the bubble is blocked. */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Tracks a promise from outside the bubble until it settles. */
  external<T>(p: PromiseLike<T>): Promise<T> {
    this.#externals++;
    const done = (): void => {
      this.#externals--;
      const wake = this.#externalSettled;
      this.#externalSettled = null;
      if (wake !== null) wake();
    };
    return Promise.resolve(p).finally(done);
  }

  /** Makes this bubble the current one and installs its hooks. */
  enter(): void {
    const previousHook: TraceHook | null = trace.hook;
    const previousSites = spawnSites.enabled;
    setCurrentBubble(this);
    trace.hook = this.#blocked;
    spawnSites.enabled = this.#callSites;
    let previous: Required<SchedulingOptions> | null = null;
    const count = (fn: () => void): void => {
      this.#flushes++;
      (previous as Required<SchedulingOptions>).macrotask(() => {
        this.#flushes--;
        fn();
      });
    };
    previous = configureScheduling({ macrotask: count });
    this.#restore = () => {
      configureScheduling({ macrotask: (previous as Required<SchedulingOptions>).macrotask });
      spawnSites.enabled = previousSites;
      trace.hook = previousHook;
      setCurrentBubble(null);
    };
  }

  /** Ends the bubble: stops its timers and removes its hooks. */
  leave(): void {
    this.#ended = true;
    this.#clock.stop();
    const restore = this.#restore;
    this.#restore = null;
    if (restore !== null) restore();
  }

  /** Runs the bubble until `main` has settled and everything it started has finished. */
  async drive(main: Promise<unknown>): Promise<void> {
    let returned = false;
    main.then(
      () => {
        returned = true;
      },
      (e: unknown) => this.fail(e),
    );
    for (;;) {
      do await hop();
      while (this.#flushes > 0);
      if (this.#failure !== null) throw this.#failure.error;
      if (this.#externals > 0) {
        await new Promise<void>((resolve) => (this.#externalSettled = resolve));
        continue;
      }
      if (this.#waiters.length > 0) {
        const ws = this.#waiters;
        this.#waiters = [];
        for (const resolve of ws) resolve();
        continue;
      }
      if (returned) {
        if (this.#blocked.size > 0 || this.#tasks.size > 0) {
          throw new LeakedTasksError(this.#report(MAIN_EXITED), this.#blocked.size, this.#tasks.size);
        }
        return;
      }
      if (this.#clock.advance(this.#choices)) continue;
      throw new DeadlockError(this.#report(ALL_BLOCKED), this.#blocked.size);
    }
  }

  /** run()'s deadlock report under `title`, plus the `go()` tasks still running. */
  #report(title: string): string {
    let out = `${title}\n`;
    if (this.#blocked.size > 0 || title === ALL_BLOCKED) {
      const full = deadlockReport(this.#blocked.ops(), true);
      out = title + full.slice(full.indexOf("\n"));
    }
    if (this.#blocked.size === 0 && this.#tasks.size === 0) {
      out += "(a promise from outside the bubble, such as real I/O, must be wrapped in synctest.external())\n";
    }
    if (this.#tasks.size > 0) {
      out += `\n${this.#tasks.size} go() task(s) still running:\n`;
      for (const site of this.#tasks.values()) {
        if (site === null) {
          out += "created by go() (call site not recorded: callSites is false)\n";
          continue;
        }
        const frames = userFrames(site);
        out += `created by go()\n${frames.length > 0 ? frames.join("\n") : "\t(no call site outside gochan)"}\n`;
      }
    }
    return out;
  }
}
