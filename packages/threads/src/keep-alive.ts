/**
 * Node does not keep a thread alive for a pending `Atomics.waitAsync`, so a
 * worker whose only work is a parked receive would exit. While at least one
 * operation that wants to is parked, one ref'd interval timer holds the event
 * loop open; it is unref'd when the last one leaves.
 *
 * @module
 */

let refs = 0;
let keeper: { ref?: () => unknown; unref?: () => unknown } | null = null;

function noop(): void {}

export function holdThread(): void {
  if (refs++ > 0) return;
  if (keeper === null) keeper = setInterval(noop, 2 ** 30) as unknown as typeof keeper;
  keeper?.ref?.();
}

export function releaseThread(): void {
  if (--refs === 0) keeper?.unref?.();
}
