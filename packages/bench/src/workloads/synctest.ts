/**
 * The cost of running inside a synctest bubble (`@gochan/core/testing`): Go's
 * concurrent prime sieve, a chain of filter tasks passing numbers over
 * unbuffered channels, run plainly and inside a bubble. The bubble adds its
 * hooks (virtual clock, blocked-operation tracking, task counting), so the
 * ratio of the two rows is what a test pays for virtual time.
 *
 * The numbers 2..count flow through the chain and it shuts down by closing,
 * stage by stage, so every task ends and the bubble has nothing left over.
 *
 * @module
 */
import type * as Core from "@gochan/core";
import type * as Testing from "@gochan/core/testing";
import { load, runIfMain } from "../child.ts";
import type { Family, Measurement, Peer } from "../spec.ts";

/** The sum of the primes up to `n`, by a plain sieve of Eratosthenes. */
function primeSum(n: number): number {
  const composite = new Uint8Array(n + 1);
  let sum = 0;
  for (let i = 2; i <= n; i++) {
    if (composite[i] === 1) continue;
    sum += i;
    for (let j = i * i; j <= n; j += i) composite[j] = 1;
  }
  return sum;
}

/** Runs the sieve over 2..n; returns the sum of the primes and how many messages moved. */
async function sieve(core: typeof Core, n: number): Promise<{ sum: number; msgs: number }> {
  const { Chan, go } = core;
  let msgs = 0;
  const numbers = new Chan<number>();
  go(async () => {
    for (let i = 2; i <= n; i++) await numbers.send(i);
    numbers.close();
  });
  let src: Core.Chan<number> = numbers;
  let sum = 0;
  for (;;) {
    const r = await src.recvOk();
    if (!r.ok) break;
    msgs++;
    const prime = r.value;
    sum += prime;
    const input = src;
    const out = new Chan<number>();
    go(async () => {
      for await (const v of input) {
        msgs++;
        if (v % prime !== 0) await out.send(v);
      }
      out.close();
    });
    src = out;
  }
  return { sum, msgs };
}

function peer(where: "outside" | "bubble"): Peer {
  return async (count) => {
    const core = await load<typeof Core>("@gochan/core");
    const testing = await load<typeof Testing>("@gochan/core/testing");
    let result = { sum: 0, msgs: 0 };
    const t0 = process.hrtime.bigint();
    if (where === "outside") result = await sieve(core, count);
    else {
      await testing.test(async () => {
        result = await sieve(core, count);
      });
    }
    const ns = Number(process.hrtime.bigint() - t0);
    const m: Measurement = { value: ns / result.msgs, unit: "ns/msg", ops: result.msgs, check: result.sum, expected: primeSum(count) };
    return m;
  };
}

/** The synctest workloads. */
export const synctest: Family = {
  name: "synctest",
  workloads: [
    {
      id: "sieve",
      title: "Prime sieve (2..count through a chain of filter tasks): plain vs inside a synctest bubble",
      unit: "ns/msg",
      count: { full: 5_000, quick: 300 },
      warmup: true,
      peers: {
        outside: peer("outside"),
        bubble: peer("bubble"),
      },
      note: "Per message moved between stages. The bubble row runs the same code inside `synctest.test()` with its default options (no call sites).",
    },
  ],
};

runIfMain(import.meta.url, synctest);
