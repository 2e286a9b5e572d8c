/**
 * Contexts: Go's `context` package. Cancellation, deadlines and request-scoped
 * values that flow down a tree of contexts; `done()` is a channel usable in
 * select, and every context converts to and from an AbortSignal.
 *
 * Cancelling a context cancels its whole subtree, clears the deadline timers in
 * it and detaches it from its parent, so a long-lived parent does not accumulate
 * dead children. As in Go, the whole subtree is cancelled before anyone can
 * observe it: every context of it reports `err()`, has its `done()` closed and
 * its signal aborted before the first abort listener runs (see `abortTogether`). A deadline's host timer keeps a Node process alive only while
 * someone is blocked on the `done()` channel of that context or of one of its
 * descendants, or once its `signal` has been read (a signal's listeners cannot
 * be counted).
 *
 * @module
 */
import { Alarm, checkDuration, wallNow } from "./alarm.js";
import { currentBubble } from "./bubble-hook.js";
import { nilChan, type Chan, type RecvChan } from "./chan.js";
import { DISPOSE } from "./dispose.js";
import { describe } from "./errors.js";
import { watchedChan, type Watcher } from "./watched-chan.js";

/**
 * Base class of the errors a context reports from {@link Context.err}.
 *
 * @example
 * ```ts
 * import { background, withCancel, ContextError } from "@gochan/core";
 * const { ctx, cancel } = withCancel(background());
 * cancel();
 * console.log(ctx.err() instanceof ContextError); // true
 * ```
 */
export class ContextError extends Error {
  /** @internal */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The class of {@link Canceled}: the context was cancelled ("context canceled").
 *
 * @example
 * ```ts
 * import { background, withCancel, CanceledError } from "@gochan/core";
 * const { ctx, cancel } = withCancel(background());
 * cancel();
 * console.log(ctx.err() instanceof CanceledError); // true
 * ```
 */
export class CanceledError extends ContextError {
  /** @internal */
  constructor() {
    super("context canceled");
  }
}

/**
 * The class of {@link DeadlineExceeded}: the context's deadline passed
 * ("context deadline exceeded").
 *
 * @example
 * ```ts
 * import { background, withTimeout, DeadlineExceededError } from "@gochan/core";
 * const { ctx } = withTimeout(background(), 0);
 * console.log(ctx.err() instanceof DeadlineExceededError); // true
 * ```
 */
export class DeadlineExceededError extends ContextError {
  /** @internal */
  constructor() {
    super("context deadline exceeded");
  }

  /** Always true, like Go's `DeadlineExceeded.Timeout()`. */
  timeout(): boolean {
    return true;
  }
}

/**
 * Go's `context.Canceled`: what {@link Context.err} returns once a context was
 * cancelled. A single instance: compare with `===` as Go compares with `==`.
 *
 * @example
 * ```ts
 * import { background, withCancel, Canceled } from "@gochan/core";
 * const { ctx, cancel } = withCancel(background());
 * cancel();
 * console.log(ctx.err() === Canceled, String(ctx.err())); // true "CanceledError: context canceled"
 * ```
 */
export const Canceled: CanceledError = new CanceledError();

/**
 * Go's `context.DeadlineExceeded`: what {@link Context.err} returns once a
 * context's deadline passed. A single instance: compare with `===`.
 *
 * @example
 * ```ts
 * import { background, withTimeout, DeadlineExceeded } from "@gochan/core";
 * const { ctx } = withTimeout(background(), 10);
 * await ctx.done().recv();
 * console.log(ctx.err() === DeadlineExceeded); // true
 * ```
 */
export const DeadlineExceeded: DeadlineExceededError = new DeadlineExceededError();

/**
 * A typed key for {@link withValue}: `value(key)` then returns `T | undefined`.
 * Keys compare by identity, so two keys with the same name are distinct (Go's
 * advice of an unexported key type, made simple).
 *
 * @example
 * ```ts
 * import { background, withValue, ContextKey } from "@gochan/core";
 * const userKey = new ContextKey<string>("user");
 * const ctx = withValue(background(), userKey, "gopher");
 * const user: string | undefined = ctx.value(userKey);
 * console.log(user); // "gopher"
 * ```
 */
export class ContextKey<in out T> {
  /** A name for debugging (shown by `toString()`). */
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  /** `ContextKey(name)`. */
  toString(): string {
    return `ContextKey(${this.name})`;
  }

