/**
 * The circuit breaker between admission and a failing sink.
 *
 * States and transitions (`now` is read, never waited on, so the breaker owns no
 * timer):
 * - closed: admission is allowed. `failures` consecutive failed upload attempts
 *   open it; any success resets the count.
 * - open: admission is refused (503 with `Retry-After`, `/healthz` unhealthy) until
 *   `cooldownMs` after it opened; then the next look at it finds it half-open.
 *   Uploads already queued keep retrying meanwhile; a success among them means
 *   the sink recovered and closes the breaker at once.
 * - half-open: one request is admitted as a probe; others are refused until an
 *   upload attempt reports. A success closes the breaker, a failure re-opens it
 *   for another cool-down.
 *
 * @module
 */

/**
 * The breaker's state.
 *
 * @example
 * ```ts
 * const state: BreakerState = breaker.state();
 * ```
 */
export type BreakerState = "closed" | "open" | "half-open";

/**
 * Options of {@link CircuitBreaker}.
 *
 * @example
 * ```ts
 * const options: CircuitBreakerOptions = { failures: 5, cooldownMs: 2000 };
 * ```
 */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker (at least 1). */
  readonly failures: number;
  /** How long it stays open before half-opening, in ms. */
  readonly cooldownMs: number;
  /** The clock, in ms (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * Opens after consecutive failures, refuses admission while open, half-opens
 * after a cool-down to let one probe through.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ failures: 3, cooldownMs: 1000 });
 * if (breaker.tryAdmit()) {
 *   // queue the request; its uploads report breaker.success() or breaker.failure()
 * }
 * ```
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  #state: BreakerState = "closed";
  #consecutive = 0;
  #openedAt = 0;
  #probeAdmitted = false;
  #opened = 0;

  constructor(options: CircuitBreakerOptions) {
    const { failures, cooldownMs, now = Date.now } = options;
    if (!Number.isSafeInteger(failures) || failures < 1) {
      throw new RangeError(`CircuitBreaker failures must be a positive integer, got ${String(failures)}`);
    }
    if (!Number.isFinite(cooldownMs) || cooldownMs < 0) {
      throw new RangeError(`CircuitBreaker cooldownMs must be a non-negative number, got ${String(cooldownMs)}`);
    }
    this.#threshold = failures;
    this.#cooldownMs = cooldownMs;
    this.#now = now;
  }

  /** The current state (an open breaker whose cool-down is over reads as half-open). */
  state(): BreakerState {
    if (this.#state === "open" && this.#now() - this.#openedAt >= this.#cooldownMs) {
      this.#state = "half-open";
      this.#probeAdmitted = false;
    }
    return this.#state;
  }

  /** Times the breaker opened (closed or half-open to open). */
  get openedCount(): number {
    return this.#opened;
  }

  /** Milliseconds until an open breaker half-opens; 0 unless open. */
  remainingMs(): number {
    return this.state() === "open" ? Math.max(0, this.#openedAt + this.#cooldownMs - this.#now()) : 0;
  }

  /**
   * Whether a request may be admitted now: always when closed, never when open,
   * once (the probe) when half-open until an upload reports.
   */
  tryAdmit(): boolean {
    const state = this.state();
    if (state === "closed") return true;
    if (state === "open" || this.#probeAdmitted) return false;
    this.#probeAdmitted = true;
    return true;
  }

  /** An upload attempt succeeded: the sink works, close. */
  success(): void {
    this.#consecutive = 0;
    this.#state = "closed";
  }

  /** An upload attempt failed. */
  failure(): void {
    this.#consecutive += 1;
    const state = this.state();
    if (state === "half-open" || (state === "closed" && this.#consecutive >= this.#threshold)) {
      this.#state = "open";
      this.#openedAt = this.#now();
      this.#opened += 1;
    }
  }
}
