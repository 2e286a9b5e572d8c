/**
 * A forced garbage collection for memory tests: V8's gc() made available at
 * run time, so the tests count what stays reachable (WeakRefs) instead of
 * measuring heap sizes.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const gcNow = runInNewContext("gc") as () => void;

/** Collects garbage after letting pending callbacks run, so nothing is kept alive by a stack frame. */
export async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gcNow();
  }
}

/** How many of the referents are still alive. */
export function alive(refs: readonly WeakRef<object>[]): number {
  let n = 0;
  for (const r of refs) if (r.deref() !== undefined) n++;
  return n;
}