  /** @internal Never set: makes `T` part of the type. */
  declare readonly _phantom?: T;
}

/**
 * Go's `context.Context`: carries a cancellation signal, an optional deadline
 * and request-scoped values across API boundaries. Make one with
 * {@link background}, then derive with {@link withCancel}, {@link withTimeout},
 * {@link withDeadline}, {@link withValue} or {@link fromSignal}.
 *
 * @example
 * ```ts
 * import { type Context, Chan, select, recv } from "@gochan/core";
 * async function worker(ctx: Context, jobs: Chan<string>): Promise<void> {
 *   for (;;) {
 *     const r = await select([recv(ctx.done()), recv(jobs)]);
 *     if (r.index === 0) return; // cancelled: ctx.err() says why
 *     if (r.ok) console.log("job", r.value);
 *   }
 * }
 * ```
 */
export interface Context {
  /** When the context will be cancelled automatically, if it has a deadline. */
  deadline(): Date | undefined;
  /**
   * A channel closed when the context is cancelled, so a receive (or a
   * `recv(ctx.done())` select case) proceeds from then on, forever. Never-ending
   * contexts ({@link background}) return the nil channel, as in Go.
   */
  done(): RecvChan<never>;
  /** `undefined` while not cancelled, then {@link Canceled} or {@link DeadlineExceeded}. */
  err(): ContextError | undefined;
  /**
   * Why the context was cancelled (Go's `context.Cause(ctx)`): the cause passed
   * to its cancel function or its parent's, else the same as `err()`.
   */
  cause(): unknown;
  /** The value stored under `key` by {@link withValue} in this context or an ancestor. */
  value<T>(key: ContextKey<T>): T | undefined;
  /** The value stored under `key` (compared with `===`), or `undefined`. */
  value(key: unknown): unknown;
  /**
   * An AbortSignal aborted when the context is cancelled, with `cause()` as its
   * reason: hand it to `fetch` and other signal-aware APIs.
   */
  readonly signal: AbortSignal;
}

/**
 * What the `with*` functions return: Go's `(ctx, cancel)` pair. It is
 * disposable: `using scope = withTimeout(...)` calls `cancel()` when the scope
 * ends, Go's `defer cancel()`.
 *
 * @example
 * ```ts
 * import { background, withTimeout } from "@gochan/core";
 * async function handle(): Promise<void> {
 *   using scope = withTimeout(background(), 5000); // Go: defer cancel()
 *   const res = await fetch("/data", { signal: scope.ctx.signal });
 *   console.log(res.status);
 * }
 * ```
 */
export interface ContextWithCancel extends Disposable {
  /** The derived context. */
  readonly ctx: Context;
  /**
   * Cancels `ctx` and its descendants and releases their timers; idempotent.
   * Call it as soon as the work is done, even if the deadline will fire anyway.
   */
  readonly cancel: CancelFunc;
  /** `using`: calls `cancel()` (with no cause) when the scope ends. */
  [DISPOSE](): void;
}

/**
 * Cancels a context (Go's `CancelFunc`, merged with `CancelCauseFunc`): `err()`
 * becomes {@link Canceled} and `cause()` becomes `cause` if given. Calls after the
 * first do nothing.
 */
export type CancelFunc = (cause?: unknown) => void;

let neverAborted: AbortSignal | null = null;

/**
 * While true, the first listener of every context signal stops the abort event
 * from reaching the others. A cancel aborts all the signals of its subtree in
 * this state, so every one of them reads `aborted` before any user listener
 * runs, then dispatches the abort event again on each, holding nothing back.
 * (JavaScript cannot set a signal's `aborted` without dispatching its event.)
 */
let holding = false;

function holdAbort(event: Event): void {
  if (holding) event.stopImmediatePropagation();
}

/** `context.Background()` / `context.TODO()`: never cancelled, no values, no deadline. */
class EmptyCtx implements Context {
  readonly #label: string;
  constructor(label: string) {
    this.#label = label;
  }
  deadline(): Date | undefined {
    return undefined;
  }
  done(): RecvChan<never> {
    return nilChan<never>();
  }
  err(): ContextError | undefined {
    return undefined;
  }
  cause(): unknown {
    return undefined;
  }
  value(): undefined {
    return undefined;
  }
  get signal(): AbortSignal {
    return (neverAborted ??= new AbortController().signal);
  }
  toString(): string {
    return `context.${this.#label}`;
  }
}

/** Go's `valueCtx`: one key/value pair on top of a parent. */
class ValueCtx implements Context {
  readonly parent: Context;
  readonly key: unknown;
  readonly val: unknown;
  constructor(parent: Context, key: unknown, val: unknown) {
    this.parent = parent;
    this.key = key;
    this.val = val;
  }
  deadline(): Date | undefined {
    return this.parent.deadline();
  }
  done(): RecvChan<never> {
    return this.parent.done();
  }
  err(): ContextError | undefined {
    return this.parent.err();
  }
  cause(): unknown {
    return this.parent.cause();
  }
  value(key: unknown): unknown {
    return lookup(this, key);
  }
  get signal(): AbortSignal {
    return this.parent.signal;
  }
  toString(): string {
    return `${String(this.parent)}.WithValue(${describeKey(this.key)}, ${describe(this.val)})`;
  }
}

function describeKey(key: unknown): string {
  return key instanceof ContextKey ? key.toString() : describe(key);
}

/** Walks the chain iteratively (no recursion depth limit on long chains). */
function lookup(ctx: Context, key: unknown): unknown {
  let c: Context = ctx;
  for (;;) {
    if (c instanceof ValueCtx) {
      if (c.key === key) return c.val;
      c = c.parent;
    } else if (c instanceof CancelCtx) {
      c = c.parent;
    } else {
      return c.value(key);
    }
  }
}

function isTimeoutReason(reason: unknown): boolean {
  return typeof reason === "object" && reason !== null && (reason as { name?: unknown }).name === "TimeoutError";
}

/** Go's `cancelCtx` and `timerCtx` in one: cancellable, maybe with a deadline. */
class CancelCtx implements Context, Watcher {
  readonly parent: Context;
  readonly #deadline: Date | undefined;
  readonly #label: string;
  #err: ContextError | undefined = undefined;
  #cause: unknown = undefined;
  #done: Chan<never> | null = null;
  #children: Set<CancelCtx> | null = null;
  /** The ancestor whose `#children` holds this context, while attached. */
  #attached: CancelCtx | null = null;
  /** Detaches listeners on a foreign parent or an AbortSignal. */
  #release: (() => void) | null = null;
  #alarm: Alarm | null = null;
  /** Own blocked done() receivers (0 or 1) + attached children with watchers. */
  #watchers = 0;
  #signal: AbortController | null = null;
  /** The synctest bubble this context was made in: its done channel belongs there too. */
  readonly #bubble = currentBubble;

