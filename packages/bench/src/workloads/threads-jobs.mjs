// The jobs every thread pool of the threads workloads runs (plain JavaScript:
// piscina and tinypool load it as is).

/** An empty job: the pool's own overhead. */
export function empty(i) {
  return i;
}

/**
 * The variable that carries the iteration count of {@link cpu} from the bench
 * driver (which calibrates it once per run, threads.ts) to every child process
 * and every worker thread, so every peer runs the same jobs.
 */
export const CPU_ITERATIONS_ENV = "GOCHAN_BENCH_CPU_ITERATIONS";

/** Iterations when nothing calibrated them: about 90 us on the reference machine's idle core, about 32 us on a 2-vCPU AMD EPYC. */
export const DEFAULT_CPU_ITERATIONS = 18_000;

let iterations = 0;

/** A CPU-bound job: `n` rounds of integer mixing (default: the calibrated count), no allocation. */
export function cpu(i, n = (iterations ||= Number(process.env[CPU_ITERATIONS_ENV]) || DEFAULT_CPU_ITERATIONS)) {
  let x = i | 0;
  for (let k = 0; k < n; k++) x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + k) | 0;
  return x >>> 0;
}
