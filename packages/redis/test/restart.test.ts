/**
 * Redis killed (-9) and restarted mid-run, with appendonly yes and appendfsync
 * always: nothing acknowledged is lost. Every send that resolved is delivered
 * and processed; no entry whose ack resolved true is delivered again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionLostError, RedisReceiver, RedisSender, type Delivery } from "@gochan/redis";
import { redisAvailable, startRedis, type RedisServer } from "./redis-server.js";

const N = 600;

describe.skipIf(!redisAvailable())("a Redis restart mid-run (AOF, appendfsync always)", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({ appendfsync: "always" });
  });
  afterAll(async () => {
    await server.dispose();
  });

  it("loses no accepted send and redelivers no acknowledged entry", async () => {
    const redis = { host: "127.0.0.1", port: server.port, retryStrategy: (): number => 20 };
    const sender = new RedisSender<{ n: number }>({ redis, key: "restart", capacity: 200 });
    const errors: unknown[] = [];
    const receivers = [0, 1].map(
      (i) => new RedisReceiver<{ n: number }>({ redis, key: "restart", consumer: `r${i}`, prefetch: 16, claimIdleMs: 500, claimIntervalMs: 50, blockMs: 50, onError: (e) => errors.push(e) }),
    );
    const accepted = new Set<number>(); // sends that resolved: Redis had the entry
    const processed = new Set<number>();
    const ackedEntries = new Set<string>();
    const redeliveredAfterAck: string[] = [];
    const consume = receivers.map(async (receiver) => {
      for await (const d of receiver.messages) {
        const delivery: Delivery<{ n: number }> = d;
        if (ackedEntries.has(delivery.id)) redeliveredAfterAck.push(delivery.id);
        processed.add(delivery.value.n);
        void delivery.ack().then(
          (acked) => {
            if (acked) ackedEntries.add(delivery.id);
          },
          () => undefined, // disconnected: the entry stays pending and comes back
        );
      }
    });
    let ambiguous = 0;
    const produce = (async (): Promise<void> => {
      for (let n = 0; n < N; n++) {
        for (;;) {
          try {
            await sender.send({ n });
            accepted.add(n);
            break;
          } catch (error) {
            if (!(error instanceof ConnectionLostError)) throw error;
            if (error.ambiguous) ambiguous++;
            await new Promise((r) => setTimeout(r, 20)); // the caller's choice: retry (may duplicate if ambiguous)
          }
        }
      }
    })();
    while (accepted.size < N / 3) await new Promise((r) => setTimeout(r, 5));
    await server.restart(); // kill -9, then start again from the AOF
    await produce;
    await sender.close();
    await Promise.all(consume);
    expect(processed.size).toBe(N);
    for (const n of accepted) expect(processed.has(n)).toBe(true);
    expect(redeliveredAfterAck).toEqual([]);
    expect(await sender.length()).toBe(0);
    // The restart really cut connections: the receivers reported it.
    expect(errors.some((e) => e instanceof ConnectionLostError)).toBe(true);
    expect(ambiguous).toBeGreaterThanOrEqual(0);
    await sender.disconnect();
  });
});
