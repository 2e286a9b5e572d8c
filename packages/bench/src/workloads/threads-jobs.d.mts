// Types of threads-jobs.mjs (plain JavaScript, so piscina and tinypool load it as is).
export declare function empty(i: number): number;
export declare const CPU_ITERATIONS_ENV: "GOCHAN_BENCH_CPU_ITERATIONS";
export declare const DEFAULT_CPU_ITERATIONS: number;
export declare function cpu(i: number, n?: number): number;
