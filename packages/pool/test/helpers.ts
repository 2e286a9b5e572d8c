/** Shared test helpers for @gochan/pool. */
import type { Pool, PoolMetrics } from "@gochan/pool";

/** A promise with its resolvers. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending microtask and one macrotask turn run. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Several macrotask turns: enough for job chains of a few awaits to settle. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await turn();
}

/** What a promise has become so far: "pending", or its outcome. */
export type State<T> = { state: "pending" } | { state: "fulfilled"; value: T } | { state: "rejected"; reason: unknown };

/** Observes a promise without leaving it unhandled. */
export function observe<T>(p: Promise<T>): { readonly current: State<T> } {
  const box: { current: State<T> } = { current: { state: "pending" } };
  p.then(
    (value) => {
      box.current = { state: "fulfilled", value };
    },
    (reason: unknown) => {
      box.current = { state: "rejected", reason };
    },
  );
  return box;
}

/** The metrics invariant that holds once a pool is drained. */
export function balanced(m: PoolMetrics): boolean {
  return m.succeeded + m.failed + m.cancelled + m.dropped === m.submitted && m.completed === m.succeeded + m.failed;
}

/** A job that waits until released (ignoring its signal unless told). */
export function gate(): { job: (signal: AbortSignal) => Promise<void>; release: () => void; started: () => number } {
  const d = deferred();
  let started = 0;
  return {
    job: async () => {
      started++;
      await d.promise;
    },
    release: () => d.resolve(),
    started: () => started,
  };
}

/** Stops a pool and waits, for afterEach. */
export async function shutdown(pool: Pool): Promise<void> {
  await pool.stop();
}
