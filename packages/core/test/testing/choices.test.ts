import { describe, expect, it } from "vitest";
import { Chan, WaitGroup, after, recv, select } from "@gochan/core";
import * as synctest from "@gochan/core/testing";

/** Which case each of `n` selects over three always-ready channels picks. */
async function picks(n: number, choices: number | readonly number[]): Promise<number[]> {
  const out: number[] = [];
  await synctest.test(
    async () => {
      const chans = [new Chan<number>(n), new Chan<number>(n), new Chan<number>(n)];
      for (const ch of chans) for (let i = 0; i < n; i++) await ch.send(i);
      for (let i = 0; i < n; i++) {
        const r = await select([recv(chans[0] as Chan<number>), recv(chans[1] as Chan<number>), recv(chans[2] as Chan<number>)]);
        out.push(r.index);
      }
    },
    { choices },
  );
  return out;
}

describe("select's choice inside a bubble", () => {
  it("the empty schedule always takes the first ready case in source order", async () => {
    expect(await picks(5, [])).toEqual([0, 0, 0, 0, 0]);
  });

  it("a schedule is a yes/no per further ready case: 'switch to the later one'", async () => {
    // Three ready cases: choices for case 1, then case 2, per select.
    expect(await picks(4, [1, 0, 0, 1, 1, 1, 0, 0])).toEqual([1, 2, 2, 0]);
  });

  it("a seed gives the same picks on every run, and all cases get picked", async () => {
    const a = await picks(60, 7);
    const b = await picks(60, 7);
    expect(a).toEqual(b);
    expect(new Set(a)).toEqual(new Set([0, 1, 2]));
    // Another seed explores another sequence.
    expect(await picks(60, 8)).not.toEqual(a);
  });

  it("the default is a fixed seed: the same result every run", async () => {
    expect(await picks(30, 0)).toEqual(await picks(30, 0));
    const byDefault: number[] = [];
    await synctest.test(async () => {
      const x = new Chan<number>(1), y = new Chan<number>(1);
      for (let i = 0; i < 20; i++) {
        await x.send(i);
        await y.send(i);
        byDefault.push((await select([recv(x), recv(y)])).index);
        (byDefault.at(-1) === 0 ? y : x).tryRecv();
      }
    });
    const again: number[] = [];
    await synctest.test(async () => {
      const x = new Chan<number>(1), y = new Chan<number>(1);
      for (let i = 0; i < 20; i++) {
        await x.send(i);
        await y.send(i);
        again.push((await select([recv(x), recv(y)])).index);
        (again.at(-1) === 0 ? y : x).tryRecv();
      }
    });
    expect(again).toEqual(byDefault);
  });
});

describe("the order in which tasks released by one event resume", () => {
  async function resumeOrder(choices: readonly number[]): Promise<string[]> {
    const order: string[] = [];
    await synctest.test(
      async () => {
        const gate = new Chan<void>();
        const wg = new WaitGroup();
        for (const name of ["a", "b", "c"]) {
          wg.go(async () => {
            await gate.recv();
            order.push(name);
          });
        }
        await synctest.wait(); // all three parked, in order a, b, c
        gate.close();
        await wg.wait();
      },
      { choices },
    );
    return order;
  }

  it("close releases receivers in FIFO order under the empty schedule", async () => {
    expect(await resumeOrder([])).toEqual(["a", "b", "c"]);
  });

  it("a schedule picks who resumes first among those still waiting", async () => {
    expect(await resumeOrder([2, 1])).toEqual(["c", "b", "a"]);
    expect(await resumeOrder([1, 0])).toEqual(["b", "a", "c"]);
  });

  it("timers due at the same instant fire in the order the schedule picks", async () => {
    const fire = async (choices: readonly number[]): Promise<string[]> => {
      const order: string[] = [];
      await synctest.test(
        async () => {
          const wg = new WaitGroup();
          for (const name of ["x", "y", "z"]) {
            const t = after(100);
            wg.go(async () => {
              await t.recv();
              order.push(name);
            });
          }
          await wg.wait();
        },
        { choices },
      );
      return order;
    };
    expect(await fire([])).toEqual(["x", "y", "z"]);
    expect(await fire([2, 0])).toEqual(["z", "x", "y"]);
  });
});
