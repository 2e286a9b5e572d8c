// Case bodies (issue 16, items 2 and 4): `recv(ch, body)`, `send(ch, v, body)`,
// trySelect's default body and `send(null)`. A select with bodies resolves with
// the fired case's body result; the body runs in the selecting task, never inside
// the operation that completed the case.
import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  Chan,
  SendOnClosedError,
  nilChan,
  recv,
  select,
  send,
  trySelect,
  type Fired,
  type RecvCase,
  type SelectCase,
  type SendCase,
} from "@gochan/core";
import { macrotask, stateOf } from "./helpers.js";

describe("receive case bodies", () => {
  it("a ready case's body gets the value and ok = true, and its return value is the result", async () => {
    const ch = new Chan<number>(1);
    await ch.send(21);
    const calls: [number | undefined, boolean][] = [];
    const r = await select([
      recv(ch, (v, ok) => {
        calls.push([v, ok]);
        return ok ? v * 2 : -1;
      }),
    ]);
    expect(r).toBe(42);
    expect(calls).toEqual([[21, true]]);
  });

  it("a closed channel's body gets the zero value and ok = false", async () => {
    const ch = new Chan<number, number>(0, { zero: 0 });
    ch.close();
    const r = await select([recv(ch, (v, ok) => ({ v, ok }))]);
    expect(r).toEqual({ v: 0, ok: false });
  });

  it("a parked case's body runs in the selecting task, after the sender's send() has returned", async () => {
    const ch = new Chan<string>();
    const log: string[] = [];
    const p = select([
      recv(ch, (v) => {
        log.push(`body ${String(v)}`);
        return v;
      }),
    ]);
    const sent = ch.trySend("x");
    log.push("sender returned");
    expect(sent).toBe(true);
    expect(await p).toBe("x");
    expect(log).toEqual(["sender returned", "body x"]);
  });

  it("a ready case's body does not run inside select() either", async () => {
    const ch = new Chan<number>(1);
    await ch.send(1);
    const log: string[] = [];
    const p = select([recv(ch, () => log.push("body"))]);
    log.push("select returned");
    await p;
    expect(log).toEqual(["select returned", "body"]);
  });

  it("an async body is awaited: the select resolves with what it resolves with", async () => {
    const ch = new Chan<number>(1);
    await ch.send(3);
    const r = await select([
      recv(ch, async (v) => {
        await macrotask();
        return `late ${String(v)}`;
      }),
    ]);
    expect(r).toBe("late 3");
  });

  it("a body that throws rejects the select with its error", async () => {
    const ch = new Chan<number>(1);
    await ch.send(1);
    const boom = new Error("boom");
    await expect(
      select([
        recv(ch, () => {
          throw boom;
        }),
      ]),
    ).rejects.toBe(boom);
    const parked = new Chan<number>();
    const p = select([
      recv(parked, () => {
        throw boom;
      }),
    ]);
    await parked.send(2);
    await expect(p).rejects.toBe(boom);
  });

  it("only the fired case's body runs; a case without a body gives its fired record", async () => {
    const a = new Chan<number>(1), b = new Chan<string>(1);
    await b.send("hi");
    const calls: string[] = [];
    const r = await select([
      recv(a, () => {
        calls.push("a");
        return 1;
      }),
      recv(b),
    ]);
    expect(r).toEqual({ index: 1, value: "hi", ok: true });
    expect(calls).toEqual([]);
  });

  it("no body runs when the select is aborted or a send case fails", async () => {
    const a = new Chan<number>();
    let calls = 0;
    const controller = new AbortController();
    const p = select([recv(a, () => calls++)], { signal: controller.signal });
    controller.abort(new Error("stop"));
    await expect(p).rejects.toThrow("stop");
    const closed = new Chan<number>(1);
    closed.close();
    await expect(select([send(closed, 1, () => calls++)])).rejects.toBeInstanceOf(SendOnClosedError);
    expect(calls).toBe(0);
    expect(a._recvq.size).toBe(0);
  });

  it("a body that re-enters select on the same channel sees a consistent channel", async () => {
    const ch = new Chan<number>(2);
    await ch.send(1);
    await ch.send(2);
    const r = await select([recv(ch, async (v) => [v, await select([recv(ch, (w) => w)])])]);
    expect(r).toEqual([1, 2]);
    expect(ch.len).toBe(0);
  });

  it("rejects a body that is not a function, naming it", () => {
    const ch = new Chan<number>();
    expect(() => recv(ch, 42 as never)).toThrow(new TypeError("recv: a case body must be a function, got 42"));
    expect(() => send(ch, 1, "x" as never)).toThrow(new TypeError('send: a case body must be a function, got "x"'));
  });
});

