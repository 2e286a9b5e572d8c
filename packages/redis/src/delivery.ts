/**
 * One delivered entry and its settlement: acknowledged (done, removed from the
 * stream) or released (to be delivered again). A delivery settles once; the
 * receiver's engine is the one place that does it.
 *
 * @module
 */

/**
 * Options of {@link Delivery.nack}.
 *
 * @example
 * ```ts
 * import type { NackOptions } from "@gochan/redis";
 * const later: NackOptions = { delayMs: 5_000 };
 * ```
 */
export interface NackOptions {
  /**
   * Wait at least this long before the entry is delivered again (rounded up to
   * the receivers' claim interval; at most `claimIdleMs`). Default 0: at the
   * next claim scan.
   */
  readonly delayMs?: number;
}

/** What settles deliveries: the receiver's engine. @internal */
export interface Settler {
  ack(delivery: Delivery<unknown>): Promise<boolean>;
  nack(delivery: Delivery<unknown>, delayMs: number): Promise<boolean>;
}

/**
 * An entry received from a stream, with what it takes to finish it. Receiving
 * it does not remove it from Redis: it stays pending, owned by this consumer,
 * until {@link Delivery.ack} (processed: remove it) or {@link Delivery.nack}
 * (failed: deliver it again, up to `maxDeliveries` times, then dead-letter it).
 * If the process dies first, another receiver claims it after `claimIdleMs`:
 * delivery is at least once, so make the work idempotent (key it by
 * {@link Delivery.id} or by an id inside the value).
 *
 * @typeParam T - the value's type.
 *
 * @example
 * ```ts
 * import { RedisReceiver } from "@gochan/redis";
 * const receiver = new RedisReceiver<{ name: string }>({ redis: "redis://127.0.0.1:6379", key: "jobs" });
 * for await (const delivery of receiver.messages) {
 *   try {
 *     console.log(delivery.value.name, "delivery", delivery.deliveries);
 *     await delivery.ack();
 *   } catch {
 *     await delivery.nack({ delayMs: 1000 });
 *   }
 * }
 * ```
 */
export class Delivery<out T> {
  /** The entry's stream id (unique in the stream, e.g. `"1700000000000-0"`). */
  readonly id: string;
  /** The decoded value. */
  readonly value: T;
  /** How many times the entry has been delivered, this time included (1 the first time). */
  readonly deliveries: number;
  readonly #settler: Settler;
  #settled: Promise<boolean> | null = null;

  /** @internal */
  constructor(settler: Settler, id: string, value: T, deliveries: number) {
    this.#settler = settler;
    this.id = id;
    this.value = value;
    this.deliveries = deliveries;
  }

  /** True once {@link Delivery.ack} or {@link Delivery.nack} was called. */
  get settled(): boolean {
    return this.#settled !== null;
  }

  /**
   * Acknowledges the entry: Redis forgets it (XACK, then XDEL, in one script).
   * Resolves true once done, false if the entry was no longer this consumer's
   * (it sat idle past `claimIdleMs` and another receiver claimed it: it will be
   * processed there too). If the connection drops, the ack is retried after
   * reconnection (it is idempotent; a retry is never counted twice); it rejects
   * with {@link ConnectionLostError} only if the receiver is disconnected first,
   * and the entry is then delivered again later. Only the first
   * `ack`/`nack` counts: later calls return its promise.
   */
  ack(): Promise<boolean> {
    if (this.#settled === null) this.#settled = this.#settler.ack(this);
    return this.#settled;
  }

  /**
   * Gives the entry back: it will be delivered again (to any receiver of the
   * group) after `delayMs`, counting one more delivery; past `maxDeliveries` it
   * goes to the dead-letter stream. Resolves true once released, false if it was
   * no longer this consumer's. Only the first `ack`/`nack` counts.
   *
   * @throws RangeError (as a rejection) if `delayMs` is not a non-negative number.
   */
  nack(options?: NackOptions): Promise<boolean> {
    if (this.#settled === null) {
      const delayMs = options?.delayMs ?? 0;
      if (typeof delayMs !== "number" || !(delayMs >= 0)) {
        return Promise.reject(new RangeError(`Delivery.nack: delayMs must be a non-negative number, got ${String(delayMs)}`));
      }
      this.#settled = this.#settler.nack(this, delayMs);
    }
    return this.#settled;
  }
}
