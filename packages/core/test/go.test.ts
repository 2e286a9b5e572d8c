import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { Chan, go, setPanicHandler, type PanicHandler } from "@gochan/core";
import { spawnQueueSlots, spawnSites } from "../src/go.ts";

let restore: PanicHandler | null | undefined;
function capturePanics(): unknown[] {
  const seen: unknown[] = [];
  const previous = setPanicHandler((e) => seen.push(e));
  if (restore === undefined) restore = previous;
  return seen;
}
afterEach(() => {
  if (restore !== undefined) setPanicHandler(restore);
  restore = undefined;
});

/** Lets every queued microtask and promise reaction run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("go(fn, ...args)", () => {
  it("runs fn with the args on a later microtask: the caller continues first", async () => {
    const order: string[] = [];
    go((a: string, b: number) => {
      order.push(`task ${a} ${b}`);
    }, "x", 2);
    order.push("caller");
    await settle();
    expect(order).toEqual(["caller", "task x 2"]);
  });

  it("args are evaluated by the caller, at the go() call (Go's `go f(x)`)", async () => {
    let n = 1;
    const seen: number[] = [];
    go((v: number) => {
      seen.push(v);
    }, n);
    n = 2;
    await settle();
    expect(seen).toEqual([1]);
    expect(n).toBe(2);
  });

  it("tasks talk over channels", async () => {
    const ch = new Chan<number>();
    for (let i = 0; i < 3; i++) go(async (k: number) => ch.send(k * k), i);
    const got = [await ch.recv(), await ch.recv(), await ch.recv()].sort();
    expect(got).toEqual([0, 1, 4]);
  });

  it("a synchronous throw goes to the panic handler", async () => {
    const seen = capturePanics();
    const boom = new Error("sync boom");
    go(() => {
      throw boom;
    });
    await settle();
    expect(seen).toEqual([boom]);
  });

  it("a rejected promise goes to the panic handler, after the task's awaits", async () => {
    const seen = capturePanics();
    const ch = new Chan<number>();
    go(async () => {
      await ch.recv();
      throw new TypeError("async boom");
    });
    await settle();
    expect(seen).toEqual([]);
    await ch.send(1);
    await settle();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(TypeError);
    expect((seen[0] as Error).message).toBe("async boom");
  });

  it("a result whose then getter throws (user code): the error goes to the panic handler too", async () => {
    const seen = capturePanics();
    const trap = new Error("then getter");
    go(() => ({
      get then(): never {
        throw trap;
      },
    }));
    await settle();
    expect(seen).toEqual([trap]);
  });

  it("each task starts on its own microtask, queued at its go() call, among other reactions", async () => {
    const order: string[] = [];
    go(() => order.push("a"));
    void Promise.resolve().then(() => order.push("reaction"));
    go(() => {
      order.push("b");
      go(() => order.push("spawned by b"));
      void Promise.resolve().then(() => order.push("b's reaction"));
    });
    await settle();
    expect(order).toEqual(["a", "reaction", "b", "spawned by b", "b's reaction"]);
  });

  it("property: tasks start in exactly the order queueMicrotask would start them, nested spawns and reactions included", async () => {
    // A program is a tree: each node logs its name, then spawns its children
    // (with go, or as a promise reaction), in order.
    type Node = { how: "go" | "reaction" | "throw"; kids: Node[] };
    const node: fc.Memo<Node> = fc.memo((d) =>
      fc.record({
        how: fc.constantFrom<Node["how"]>("go", "go", "reaction", "throw"),
        kids: d > 1 ? fc.array(node(d - 1), { maxLength: 3 }) : fc.constant([]),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(node(4), { maxLength: 5 }), async (roots) => {
        capturePanics(); // "throw" tasks fail after spawning their children
        const run = async (spawn: (f: () => void) => void): Promise<string[]> => {
          const log: string[] = [];
          const visit = (n: Node, name: string): void => {
            log.push(name);
            n.kids.forEach((k, i) => schedule(k, `${name}.${i}`));
            if (n.how === "throw") throw new Error(name);
          };
          const schedule = (n: Node, name: string): void => {
            if (n.how === "reaction") void Promise.resolve().then(() => visit(n, name));
            else
              spawn(() => {
                try {
                  visit(n, name);
                } catch (e) {
                  if (spawn !== queueMicrotask) throw e; // go() hands it to the panic handler
                }
              });
          };
          roots.forEach((n, i) => schedule(n, `${i}`));
          await settle();
          return log;
        };
        const withGo = await run((f) => go(f));
        const reference = await run(queueMicrotask);
        expect(withGo).toEqual(reference);
      }),
      { seed: 1515, numRuns: 200 },
    );
  });

  it("property: each task gets exactly its own arguments, however many, with or without a call site, nested spawns and throws included", async () => {
    // The spawn queue holds a spawn's arguments in its own slots (a count, a
    // site if any, then the values): a task must see its arguments, their
    // number and identity, whatever its neighbours in the queue hold.
    type Spawn = { args: unknown[]; site: boolean; throws: boolean; kids: Spawn[] };
    const value = fc.oneof(fc.integer(), fc.constant(undefined), fc.constant(null), fc.string(), fc.object());
    const spawn: fc.Memo<Spawn> = fc.memo((d) =>
      fc.record({
        args: fc.array(value, { maxLength: 6 }),
        site: fc.boolean(),
        throws: fc.boolean(),
        kids: d > 1 ? fc.array(spawn(d - 1), { maxLength: 2 }) : fc.constant([]),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(spawn(3), { minLength: 1, maxLength: 5 }), async (roots) => {
        const panics = capturePanics();
        const seen: { name: string; args: unknown[] }[] = [];
        const expected: { name: string; args: unknown[] }[] = [];
        const thrown = new Map<unknown, boolean>();
        const schedule = (s: Spawn, name: string): void => {
          expected.push({ name, args: s.args });
          spawnSites.enabled = s.site;
          try {
            go(function task(...got: unknown[]) {
              seen.push({ name, args: got });
              s.kids.forEach((k, i) => schedule(k, `${name}.${i}`));
              if (s.throws) {
                const e = new Error(name);
                thrown.set(e, s.site);
                throw e;
              }
            }, ...s.args);
          } finally {
            spawnSites.enabled = false;
          }
        };
        roots.forEach((s, i) => schedule(s, `${i}`));
        await settle();
        // Only go() spawns here, so tasks start in spawn order, each with its own values.
        expect(seen.map((t) => t.name)).toEqual(expected.map((t) => t.name));
        seen.forEach((t, k) => {
          expect(t.args.length).toBe(expected[k]?.args.length);
          t.args.forEach((a, i) => expect(a).toBe(expected[k]?.args[i]));
        });
        expect(spawnQueueSlots()).toBe(0);
        // Every throw is a panic; one spawned with a call site carries it.
        expect(new Set(panics)).toEqual(new Set(thrown.keys()));
        for (const [e, site] of thrown) expect(spawnSites.of.has(e as object)).toBe(site);
      }),
      { seed: 1517, numRuns: 150 },
    );
  });

  it("a spawn queue that never empties (each task spawns the next) stays bounded", async () => {
    const total = 30_000;
    let started = 0;
    let peak = 0;
    const step = (): void => {
      peak = Math.max(peak, spawnQueueSlots());
      if (++started < total) go(step); // spawned before this task ends: the queue always holds two
    };
    go(step);
    go(step); // two chains: when a task starts, the other chain's task is still queued
    await new Promise<void>((resolve) => {
      const poll = (): void => (started >= total ? resolve() : void setImmediate(poll));
      poll();
    });
    expect(started).toBeGreaterThanOrEqual(total);
    // Two chains keep two tasks queued: four slots (a function and its argument
    // count each), however many were spawned (a queue that kept its consumed
    // slots held 90,003 after 30,000 spawns).
    expect(peak).toBeLessThanOrEqual(4);
  });

  it("non-Error values thrown are passed on as they are", async () => {
    const seen = capturePanics();
    go(() => {
      throw "plain string";
    });
    go(() => Promise.reject(undefined));
    await settle();
    expect(seen).toEqual(["plain string", undefined]);
  });

  it("setPanicHandler returns the previous handler; null restores the default", () => {
    const a: PanicHandler = () => {};
    const original = setPanicHandler(a);
    expect(setPanicHandler(null)).toBe(a);
    expect(setPanicHandler(original)).toBe(null);
  });

  it("rejects what is not a function, naming it", () => {
    expect(() => go(undefined as unknown as () => void)).toThrow(/go: expected a function, got undefined/);
    expect(() => setPanicHandler("x" as unknown as PanicHandler)).toThrow(TypeError);
  });
});
