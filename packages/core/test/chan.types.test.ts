// Type tests: what Go rejects at compile time must not type-check here either.
// `npx tsc -p tsconfig.json` checks every `@ts-expect-error` below (an unused one
// is itself an error); vitest runs the file so the expectTypeOf calls are listed.
// The functions holding misuses are compiled, never called.
import { describe, expectTypeOf, it } from "vitest";
import {
  Chan,
  makeChan,
  nilChan,
  recv,
  select,
  send,
  trySelect,
  type Received,
  type RecvChan,
  type SendChan,
} from "@gochan/core";

class Animal {
  name = "animal";
}
class Dog extends Animal {
  bark(): string {
    return "woof";
  }
}

describe("direction views (item 4)", () => {
  it("send on a RecvChan, receive or range on a SendChan and close on a RecvChan do not compile", () => {
    async function misuse(r: RecvChan<number>, s: SendChan<number>): Promise<void> {
      // @ts-expect-error Go: invalid operation: send to receive-only channel
      await r.send(1);
      // @ts-expect-error no non-blocking send either
      r.trySend(1);
      // @ts-expect-error Go: invalid operation: cannot close receive-only channel
      r.close();
      // @ts-expect-error Go: invalid operation: cannot receive from send-only channel
      await s.recv();
      // @ts-expect-error comma-ok receive
      await s.recvOk();
      // @ts-expect-error non-blocking receive
      s.tryRecv();
      // @ts-expect-error Go: cannot range over send-only channel
      for await (const _ of s) break;
      // @ts-expect-error no range() on a send-only channel
      s.range();
      // @ts-expect-error a receive case needs a receivable channel
      recv(s);
      // @ts-expect-error a send case needs a sendable channel
      send(r, 1);
    }
    expectTypeOf(misuse).toBeFunction();
    expectTypeOf<RecvChan<number>>().not.toHaveProperty("send");
    expectTypeOf<RecvChan<number>>().not.toHaveProperty("close");
    expectTypeOf<SendChan<number>>().not.toHaveProperty("recv");
    expectTypeOf<SendChan<number>>().not.toExtend<AsyncIterable<number>>();
  });

  it("closing a send-only channel is allowed, as in Go", () => {
    const s: SendChan<number> = new Chan<number>();
    expectTypeOf(s.close).toEqualTypeOf<() => void>();
    s.close();
  });

  it("a channel converts to either view, and a view never converts back", () => {
    const ch = new Chan<number>();
    const r: RecvChan<number> = ch;
    const s: SendChan<number> = ch;
    function convertBack(): void {
      // @ts-expect-error a receive-only channel is not a bidirectional one
      const back: Chan<number> = r;
      // @ts-expect-error a send-only channel is not a bidirectional one
      const back2: Chan<number> = s;
      // @ts-expect-error nor is one view the other
      const other: SendChan<number> = r;
      // @ts-expect-error nor is one view the other
      const other2: RecvChan<number> = s;
      void [back, back2, other, other2];
    }
    expectTypeOf(convertBack).toBeFunction();
    expectTypeOf<Chan<number>>().toExtend<RecvChan<number>>();
    expectTypeOf<Chan<number>>().toExtend<SendChan<number>>();
    expectTypeOf<RecvChan<number>>().not.toExtend<Chan<number>>();
    expectTypeOf<SendChan<number>>().not.toExtend<Chan<number>>();
    expectTypeOf<RecvChan<number>>().not.toExtend<SendChan<number>>();
    expectTypeOf<SendChan<number>>().not.toExtend<RecvChan<number>>();
  });

  it("a SendChan<Animal> is a SendChan<Dog>, not the other way round", () => {
    expectTypeOf<SendChan<Animal>>().toExtend<SendChan<Dog>>();
    expectTypeOf<SendChan<Dog>>().not.toExtend<SendChan<Animal>>();
    function assign(animals: SendChan<Animal>, dogs: SendChan<Dog>): void {
      const ok: SendChan<Dog> = animals; // anything that takes animals takes dogs
      // @ts-expect-error a channel of dogs cannot take any animal
      const bad: SendChan<Animal> = dogs;
      void [ok, bad];
    }
    expectTypeOf(assign).toBeFunction();
  });

  it("a RecvChan<Dog> is a RecvChan<Animal>, not the other way round", () => {
    expectTypeOf<RecvChan<Dog>>().toExtend<RecvChan<Animal>>();
    expectTypeOf<RecvChan<Animal>>().not.toExtend<RecvChan<Dog>>();
    function assign(dogs: RecvChan<Dog>, animals: RecvChan<Animal>): void {
      const ok: RecvChan<Animal> = dogs; // every dog received is an animal
      // @ts-expect-error not every animal received is a dog
      const bad: RecvChan<Dog> = animals;
      void [ok, bad];
    }
    expectTypeOf(assign).toBeFunction();
  });

  it("a bidirectional channel is invariant, but feeds both variant views", () => {
    expectTypeOf<Chan<Dog>>().not.toExtend<Chan<Animal>>();
    expectTypeOf<Chan<Animal>>().not.toExtend<Chan<Dog>>();
    expectTypeOf<Chan<Dog>>().toExtend<RecvChan<Animal>>();
    expectTypeOf<Chan<Animal>>().toExtend<SendChan<Dog>>();
  });
});