  constructor(parent: Context, deadline: Date | undefined, label: string) {
    this.parent = parent;
    this.#deadline = deadline;
    this.#label = label;
  }

  /** Hooks this context to its parent's cancellation (Go's propagateCancel). */
  propagate(): void {
    let p: Context = this.parent;
    while (p instanceof ValueCtx) p = p.parent;
    if (p instanceof EmptyCtx) return;
    if (p instanceof CancelCtx) {
      if (p.#err !== undefined) {
        this.cancel(p.#err, p.#cause, false);
        return;
      }
      (p.#children ??= new Set()).add(this);
      this.#attached = p;
      return;
    }
    // A Context implemented elsewhere: wait on its done channel, withdrawing the
    // wait when this context ends first.
    const foreign = p;
    const done = foreign.done();
    if (done === nilChan<never>()) return;
    if (done.tryRecv() !== undefined) {
      this.cancel(foreign.err() ?? Canceled, foreign.cause(), false);
      return;
    }
    const stop = new AbortController();
    done.recv(stop.signal).then(
      () => this.cancel(foreign.err() ?? Canceled, foreign.cause(), false),
      () => {},
    );
    this.addRelease(() => stop.abort());
  }

  addRelease(release: () => void): void {
    const previous = this.#release;
    this.#release =
      previous === null
        ? release
        : () => {
            previous();
            release();
          };
  }

  /** Arms the deadline timer, `ms` from now. */
  arm(ms: number): void {
    if (this.#err !== undefined) return;
    const alarm = new Alarm(() => this.cancel(DeadlineExceeded, undefined, false), this.#watchers > 0);
    this.#alarm = alarm;
    alarm.start(ms);
  }

  cancel(err: ContextError, cause: unknown, fromParent: boolean): void {
    if (this.#err !== undefined) return;
    const signaled: CancelCtx[] = [];
    this.#cancelTree(err, cause, fromParent, signaled);
    if (signaled.length > 0) CancelCtx.#abortTogether(signaled);
  }

  /**
   * Cancels this context and its descendants without running any user code;
   * collects those whose signal exists, in tree order (parents first).
   */
  #cancelTree(err: ContextError, cause: unknown, fromParent: boolean, signaled: CancelCtx[]): void {
    this.#err = err;
    this.#cause = cause ?? err;
    const alarm = this.#alarm;
    if (alarm !== null) {
      this.#alarm = null;
      alarm.stop();
    }
    const parent = this.#attached;
    if (parent !== null) {
      this.#attached = null;
      if (!fromParent && parent.#children !== null) parent.#children.delete(this);
      if (this.#watchers > 0) parent.#unwatch();
    }
    const release = this.#release;
    if (release !== null) {
      this.#release = null;
      release();
    }
    // Whoever cancels (a parent, a deadline, a cancel func) may be outside the
    // bubble the channel belongs to: this close is the context's own.
    if (this.#done !== null) this.#done._close();
    if (this.#signal !== null) signaled.push(this);
    const children = this.#children;
    this.#children = null;
    if (children !== null) {
      for (const child of children) if (child.#err === undefined) child.#cancelTree(err, this.#cause, true, signaled);
    }
  }

  /** Aborts the signals of a cancelled subtree: all of them before any user listener runs. */
  static #abortTogether(signaled: CancelCtx[]): void {
    const outer = holding;
    holding = true;
    try {
      for (const c of signaled) (c.#signal as AbortController).abort(c.#cause);
    } finally {
      holding = outer;
    }
    for (const c of signaled) (c.#signal as AbortController).signal.dispatchEvent(new Event("abort"));
  }

  #watch(): void {
    if (this.#watchers++ === 0) {
      if (this.#alarm !== null) this.#alarm.setRef(true);
      if (this.#attached !== null) this.#attached.#watch();
    }
  }

  #unwatch(): void {
    if (--this.#watchers === 0) {
      if (this.#alarm !== null) this.#alarm.setRef(false);
      if (this.#attached !== null) this.#attached.#unwatch();
    }
  }

  /** Watcher: a receive is blocked on this context's done channel. */
  watched(): void {
    this.#watch();
  }

  /** Watcher: no receive is blocked on this context's done channel any more. */
  unwatched(): void {
    this.#unwatch();
  }

  deadline(): Date | undefined {
    return this.#deadline ?? this.parent.deadline();
  }

  done(): RecvChan<never> {
    let d = this.#done;
    if (d === null) {
      d = this.#done = watchedChan<never>(this, "context.Done");
      d._bubble = this.#bubble;
      if (this.#err !== undefined) d.close();
    }
    return d;
  }

  err(): ContextError | undefined {
    return this.#err;
  }

  cause(): unknown {
    return this.#cause;
  }

  value(key: unknown): unknown {
    return lookup(this.parent, key);
  }

  get signal(): AbortSignal {
    let c = this.#signal;
    if (c === null) {
      c = this.#signal = new AbortController();
      // Before any user listener can be added: see `holding`.
      c.signal.addEventListener("abort", holdAbort);
      if (this.#err !== undefined) c.abort(this.#cause);
      // Whoever listens to the signal cannot be counted: from now on the deadline
      // timer keeps the process alive, as a plain setTimeout would.
      else this.#watch();
    }
    return c.signal;
  }

  toString(): string {
    return `${String(this.parent)}.${this.#label}`;
  }
}

const backgroundCtx = new EmptyCtx("Background");
const todoCtx = new EmptyCtx("TODO");

/**
 * Go's `context.Background()`: the root of every context tree. Never cancelled,
 * no deadline, no values; its `done()` is the nil channel and its `signal` never
 * aborts.
 *
 * @example
 * ```ts
 * import { background, withTimeout } from "@gochan/core";
 * const { ctx, cancel } = withTimeout(background(), 5000);
 * try {
 *   // ... pass ctx down
 * } finally {
 *   cancel();
 * }
 * ```
 */
export function background(): Context {
  return backgroundCtx;
}

/**
 * Go's `context.TODO()`: like {@link background}, for code where the right
 * context is not clear yet.
 *
 * @example
 * ```ts
 * import { todo } from "@gochan/core";
 * const ctx = todo(); // to be replaced by the caller's context
 * console.log(String(ctx)); // "context.TODO"
 * ```
 */
export function todo(): Context {
  return todoCtx;
}

function checkParent(parent: unknown, who: string): Context {
  if (parent == null) throw new TypeError(`${who}: cannot create context from nil parent`);
  if (typeof (parent as Context).done !== "function" || typeof (parent as Context).err !== "function") {
    throw new TypeError(`${who}: parent must be a Context, got ${describe(parent)}`);
  }
  return parent as Context;
}

/** The `(ctx, cancel)` pair of `c`; disposing it cancels `c` with no cause. */
function pairOf(c: CancelCtx): ContextWithCancel {
  const cancel: CancelFunc = (cause?: unknown) => c.cancel(Canceled, cause, false);
  return { ctx: c, cancel, [DISPOSE]: () => c.cancel(Canceled, undefined, false) };
}

/**
 * Go's `context.WithCancel` (and `WithCancelCause`): a child of `parent` that is
 * cancelled when `cancel` is called or when `parent` is, whichever comes first.
 * `cancel(cause)` records a cause for {@link Context.cause}.
 *
 * @throws TypeError if `parent` is not a Context.
 *
 * @example
 * ```ts
 * import { background, withCancel, go } from "@gochan/core";
 * const { ctx, cancel } = withCancel(background());
 * go(async () => {
 *   await ctx.done().recv();
 *   console.log("stopping:", ctx.err()?.message); // "context canceled"
 * });
 * cancel();
 * ```
 */
export function withCancel(parent: Context): ContextWithCancel {
  const p = checkParent(parent, "withCancel");
  const c = new CancelCtx(p, undefined, "WithCancel");
  c.propagate();
  return pairOf(c);
}

const MAX_DATE = 8.64e15;

function makeDeadline(parent: Context, at: number, inMs: number, label: string): ContextWithCancel {
  const current = parent.deadline();
  if (current !== undefined && current.getTime() < at) {
    // The parent ends first anyway: no timer of our own (as Go does).
    const c = new CancelCtx(parent, undefined, label);
    c.propagate();
    return pairOf(c);
  }
  const c = new CancelCtx(parent, new Date(at), label);
  c.propagate();
  if (inMs <= 0) c.cancel(DeadlineExceeded, undefined, false);
  else c.arm(inMs);
  return pairOf(c);
}

/**
 * Go's `context.WithDeadline`: a child of `parent` that is also cancelled, with
 * {@link DeadlineExceeded}, at `deadline` (a Date or epoch milliseconds). If the
 * parent's deadline is earlier, the child simply inherits it. A deadline already
 * past gives a context cancelled at once. `cancel` releases the timer.
 *
 * @throws TypeError if `parent` is not a Context or `deadline` is not a valid
 *   Date or a finite number.
 *
 * @example
 * ```ts
 * import { background, withDeadline } from "@gochan/core";
 * const { ctx, cancel } = withDeadline(background(), new Date(Date.now() + 2000));
 * console.log(ctx.deadline()); // two seconds from now
 * cancel();
 * ```
 */
export function withDeadline(parent: Context, deadline: Date | number): ContextWithCancel {
  const p = checkParent(parent, "withDeadline");
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (typeof at !== "number" || !Number.isFinite(at) || Math.abs(at) > MAX_DATE) {
    throw new TypeError(
      `withDeadline: deadline must be a valid Date or epoch milliseconds, got ${describe(deadline)} (${typeof deadline})`,
    );
  }
  return makeDeadline(p, at, at - wallNow(), "WithDeadline");
}

/**
 * Go's `context.WithTimeout`: `withDeadline(parent, now + ms)`. Negative
 * durations count as 0 (cancelled at once); `Infinity` means no deadline.
 *
 * @throws TypeError if `parent` is not a Context or `ms` is not a number or NaN.
 *
 * @example
 * ```ts
 * import { background, withTimeout, select, recv, Chan, DeadlineExceeded } from "@gochan/core";
 * const replies = new Chan<string>();
 * const { ctx, cancel } = withTimeout(background(), 100);
 * const r = await select([recv(replies), recv(ctx.done())]);
 * cancel();
 * if (r.index === 1) console.log(ctx.err() === DeadlineExceeded); // true
 * ```
 */
export function withTimeout(parent: Context, ms: number): ContextWithCancel {
  const p = checkParent(parent, "withTimeout");
  const d = checkDuration(ms, "withTimeout");
  const at = wallNow() + d;
  if (!(at <= MAX_DATE)) {
    const c = new CancelCtx(p, undefined, "WithTimeout");
    c.propagate();
    return pairOf(c);
  }
  return makeDeadline(p, at, d, "WithTimeout");
}

/**
 * Go's `context.WithValue`: a child of `parent` carrying `value` under `key`
 * (compared with `===`). Use a {@link ContextKey} for a typed lookup. Values are
 * for request-scoped data, not for optional parameters.
 *
 * @throws TypeError if `parent` is not a Context or `key` is null or undefined
 *   (Go: "nil key").
 *
 * @example
 * ```ts
 * import { background, withValue, ContextKey } from "@gochan/core";
 * const requestId = new ContextKey<number>("requestId");
 * const ctx = withValue(background(), requestId, 42);
 * console.log(ctx.value(requestId)); // 42
 * ```
 */
export function withValue<T>(parent: Context, key: ContextKey<T>, value: T): Context;
/** Untyped form: any non-null key that is not a {@link ContextKey} (those are typed). */
export function withValue<K>(
  parent: Context,
  key: K extends ContextKey<infer _> ? never : K,
  value: unknown,
): Context;
export function withValue(parent: Context, key: unknown, value: unknown): Context {
  const p = checkParent(parent, "withValue");
  if (key == null) throw new TypeError(`withValue: nil key (${String(key)})`);
  return new ValueCtx(p, key, value);
}

/**
 * A context cancelled when `signal` aborts (or `parent` is cancelled): the way
 * from an AbortSignal into a context tree. `cause()` is the signal's reason;
 * `err()` is {@link DeadlineExceeded} if that reason is a "TimeoutError" (as
 * `AbortSignal.timeout()` gives), else {@link Canceled}. `cancel` cancels the
 * context and removes its listener from `signal`. The other way is
 * {@link Context.signal}.
 *
 * @throws TypeError if `signal` is not an AbortSignal or `parent` not a Context.
 *
 * @example
 * ```ts
 * import { fromSignal } from "@gochan/core";
 * const { ctx, cancel } = fromSignal(AbortSignal.timeout(1000));
 * await ctx.done().recv();
 * console.log(ctx.err()?.message); // "context deadline exceeded"
 * cancel();
 * ```
 */
export function fromSignal(signal: AbortSignal, parent: Context = backgroundCtx): ContextWithCancel {
  const p = checkParent(parent, "fromSignal");
  if (
    signal == null ||
    typeof signal.addEventListener !== "function" ||
    typeof (signal as { aborted?: unknown }).aborted !== "boolean"
  ) {
    throw new TypeError(`fromSignal: expected an AbortSignal, got ${describe(signal)}`);
  }
  const c = new CancelCtx(p, undefined, "WithSignal");
  c.propagate();
  const abort = (): void => c.cancel(isTimeoutReason(signal.reason) ? DeadlineExceeded : Canceled, signal.reason, false);
  if (signal.aborted) {
    abort();
  } else if (c.err() === undefined) {
    signal.addEventListener("abort", abort, { once: true });
    c.addRelease(() => signal.removeEventListener("abort", abort));
  }
  return pairOf(c);
}
