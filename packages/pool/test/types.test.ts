/** Type tests of the public surface: inference, narrowing, and what must not compile. */
import { describe, expectTypeOf, it } from "vitest";
import { Chan, type RecvChan } from "@gochan/core";
import {
  Dispatcher,
  Pool,
  Worker,
  type Group,
  type JobFunction,
  type JobInfo,
  type PoolEvent,
  type PoolMetrics,
  type PoolOptions,
} from "@gochan/pool";

describe("types", () => {
  it("submit and trySubmit infer the result type from the job", async () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 10 });
    expectTypeOf(pool.submit(async () => 1)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(pool.submit(() => "s")).toEqualTypeOf<Promise<string>>();
    expectTypeOf(pool.trySubmit(async (signal) => signal.aborted)).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(pool.go).returns.toEqualTypeOf<void>();
    expectTypeOf<JobFunction<number>>().parameters.toEqualTypeOf<[AbortSignal]>();
    const typeOnly = (): void => {
      // @ts-expect-error a job is a function
      void pool.submit(42);
      // @ts-expect-error the timeout is a number
      void pool.submit(() => 1, { timeout: "5s" });
    };
    void typeOnly;
    await pool.stopAndWait();
  });

  it("options: maxWorkers and maxQueue are required numbers; hooks are typed", () => {
    // @ts-expect-error maxQueue is required
    const missing: PoolOptions = { maxWorkers: 1 };
    // @ts-expect-error strings from the environment do not type-check (and throw at run time)
    const strings: PoolOptions = { maxWorkers: "8", maxQueue: 1 };
    void [missing, strings];
    const options: PoolOptions = {
      maxWorkers: 1,
      maxQueue: 1,
      idleTimeout: undefined,
      onError: (error, job) => {
        expectTypeOf(error).toBeUnknown();
        expectTypeOf(job).toEqualTypeOf<JobInfo>();
      },
    };
    void options;
  });

  it("the engine does not show in the public type", () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    // @ts-expect-error private state is an ES private field
    void pool.e;
    // @ts-expect-error no engine property
    void pool.engine;
    expectTypeOf<keyof Pool>().toEqualTypeOf<
      | "maxWorkers" | "maxQueue" | "stopped" | "submit" | "trySubmit" | "go" | "group" | "stop" | "stopAndWait" | "resize" | "metrics"
      | "map" | "mapStream"
      | typeof Symbol.asyncDispose
    >();
    void pool.stop();
  });

  it("groups carry their result type", () => {
    const pool = new Pool({ maxWorkers: 1, maxQueue: 1 });
    const group = pool.group<number>({ failFast: true });
    expectTypeOf(group).toEqualTypeOf<Group<number>>();
    expectTypeOf(group.wait()).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(group.submit(() => 1)).toEqualTypeOf<Promise<void>>();
    const typeOnly = (): void => {
      // @ts-expect-error a Group<number> job returns a number
      void group.submit(() => "one");
    };
    void typeOnly;
    void pool.stop();
  });

  it("metrics and events", () => {
    expectTypeOf<keyof PoolMetrics>().toEqualTypeOf<
      | "maxWorkers"
      | "maxQueue"
      | "running"
      | "idle"
      | "queued"
      | "blockedSubmitters"
      | "submitted"
      | "succeeded"
      | "failed"
      | "cancelled"
      | "dropped"
      | "completed"
    >();
    const handle = (e: PoolEvent): string => {
      if (e.type === "start") {
        // @ts-expect-error only end events have an outcome
        void e.outcome;
        return String(e.job.id);
      }
      expectTypeOf(e.outcome).toEqualTypeOf<"succeeded" | "failed" | "cancelled" | "dropped">();
      return e.job.kind;
    };
    void handle;
    const m = new Pool({ maxWorkers: 1, maxQueue: 1 }).metrics();
    // @ts-expect-error a snapshot is read-only
    m.running = 3;
  });

  it("Worker and Dispatcher are generic in the job type", () => {
    const workerPool = new Chan<Chan<number>>(1);
    const w = new Worker(workerPool, (n: number) => n * 2);
    expectTypeOf(w).toEqualTypeOf<Worker<number>>();
    expectTypeOf(w.jobChannel).toEqualTypeOf<Chan<number>>();
    const queue: RecvChan<string> = new Chan<string>(1);
    const d = new Dispatcher(queue, 2, (s: string) => s.length);
    expectTypeOf(d.workerPool).toEqualTypeOf<Chan<Chan<string>>>();
    const typeOnly = (): void => {
      // @ts-expect-error the handler must take the pool's job type
      void new Worker(workerPool, (s: string) => s.length);
      // @ts-expect-error maxWorkers is a number
      void new Dispatcher(queue, "2", (s: string) => s);
    };
    void typeOnly;
  });
});
