/**
 * Bounded exponential backoff with full jitter: the wait before attempt
 * `n + 1` is uniform in `[0, min(maxMs, baseMs * 2^(n-1)))`. Full jitter spreads
 * the retries of many workers that failed together (one failed object fails
 * every payload in it), so they do not hit the recovering sink in one wave.
 *
 * @module
 */

/**
 * The backoff before the next attempt, after `failedAttempts` failures (1 or more).
 *
 * @param random - a uniform number in [0, 1); `Math.random` by default.
 * @example
 * ```ts
 * const waitMs = backoffMs(3, 50, 2000); // uniform in [0, 200)
 * ```
 */
export function backoffMs(failedAttempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  // 2^30 already exceeds any sane cap; clamping the exponent keeps the product finite.
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, failedAttempts - 1), 30));
  return Math.floor(random() * ceiling);
}