describe("send case bodies", () => {
  it("the body runs once the value is sent, with the value in the channel", async () => {
    const ch = new Chan<string>(1);
    const r = await select([send(ch, "v", () => `sent, len ${ch.len}`)]);
    expect(r).toBe("sent, len 1");
  });

  it("a parked send's body runs after the receiver has the value", async () => {
    const ch = new Chan<string>();
    const log: string[] = [];
    const p = select([send(ch, "v", () => log.push("body"))]);
    const got = ch.tryRecv();
    log.push(`receiver got ${String(got?.value)}`);
    await p;
    expect(log).toEqual(["receiver got v", "body"]);
  });
});

describe("nil send cases need no value (item 4)", () => {
  it("send(null) and send(undefined) are never ready", async () => {
    const ch = new Chan<number>(1);
    await ch.send(5);
    expect(trySelect([send(null), send(undefined)])).toBeUndefined();
    const r = await select([send(null), recv(ch, (v) => v)]);
    expect(r).toBe(5);
  });

  it("Go's queue idiom: send the head only while there is one", async () => {
    const input = new Chan<number>(), out = new Chan<number>(1);
    const queue: number[] = [];
    const step = (): Promise<string> => {
      const head = queue[0];
      return select([
        recv(input, (v, ok) => (ok ? `queued ${queue.push(v)}` : "closed")),
        head !== undefined ? send(out, head, () => `sent ${String(queue.shift())}`) : send(null),
      ]);
    };
    const first = step();
    await input.send(7);
    expect(await first).toBe("queued 1");
    expect(await step()).toBe("sent 7");
    expect(out.tryRecv()).toEqual({ value: 7, ok: true });
    const third = step();
    expect(await stateOf(third)).toBe("pending"); // empty queue: only the receive can fire
    input.close();
    expect(await third).toBe("closed");
  });
});

describe("trySelect with bodies and a default body", () => {
  it("runs the chosen case's body synchronously and returns its value", () => {
    const ch = new Chan<number>(1);
    ch.trySend(4);
    let ran = false;
    const r = trySelect([recv(ch, (v) => ((ran = true), (v ?? 0) + 1))], () => 0);
    expect(ran).toBe(true);
    expect(r).toBe(5);
  });

  it("runs the default body when nothing is ready", () => {
    const ch = new Chan<number>();
    let defaults = 0;
    const r = trySelect([recv(ch, () => "value"), send(ch, 1, () => "sent")], () => {
      defaults++;
      return "default";
    });
    expect(r).toBe("default");
    expect(defaults).toBe(1);
    expect(trySelect([recv(ch)])).toBeUndefined();
  });

  it("the default body is not called when a case fires", () => {
    const ch = new Chan<number>(1);
    ch.trySend(1);
    let defaults = 0;
    trySelect([recv(ch)], () => defaults++);
    expect(defaults).toBe(0);
  });

  it("rejects a default body that is not a function", () => {
    expect(() => trySelect([], 1 as never)).toThrow(new TypeError("trySelect: the default body must be a function, got 1"));
  });
});