describe("operation types", () => {
  it("recv() is Promise<T | undefined> by default and Promise<T> when the zero is a T", () => {
    const plain = new Chan<number>();
    expectTypeOf(plain.recv()).toEqualTypeOf<Promise<number | undefined>>();
    const zeroed = new Chan<number, number>(0, { zero: 0 });
    expectTypeOf(zeroed.recv()).toEqualTypeOf<Promise<number>>();
    expectTypeOf(zeroed.recvOk()).toEqualTypeOf<Promise<Received<number, number>>>();
    expectTypeOf(plain.tryRecv()).toEqualTypeOf<Received<number, undefined> | undefined>();
    expectTypeOf(plain.send(1)).toEqualTypeOf<Promise<void>>();
    expectTypeOf(plain.trySend(1)).toEqualTypeOf<boolean>();
    expectTypeOf(plain.len).toEqualTypeOf<number>();
    expectTypeOf(nilChan<string>()).toEqualTypeOf<Chan<string, undefined>>();
    function wrongZero(): void {
      // @ts-expect-error the zero value must have the declared zero type (undefined here)
      void new Chan<number>(0, { zero: 0 });
      // @ts-expect-error elements must have the channel's type
      void plain.send("one");
    }
    expectTypeOf(wrongZero).toBeFunction();
  });

  it("makeChan with a zero: recv() is Promise<T>; without one it is new Chan's T | undefined (issue 16 item 1)", () => {
    expectTypeOf(makeChan<number>(4, { zero: 0 })).toEqualTypeOf<Chan<number, number>>();
    expectTypeOf(makeChan<number>(4, { zero: 0 }).recv()).toEqualTypeOf<Promise<number>>();
    expectTypeOf(makeChan(0, { zero: "" })).toEqualTypeOf<Chan<string, string>>();
    expectTypeOf(makeChan<number>(4)).toEqualTypeOf<Chan<number, undefined>>();
    expectTypeOf(makeChan<number>(4, { name: "jobs" }).recv()).toEqualTypeOf<Promise<number | undefined>>();
    expectTypeOf(makeChan<number, null>(4, { zero: null })).toEqualTypeOf<Chan<number, null>>();
    function misuse(): void {
      // @ts-expect-error the zero value must be a T
      void makeChan<number>(4, { zero: "0" });
      // @ts-expect-error a zeroed channel still takes only T
      void makeChan<number>(4, { zero: 0 }).send("1");
    }
    expectTypeOf(misuse).toBeFunction();
  });

  it("comma-ok narrows: ok = true gives a T, ok = false gives the zero type", () => {
    const r = {} as Received<Dog, null>;
    if (r.ok) expectTypeOf(r.value).toEqualTypeOf<Dog>();
    else expectTypeOf(r.value).toEqualTypeOf<null>();
  });

  it("for await yields T, never the zero type", () => {
    async function loop(r: RecvChan<number, string>): Promise<void> {
      for await (const v of r) expectTypeOf(v).toEqualTypeOf<number>();
      for await (const v of r.range()) expectTypeOf(v).toEqualTypeOf<number>();
    }
    expectTypeOf(loop).toBeFunction();
  });

  it("channels of channels keep their element types", () => {
    const jobs = new Chan<Chan<number>>();
    expectTypeOf(jobs.recv()).toEqualTypeOf<Promise<Chan<number> | undefined>>();
    const replies = new Chan<SendChan<string>>();
    expectTypeOf(replies.tryRecv()).toEqualTypeOf<Received<SendChan<string>, undefined> | undefined>();
  });
});

describe("select result types", () => {
  it("the result narrows by index", () => {
    async function use(nums: RecvChan<number>, out: SendChan<string>, stop: AbortSignal): Promise<void> {
      const r = await select([recv(nums), send(out, "x"), stop]);
      expectTypeOf(r.index).toEqualTypeOf<0 | 1 | 2>();
      switch (r.index) {
        case 0:
          expectTypeOf(r.value).toEqualTypeOf<number | undefined>();
          if (r.ok) expectTypeOf(r.value).toEqualTypeOf<number>();
          break;
        case 1:
          expectTypeOf(r.value).toEqualTypeOf<undefined>();
          break;
        case 2:
          expectTypeOf(r.value).toEqualTypeOf<unknown>();
          break;
      }
      const t = trySelect([recv(nums), Promise.resolve("done" as const)]);
      if (t !== undefined && t.index === 1) expectTypeOf(t.value).toEqualTypeOf<"done">();
      function wrongValue(): void {
        // @ts-expect-error a send case's value must fit the channel
        send(out, 1);
      }
      expectTypeOf(wrongValue).toBeFunction();
    }
    expectTypeOf(use).toBeFunction();
  });

  it("variant views work as cases: a RecvChan<Dog> case receives animals, a SendChan<Animal> case takes a dog", () => {
    async function use(dogs: RecvChan<Dog>, animals: SendChan<Animal>): Promise<void> {
      const pets: RecvChan<Animal> = dogs;
      const r = await select([recv(pets), send(animals, new Dog())]);
      if (r.index === 0 && r.ok) expectTypeOf(r.value).toEqualTypeOf<Animal>();
    }
    expectTypeOf(use).toBeFunction();
  });
});
