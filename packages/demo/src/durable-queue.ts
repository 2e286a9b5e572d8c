/**
 * Where the payload server puts accepted payloads when they do not go to its
 * in-process pool: a durable queue other processes consume (`QUEUE=redis`).
 *
 * @module
 */

/**
 * A queue outside the process that the server admits payloads to, all or
 * none, asynchronously (queue.ts's PayloadQueue is the in-process, synchronous kind).
 *
 * @example
 * ```ts
 * const queue: DurableQueue = {
 *   description: "memory",
 *   offer: async (payloads) => payloads.length < 100,
 *   close: async () => undefined,
 * };
 * ```
 */
export interface DurableQueue {
  /** Human-readable target, e.g. `redis://127.0.0.1:6379 gochan-demo:payloads`. */
  readonly description: string;
  /**
   * Adds every payload, or none: resolves true once the queue holds them all
   * durably (the server then answers 202), false if they do not fit (503).
   * Rejects with a TypeError for payloads the queue cannot take (400), any
   * other error if the queue is unreachable (503).
   */
  offer(payloads: readonly unknown[]): Promise<boolean>;
  /** Releases the queue's connections; what it holds stays queued. */
  close(): Promise<void>;
}