describe("bodies under random interleavings (fc.scheduler)", () => {
  it("every sent value reaches exactly one body, once; selects without bodies are unaffected", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.scheduler(),
        async (cap, perSender, consumers, s) => {
          const a = new Chan<number>(cap), b = new Chan<number>(cap);
          const seen: number[] = [];
          const plain: number[] = [];
          const senders = [a, b].map((ch, k) =>
            (async () => {
              for (let i = 0; i < perSender; i++) {
                await s.schedule(Promise.resolve());
                await ch.send(k * 100 + i);
              }
            })(),
          );
          const receivers = Array.from({ length: consumers }, (_, c) =>
            (async () => {
              // Go's idiom: a closed channel becomes nil, so its case is never ready again.
              let x: Chan<number> | null = a, y: Chan<number> | null = b;
              while (x !== null || y !== null) {
                await s.schedule(Promise.resolve());
                if (c === 0) {
                  // One consumer without bodies: the plain record still comes back.
                  const r = await select([recv(x), recv(y)]);
                  if (r.ok) plain.push(r.value);
                  else if (r.index === 0) x = null;
                  else y = null;
                } else {
                  await select([
                    recv(x, (v, ok) => (ok ? void seen.push(v) : (x = null))),
                    recv(y, (v, ok) => (ok ? void seen.push(v) : (y = null))),
                  ]);
                }
              }
            })(),
          );
          const closer = Promise.all(senders).then(() => {
            a.close();
            b.close();
          });
          await s.waitFor(Promise.all([closer, ...receivers]));
          const all = [...seen, ...plain].sort((x, y) => x - y);
          const expected = [0, 100].flatMap((base) => Array.from({ length: perSender }, (_, i) => base + i));
          expect(all).toEqual(expected);
        },
      ),
      { numRuns: 200, seed: 16 },
    );
  }, 60_000);
});

describe("types", () => {
  it("the result is the union of the bodies' return types, awaited", () => {
    async function check(a: Chan<number>, b: Chan<string, string>): Promise<void> {
      const r = await select([recv(a, (v) => v), send(b, "x", () => "sent" as const), recv(b, async () => true)]);
      expectTypeOf(r).toEqualTypeOf<number | undefined | "sent" | boolean>();
    }
    expectTypeOf(check).toBeFunction();
  });

  it("checking ok narrows a receive body's value", () => {
    const ch = new Chan<number, null>(0, { zero: null });
    recv(ch, (v, ok) => {
      if (ok) expectTypeOf(v).toEqualTypeOf<number>();
      else expectTypeOf(v).toEqualTypeOf<null>();
    });
  });

  it("a case without a body contributes its fired record; send(null) contributes nothing", () => {
    async function check(a: Chan<number>, q: number[]): Promise<void> {
      const head = q[0];
      const r = await select([recv(a), head !== undefined ? send(a, head, () => "sent") : send(null)]);
      expectTypeOf(r).toEqualTypeOf<Fired<0, number, true> | Fired<0, undefined, false> | string>();
      const only = await select([recv(a, () => 1), send(null)]);
      expectTypeOf(only).toEqualTypeOf<number>();
    }
    expectTypeOf(check).toBeFunction();
  });

  it("trySelect: a body's raw return (a promise for an async body), the default's type or undefined", () => {
    const ch = new Chan<number>();
    expectTypeOf(trySelect([recv(ch, () => 1)])).toEqualTypeOf<number | undefined>();
    expectTypeOf(trySelect([recv(ch, () => 1)], () => "none")).toEqualTypeOf<number | string>();
    expectTypeOf(trySelect([recv(ch, async () => 1)], () => "none")).toEqualTypeOf<Promise<number> | string>();
  });

  it("case classes keep their variance; dynamic arrays of cases with bodies are SelectCase<R>[]", async () => {
    const ch = new Chan<number>(1);
    const c: RecvCase<number, undefined, string> = recv(ch, () => "s");
    const wide: RecvCase<unknown, unknown, unknown> = c;
    const s: SendCase<number, string> = send(ch, 1, () => "t");
    expectTypeOf(wide).toExtend<SelectCase<unknown>>();
    const cases: SelectCase<string>[] = [c, s];
    await ch.send(1);
    const r = await select(cases);
    expectTypeOf(r).toEqualTypeOf<string | Fired<number, unknown, true>>();
    expect(r).toBe("s");
    const plain: SelectCase[] = [recv(ch)];
    expectTypeOf(trySelect(plain)).toEqualTypeOf<Fired<number, unknown, boolean> | undefined>();
  });

  it("misuses do not compile", () => {
    function misuse(ch: Chan<number>): void {
      // @ts-expect-error a send case on a channel needs a value
      send(ch);
      // @ts-expect-error the body of a receive gets the channel's element type
      recv(ch, (v: string) => v);
      // @ts-expect-error a send body takes no value
      send(ch, 1, (v: number) => v);
      // @ts-expect-error the default body is a function
      trySelect([recv(ch)], 1);
      // a nil channel from nilChan() is still typed as a channel: give it a value
      send(nilChan<number>(), 0);
    }
    expectTypeOf(misuse).toBeFunction();
  });
});
