/**
 * Delivery: one acknowledged payload's way into the sink, failing closed.
 *
 * The ladder every payload climbs: the drain deadline has passed? dead-letter
 * it -> put it into the sink -> stored? report success to the breaker, done ->
 * failed: report the failure; attempts left? wait a jittered backoff and try
 * again -> dead-letter it with the last error. {@link Delivery.deliver} rejects
 * only if the dead-letter file cannot take the payload either: then, and only
 * then, an acknowledged payload is lost, and it is counted.
 *
 * At the drain deadline ({@link Delivery.expire}) a backoff in progress ends at
 * once and a put in flight is abandoned (it may still land: the payload is then
 * both stored and dead-lettered, never neither). From then on a delivery does
 * not wait for its dead-letter write: the queue empties at once into one
 * group-committed append, and {@link Delivery.settled} waits for those writes.
 *
 * @module
 */
import { backoffMs } from "./backoff.js";
import type { CircuitBreaker } from "./circuit-breaker.js";
import type { RetryConfig } from "./config.js";
import type { DeadLetterFile } from "./dead-letter.js";
import type { Sink } from "./sink.js";

/**
 * Options of {@link Delivery}.
 *
 * @example
 * ```ts
 * const options: DeliveryOptions = {
 *   sink,
 *   deadLetters: new DeadLetterFile("/tmp/dead-letter.ndjson"),
 *   breaker: new CircuitBreaker({ failures: 5, cooldownMs: 2000 }),
 *   retry: { attempts: 5, baseMs: 50, maxMs: 2000 },
 * };
 * ```
 */
export interface DeliveryOptions {
  readonly sink: Sink;
  readonly deadLetters: DeadLetterFile;
  /** Told of every attempt's outcome. */
  readonly breaker: CircuitBreaker;
  readonly retry: RetryConfig;
  /** Uniform in [0, 1), for the jitter (default `Math.random`). */
  readonly random?: () => number;
  /** Where log lines go (default: nowhere). */
  readonly log?: (line: string) => void;
}

/**
 * Counters of {@link Delivery}, exported on `/metrics`.
 *
 * @example
 * ```ts
 * const { deadLettered, lost } = delivery.stats();
 * ```
 */
export interface DeliveryStats {
  /** Payloads the sink stored. */
  readonly stored: number;
  /** Upload attempts that failed (each one also counted by the breaker). */
  readonly failedAttempts: number;
  /** Attempts after the first. */
  readonly retries: number;
  /** Payloads written to the dead-letter file. */
  readonly deadLettered: number;
  /** Payloads neither stored nor dead-lettered (the dead-letter file failed too). */
  readonly lost: number;
}

/** The outcome of an attempt or a wait cut short by the deadline. */
const EXPIRED: unique symbol = Symbol("expired");
/** An attempt's success. */
const STORED: unique symbol = Symbol("stored");

/**
 * Stores payloads with retries, reports to a circuit breaker, and dead-letters
 * what cannot be stored.
 *
 * @example
 * ```ts
 * const delivery = new Delivery(options);
 * await delivery.deliver({ id: 1 }); // stored, or in the dead-letter file
 * ```
 */
export class Delivery {
  readonly #sink: Sink;
  readonly #deadLetters: DeadLetterFile;
  readonly #breaker: CircuitBreaker;
  readonly #retry: RetryConfig;
  readonly #random: () => number;
  readonly #log: (line: string) => void;
  /** Wakes every attempt and backoff in progress when the deadline passes. */
  readonly #wakers = new Set<() => void>();
  /** Dead-letter writes started after the deadline, not awaited by their deliveries. */
  readonly #detached = new Set<Promise<void>>();
  #expired = false;
  #stored = 0;
  #failedAttempts = 0;
  #retries = 0;
  #deadLettered = 0;
  #lost = 0;

  constructor(options: DeliveryOptions) {
    this.#sink = options.sink;
    this.#deadLetters = options.deadLetters;
    this.#breaker = options.breaker;
    this.#retry = options.retry;
    this.#random = options.random ?? Math.random;
    this.#log = options.log ?? ((): void => undefined);
  }

