import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { after, recv, select } from "@gochan/core";
import { Redis } from "ioredis";
import { ConnectionLostError, Delivery, RedisReceiver, RedisSender, SerializationError, type ReceiverOptions } from "@gochan/redis";
import { redisAvailable, startRedis, type RedisServer } from "./redis-server.js";

let key = 0;
const fresh = (): string => `receiver-test-${key++}`;

describe.skipIf(!redisAvailable())("RedisReceiver", () => {
  let server: RedisServer;
  let redis: Redis;
  const open: { disconnect(): Promise<void> }[] = [];
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    for (const o of open) await o.disconnect();
    redis.disconnect();
    await server.dispose();
  });

  function pair<T>(options: Partial<ReceiverOptions<T>> = {}): { sender: RedisSender<T>; receiver: RedisReceiver<T>; errors: unknown[] } {
    const errors: unknown[] = [];
    const k = options.key ?? fresh();
    const sender = new RedisSender<T>({ redis: server.url, key: k });
    const receiver = new RedisReceiver<T>({ redis: server.url, key: k, claimIntervalMs: 20, onError: (e) => errors.push(e), ...options });
    open.push(sender, receiver);
    return { sender, receiver, errors };
  }

  it("delivers entries in order through for await; ack removes them from the stream", async () => {
    const { sender, receiver, errors } = pair<{ n: number }>();
    for (let n = 0; n < 5; n++) await sender.send({ n });
    const seen: number[] = [];
    for await (const d of receiver.messages) {
      expect(d).toBeInstanceOf(Delivery);
      expect(d.deliveries).toBe(1);
      seen.push(d.value.n);
      expect(await d.ack()).toBe(true);
      if (seen.length === 5) break;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(await sender.length()).toBe(0);
    expect(await redis.xpending(sender.key, receiver.group)).toEqual([0, null, null, null]);
    await receiver.stop();
    expect(errors).toEqual([]);
  });

  it("entries sent before any receiver existed are received (the group starts at the stream's beginning)", async () => {
    const k = fresh();
    const early = new RedisSender<string>({ redis: server.url, key: k });
    open.push(early);
    await early.send("early");
    const { receiver } = pair<string>({ key: k });
    const d = (await receiver.messages.recv()) as Delivery<string>;
    expect(d.value).toBe("early");
    await d.ack();
    await receiver.stop();
  });

  it("works in select, beside a timer, and with an AbortSignal", async () => {
    const { sender, receiver } = pair<string>();
    const timedOut = await select([recv(receiver.messages), recv(after(30))]);
    expect(timedOut.index).toBe(1);
    const controller = new AbortController();
    const aborted = receiver.messages.recv(controller.signal);
    controller.abort(new Error("gave up"));
    await expect(aborted).rejects.toThrow("gave up");
    await sender.send("x");
    const r = await select([recv(receiver.messages), recv(after(5_000))]);
    expect(r.index).toBe(0);
    const d = r.value as Delivery<string>;
    expect(d.value).toBe("x");
    await d.ack();
    await receiver.stop();
  });

  it("ack and nack settle once: a second call returns the first's promise", async () => {
    const { sender, receiver } = pair<number>();
    await sender.send(1);
    const d = (await receiver.messages.recv()) as Delivery<number>;
    const first = d.ack();
    expect(d.settled).toBe(true);
    expect(d.nack()).toBe(first);
    expect(await first).toBe(true);
    expect(receiver.outstanding).toBe(0);
    await receiver.stop();
  });

  it("nack redelivers (deliveries counts up) and after maxDeliveries the entry goes to the dead-letter stream", async () => {
    const { sender, receiver } = pair<string>({ maxDeliveries: 3, claimIdleMs: 10_000 });
    const id = await sender.send("poison");
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const d = (await receiver.messages.recv()) as Delivery<string>;
      expect(d.id).toBe(id);
      counts.push(d.deliveries);
      expect(await d.nack()).toBe(true);
    }
    expect(counts).toEqual([1, 2, 3]);
    // The 4th delivery would exceed maxDeliveries: dead-lettered instead.
    for (let i = 0; i < 200 && (await redis.xlen(receiver.deadLetterKey)) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const dead = await redis.xrange(receiver.deadLetterKey, "-", "+");
    expect(dead).toHaveLength(1);
    expect(dead[0]?.[1].slice(0, 6)).toEqual(["id", id, "d", '"poison"', "deliveries", "4"]);
    expect(await sender.length()).toBe(0);
    expect(receiver.messages.tryRecv()).toBeUndefined();
    await receiver.stop();
  });

  it("an entry the codec cannot decode goes to the dead-letter stream with a SerializationError reported", async () => {
    const { receiver, errors } = pair<unknown>();
    await redis.xadd(receiver.key, "*", "d", "{not json");
    for (let i = 0; i < 200 && (await redis.xlen(receiver.deadLetterKey)) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await redis.xrange(receiver.deadLetterKey, "-", "+"))[0]?.[1].slice(2, 4)).toEqual(["d", "{not json"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SerializationError);
    expect(await redis.xlen(receiver.key)).toBe(0);
    await receiver.stop();
  });

  it("a crashed consumer's entries are claimed by another receiver after claimIdleMs", async () => {
    const k = fresh();
    const { sender, receiver: crashed } = pair<number>({ key: k, claimIdleMs: 100, consumer: "crashed" });
    await sender.send(7);
    const lost = (await crashed.messages.recv()) as Delivery<number>;
    await crashed.disconnect(); // as kill -9: the entry stays pending, owned by "crashed"
    await expect(lost.ack()).rejects.toBeInstanceOf(ConnectionLostError);
    const { receiver: rescuer } = pair<number>({ key: k, claimIdleMs: 100, consumer: "rescuer" });
    const claimed = (await rescuer.messages.recv()) as Delivery<number>;
    expect([claimed.id, claimed.value, claimed.deliveries]).toEqual([lost.id, 7, 2]);
    expect(await claimed.ack()).toBe(true);
    expect(await sender.length()).toBe(0);
    await rescuer.stop();
  });

  it("a hung consumer's late ack of a claimed entry says false and does not acknowledge it twice", async () => {
    const k = fresh();
    // A long claimIdleMs: this one refreshes its entries rarely (every 20 s), as a hung process would not at all.
    const { sender, receiver: hung } = pair<number>({ key: k, claimIdleMs: 60_000, consumer: "hung" });
    await sender.send(7);
    const late = (await hung.messages.recv()) as Delivery<number>;
    const { receiver: rescuer } = pair<number>({ key: k, claimIdleMs: 100, consumer: "rescuer" });
    const claimed = (await rescuer.messages.recv()) as Delivery<number>;
    expect([claimed.id, claimed.deliveries]).toEqual([late.id, 2]);
    expect(await late.ack()).toBe(false); // no longer ours: nothing done
    expect(await redis.xlen(k)).toBe(1);
    expect(await claimed.ack()).toBe(true);
    expect(await sender.length()).toBe(0);
    await hung.stop();
    await rescuer.stop();
  });

  it("a long job is kept (heartbeat): no other receiver claims an outstanding delivery", async () => {
    const k = fresh();
    const { sender, receiver: busy } = pair<number>({ key: k, claimIdleMs: 150, consumer: "busy" });
    const { receiver: other } = pair<number>({ key: k, claimIdleMs: 150, consumer: "other" });
    await sender.send(1);
    const r = await select([recv(busy.messages), recv(other.messages)]);
    const d = r.value as Delivery<number>;
    const holder = r.index === 0 ? busy : other;
    const idle = r.index === 0 ? other : busy;
    // Hold it for several claim-idle periods.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(idle.messages.tryRecv()).toBeUndefined();
    const pending = (await redis.xpending(k, holder.group, "-", "+", 10)) as [string, string, number, number][];
    expect(pending.map((p) => [p[1], p[3]])).toEqual([[holder.consumer, 1]]);
    expect(await d.ack()).toBe(true);
    await busy.stop();
    await other.stop();
  });

  it("entries waiting in a full local buffer are kept alive too: a slow consumer's prefetch is not stolen", async () => {
    const k = fresh();
    const { sender, receiver: slow } = pair<number>({ key: k, claimIdleMs: 150, prefetch: 2, consumer: "slow" });
    for (let n = 0; n < 3; n++) await sender.send(n);
    // Two in the buffer, the third in the reader's hand, waiting for room.
    for (let i = 0; i < 200 && slow.outstanding < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(slow.outstanding).toBe(3);
    const { receiver: other } = pair<number>({ key: k, claimIdleMs: 150, consumer: "other" });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(other.messages.tryRecv()).toBeUndefined();
    const pending = (await redis.xpending(k, slow.group, "-", "+", 10)) as [string, string, number, number][];
    expect(pending.map((p) => [p[1], p[3]])).toEqual([["slow", 1], ["slow", 1], ["slow", 1]]);
    const got: number[] = [];
    for (let i = 0; i < 3; i++) {
      const d = (await slow.messages.recv()) as Delivery<number>;
      got.push(d.value);
      expect(await d.ack()).toBe(true);
    }
    expect(got).toEqual([0, 1, 2]);
    await slow.stop();
    await other.stop();
  });

  it("closing the stream ends every receiver once all entries are acknowledged", async () => {
    const k = fresh();
    const { sender, receiver: a } = pair<number>({ key: k, blockMs: 20 });
    const { receiver: b } = pair<number>({ key: k, blockMs: 20 });
    for (let n = 0; n < 10; n++) await sender.send(n);
    await sender.close();
    const got: number[] = [];
    const drain = async (r: RedisReceiver<number>): Promise<void> => {
      for await (const d of r.messages) {
        got.push(d.value);
        await d.ack();
      }
    };
    await Promise.all([drain(a), drain(b), a.done, b.done]);
    expect(got.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(a.messages.tryRecv()).toEqual({ value: undefined, ok: false });
  });

  it("stop gives buffered entries back at once, waits for taken ones, and ends the channel", async () => {
    const k = fresh();
    const { sender, receiver } = pair<number>({ key: k, prefetch: 4, claimIdleMs: 60_000 });
    for (let n = 0; n < 4; n++) await sender.send(n);
    const taken = (await receiver.messages.recv()) as Delivery<number>;
    for (let i = 0; i < 200 && receiver.messages.len < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(receiver.messages.len).toBe(3);
    let stopped = false;
    const stopping = receiver.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false); // the taken one is still out
    expect(await taken.ack()).toBe(true);
    await stopping;
    expect(receiver.messages.tryRecv()).toEqual({ value: undefined, ok: false });
    // The three given back are claimable at once by another receiver, without counting a delivery.
    const { receiver: next } = pair<number>({ key: k, claimIdleMs: 60_000 });
    const again: [number, number][] = [];
    for (let i = 0; i < 3; i++) {
      const d = (await next.messages.recv()) as Delivery<number>;
      again.push([d.value, d.deliveries]);
      await d.ack();
    }
    expect(again.sort()).toEqual([[1, 2], [2, 2], [3, 2]]);
    expect(await sender.length()).toBe(0);
    await next.stop();
  });

  it("bad options are named", () => {
    expect(() => new RedisReceiver({ redis: server.url, key: "k", prefetch: 0 })).toThrow(/prefetch must be an integer from 1.*got 0/);
    expect(() => new RedisReceiver({ redis: server.url, key: "k", group: "" })).toThrow(/group must be a non-empty string/);
    expect(() => new RedisReceiver({ redis: server.url, key: "k", onError: 1 as unknown as () => void })).toThrow(/onError must be a function/);
  });
});
