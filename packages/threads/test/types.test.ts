/** Type tests: what the compiler accepts and refuses (checked by tsc -p tsconfig.json). */
import { Chan, recv as coreRecv, type RecvChan, type SendChan } from "@gochan/core";
import { recv, select, send, SharedChan, ThreadPool } from "@gochan/threads";
import { describe, expectTypeOf, it } from "vitest";

describe("types", () => {
  it("a SharedChan is usable as core's directional views", () => {
    const ch = new SharedChan<number>(1);
    const rx: RecvChan<number> = ch;
    const tx: SendChan<number> = ch;
    expectTypeOf(rx.recv()).toEqualTypeOf<Promise<number | undefined>>();
    expectTypeOf(ch.tryRecv()).toEqualTypeOf<{ value: number; ok: true } | { value: undefined; ok: false } | undefined>();
    // @ts-expect-error a SharedChan<number> carries numbers only
    void tx.send("one");
    // @ts-expect-error a receive-only view has no send
    void rx.send(1);
  });

  it("select results are discriminated by index", async () => {
    const nums = new SharedChan<number>(1), words = new SharedChan<string>(1);
    nums.trySend(1);
    const r = await select([recv(nums), send(words, "w"), Promise.resolve(true as const)]);
    if (r.index === 0) expectTypeOf(r.value).toEqualTypeOf<number | undefined>();
    if (r.index === 1) expectTypeOf(r.value).toEqualTypeOf<undefined>();
    if (r.index === 2) expectTypeOf(r.value).toEqualTypeOf<true>();
    // @ts-expect-error the value must match the channel's element type
    send(words, 3);
  });

  it("a mixed select's result is discriminated by index, local cases included", async () => {
    const shared = new SharedChan<number>(1), local = new Chan<string>(1), zeroed = new Chan<number, number>(1, { zero: 0 });
    const r = await select([recv(shared), recv(local), send(local, "x"), recv(zeroed)]);
    if (r.index === 0) expectTypeOf(r.value).toEqualTypeOf<number | undefined>();
    if (r.index === 1) expectTypeOf(r.value).toEqualTypeOf<string | undefined>();
    if (r.index === 2) expectTypeOf(r.value).toEqualTypeOf<undefined>();
    if (r.index === 3) expectTypeOf(r.value).toEqualTypeOf<number>();
    const b = await select([recv(shared), coreRecv(local, (s) => s?.length ?? 0)]);
    expectTypeOf(b).toEqualTypeOf<number | { index: 0; value: number; ok: true } | { index: 0; value: undefined; ok: false }>();
    // @ts-expect-error the value must match the local channel's element type
    send(local, 3);
  });

  it("ThreadPool.submit is typed by the jobs module", () => {
    type Jobs = { add(a: number, b: number): number; greet(name: string): Promise<string>; notAJob: number };
    // Type-level only: nothing here runs a job.
    const calls = (pool: ThreadPool<Jobs>): void => {
      expectTypeOf(pool.submit("add", [1, 2])).toEqualTypeOf<Promise<number>>();
      expectTypeOf(pool.submit("greet", ["x"])).toEqualTypeOf<Promise<string>>();
      // @ts-expect-error wrong argument types
      void pool.submit("add", ["1", 2]);
      // @ts-expect-error not a function export
      void pool.submit("notAJob", []);
    };
    expectTypeOf(calls).toBeFunction();
  });
});
