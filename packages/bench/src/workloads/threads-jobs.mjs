// The jobs every thread pool of the threads workloads runs (plain JavaScript:
// piscina and tinypool load it as is).

/** An empty job: the pool's own overhead. */
export function empty(i) {
  return i;
}

/** Iterations of {@link cpu}: about 90 microseconds on an idle core of the reference machine. */
export const CPU_ITERATIONS = 18_000;

/** A CPU-bound job of about 90 us: integer mixing, no allocation. */
export function cpu(i) {
  let x = i | 0;
  for (let k = 0; k < CPU_ITERATIONS; k++) x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + k) | 0;
  return x >>> 0;
}