  /** Whether the drain deadline has passed. */
  get expired(): boolean {
    return this.#expired;
  }

  /**
   * Stores `payload`, or dead-letters it. Rejects if it is lost (the dead-letter
   * file failed too); after the deadline it resolves without waiting for the
   * dead-letter write, which {@link settled} waits for and counts.
   */
  async deliver(payload: unknown): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      if (this.#expired) return this.#detach(this.#deadLetter(payload, reasonOf("drain deadline", lastError)));
      if (attempt > 1) this.#retries += 1;
      const outcome = await this.#attempt(payload);
      if (outcome === STORED) {
        this.#stored += 1;
        this.#breaker.success();
        return;
      }
      if (outcome === EXPIRED) return this.#detach(this.#deadLetter(payload, reasonOf("drain deadline", lastError)));
      lastError = outcome;
      this.#failedAttempts += 1;
      this.#breaker.failure();
      if (attempt >= this.#retry.attempts) {
        return this.#deadLetter(payload, reasonOf(`${attempt} attempts failed`, lastError));
      }
      await this.#sleep(backoffMs(attempt, this.#retry.baseMs, this.#retry.maxMs, this.#random));
    }
  }

  /** The drain deadline: every delivery in progress or to come goes to the dead-letter file. */
  expire(): void {
    if (this.#expired) return;
    this.#expired = true;
    const wakers = [...this.#wakers];
    this.#wakers.clear();
    for (const wake of wakers) wake();
  }

  /**
   * Resolves once every dead-letter write started after the deadline has
   * settled (a failed one is counted as lost).
   */
  async settled(): Promise<void> {
    while (this.#detached.size > 0) await Promise.allSettled([...this.#detached]);
  }

  /** Current counters. */
  stats(): DeliveryStats {
    return {
      stored: this.#stored,
      failedAttempts: this.#failedAttempts,
      retries: this.#retries,
      deadLettered: this.#deadLettered,
      lost: this.#lost,
    };
  }

  /** One put: STORED, EXPIRED, or the error it failed with. */
  #attempt(payload: unknown): Promise<unknown> {
    return new Promise<unknown>((resolve) => {
      const wake = (): void => resolve(EXPIRED);
      this.#wakers.add(wake);
      let put: Promise<void>;
      try {
        put = this.#sink.put(payload);
      } catch (error) {
        put = Promise.reject(error);
      }
      put.then(
        () => {
          this.#wakers.delete(wake);
          resolve(STORED);
        },
        (error: unknown) => {
          this.#wakers.delete(wake);
          resolve(error ?? new Error("the sink rejected without a reason"));
        },
      );
    });
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wakers.add(wake);
    });
  }

  /** Lets a dead-letter write run on without its delivery waiting; {@link settled} waits for it. */
  #detach(write: Promise<void>): void {
    const tracked = write.then(
      () => undefined,
      () => undefined, // counted as lost by #deadLetter
    );
    this.#detached.add(tracked);
    void tracked.then(() => this.#detached.delete(tracked));
  }

  async #deadLetter(payload: unknown, reason: string): Promise<void> {
    try {
      await this.#deadLetters.write(payload, reason);
    } catch (error) {
      this.#lost += 1;
      if (this.#lost <= 10 || this.#lost % 1000 === 0) {
        this.#log(`LOST an acknowledged payload (${this.#lost} so far): the dead-letter file failed: ${messageOf(error)}`);
      }
      throw error;
    }
    this.#deadLettered += 1;
    if (this.#deadLettered === 1 || this.#deadLettered % 1000 === 0) {
      this.#log(`dead-lettered ${this.#deadLettered} payload(s) to ${this.#deadLetters.path}: ${reason}`);
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function reasonOf(why: string, lastError: unknown): string {
  return lastError === undefined ? why : `${why}; last error: ${messageOf(lastError)}`;
}
