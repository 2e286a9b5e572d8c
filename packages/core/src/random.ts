/**
 * The pseudo-random generator select uses to choose among ready cases. It is
 * mulberry32: fast, 32 bits of state, and seedable so tests can reproduce a run.
 *
 * @module
 */
import { currentBubble } from "./bubble-hook.js";

let state = (Math.random() * 0x100000000) >>> 0;

/** A float in [0, 1). @internal */
export function random(): number {
  // Inside a synctest bubble the bubble chooses (seeded, or from a schedule).
  if (currentBubble !== null) return currentBubble.random();
  state = (state + 0x6d2b79f5) | 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/**
 * Seeds the generator with which {@link select} chooses uniformly among ready
 * cases, so a test can replay the same choices. By default it is seeded from
 * `Math.random()` at start-up.
 *
 * @param seed - any integer; only its low 32 bits are used.
 * @throws TypeError if `seed` is not an integer.
 *
 * @example
 * ```ts
 * import { setSelectSeed } from "@gochan/core";
 * setSelectSeed(42); // every select now chooses the same way on every run
 * ```
 */
export function setSelectSeed(seed: number): void {
  if (typeof seed !== "number" || !Number.isInteger(seed)) {
    throw new TypeError(`setSelectSeed: seed must be an integer, got ${String(seed)} (${typeof seed})`);
  }
  state = seed >>> 0;
}
