/**
 * The in-memory {@link PayloadQueue}: one `@gochan/pool` job per payload, each
 * running a {@link Delivery}. What it holds lives in this process: a kill -9
 * loses up to `maxQueue` queued plus `maxWorkers` in-flight payloads.
 *
 * Admission is all or nothing without a lock: `offer` reads the pool's metrics
 * and calls `trySubmit` once per payload in one synchronous block, so no other
 * request takes the space in between and no job starts before the block ends
 * (a pool never runs a job inside the submit call). Should a `trySubmit` throw
 * part-way anyway, the jobs already queued for the request are revoked before
 * any of them runs.
 *
 * @module
 */
import { Pool, QueueFullError } from "@gochan/pool";
import type { Delivery } from "./delivery.js";
import type { PayloadQueue } from "./queue.js";

/** The admission of one request's payloads; revoked if it could not be completed. */
interface Admission {
  revoked: boolean;
}

/**
 * Payloads queued in a pool whose workers deliver them.
 *
 * @example
 * ```ts
 * const queue = new PoolQueue(new Pool({ maxWorkers: 2048, maxQueue: 20_000 }), delivery, (e) => console.error(e));
 * queue.offer([{ id: 1 }]); // true
 * await queue.drain(25_000);
 * ```
 */
export class PoolQueue implements PayloadQueue {
  readonly description: string;
  readonly pool: Pool;
  readonly #delivery: Delivery;
  readonly #onLost: (error: unknown) => void;

  /** @param onLost - called for each payload the delivery lost (its promise rejected). */
  constructor(pool: Pool, delivery: Delivery, onLost: (error: unknown) => void) {
    this.pool = pool;
    this.#delivery = delivery;
    this.#onLost = onLost;
    const m = pool.metrics();
    this.description = `memory (pool of ${m.maxWorkers} workers, ${m.maxQueue} slots)`;
  }

  free(): number {
    const m = this.pool.metrics();
    // trySubmit succeeds while queued + blockedSubmitters < maxQueue, and each
    // call takes at most one slot (a job handed to an idle worker takes none).
    return m.blockedSubmitters > 0 ? 0 : m.maxQueue - m.queued;
  }

  offer(payloads: readonly unknown[]): boolean {
    const n = payloads.length;
    if (n > this.free()) return false;
    const request: Admission = { revoked: false };
    const delivery = this.#delivery;
    try {
      for (let i = 0; i < n; i++) {
        const payload = payloads[i];
        this.pool.trySubmit(() => (request.revoked ? undefined : delivery.deliver(payload))).then(undefined, this.#onLost);
      }
    } catch (error) {
      request.revoked = true;
      if (error instanceof QueueFullError) return false;
      throw error;
    }
    return true;
  }

  async drain(deadlineMs: number): Promise<void> {
    const timer = setTimeout(() => this.#delivery.expire(), deadlineMs);
    try {
      await this.pool.stopAndWait();
    } finally {
      clearTimeout(timer);
    }
    await this.#delivery.settled();
  }
}
