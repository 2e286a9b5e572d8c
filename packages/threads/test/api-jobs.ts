/** The type of test/fixtures/api-jobs.mjs, for ThreadPool<ApiJobs>. */
import type { Transferred } from "@gochan/threads";

export interface ApiJobs {
  add(a: number, b: number): number;
  fail(message: string): never;
  spin(ms: number): number;
  exitNow(code: number): never;
  counters(): { cleanups: number; started: number };
  count(n: number): Generator<number>;
  countAsync(n: number): AsyncGenerator<{ i: number; sq: number }>;
  failAfter(n: number): Generator<number>;
  exitAfter(n: number): Generator<number>;
  spinAfter(n: number): Generator<number>;
  yieldsFunction(): Generator<unknown>;
  notIterable(): number;
  big(n: number): Generator<string>;
  bytes(n: number, fill: number): Transferred<Uint8Array>;
  keptDetached(): boolean | null;
  sum(view: Uint8Array | ArrayBuffer): number;
}

export const apiJobs = new URL("./fixtures/api-jobs.mjs", import.meta.url);
