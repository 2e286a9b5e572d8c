/**
 * The boundary between admission and storage: a queue of acknowledged payloads.
 *
 * Admission (server.ts) decides whether a request may come in and answers it;
 * a {@link PayloadQueue} holds what was admitted until a delivery stores or
 * dead-letters it; the sink (sink.ts) stores. A 202 is sent once `offer`
 * returned true, so what a 202 guarantees is what the queue guarantees: the
 * in-memory queue (pool-queue.ts) holds payloads in the process's memory.
 *
 * @module
 */

/**
 * A queue of payloads between admission and the sink.
 *
 * Contract: `offer` takes all of the payloads or none of them (never part of a
 * request); `free` is how many more it would take now; after `drain` begins,
 * `offer` takes nothing, and `drain` resolves once every payload it took is
 * stored or dead-lettered (by the deadline, what is left is dead-lettered).
 *
 * @example
 * ```ts
 * function admit(queue: PayloadQueue, payloads: readonly object[]): number {
 *   return queue.offer(payloads) ? 202 : 503;
 * }
 * ```
 */
export interface PayloadQueue {
  /** Human-readable, e.g. `memory (pool of 2048 workers, 20000 slots)`. */
  readonly description: string;
  /** Payloads it would take now. */
  free(): number;
  /** Takes every payload, or none; false if they did not all fit. */
  offer(payloads: readonly unknown[]): boolean;
  /**
   * Takes nothing more; resolves once everything taken is stored or
   * dead-lettered. After `deadlineMs`, what is left is dead-lettered.
   */
  drain(deadlineMs: number): Promise<void>;
}
