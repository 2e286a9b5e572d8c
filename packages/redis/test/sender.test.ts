import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SendOnClosedError } from "@gochan/core";
import { Redis } from "ioredis";
import { ConnectionLostError, RedisSender, SerializationError, StreamClosedError } from "@gochan/redis";
import { redisAvailable, startRedis, type RedisServer } from "./redis-server.js";

let key = 0;
const fresh = (): string => `sender-test-${key++}`;

describe.skipIf(!redisAvailable())("RedisSender", () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.dispose();
  });

  it("send resolves with the entry's id once Redis has it, payload JSON-encoded", async () => {
    const sender = new RedisSender<{ id: string }>({ redis: server.url, key: fresh() });
    const id = await sender.send({ id: "a" });
    const entries = await redis.xrange(sender.key, "-", "+");
    expect(entries).toEqual([[id, ["d", '{"id":"a"}']]]);
    expect(await sender.length()).toBe(1);
    await sender.disconnect();
  });

  it("trySend refuses when the stream holds capacity entries, and adds nothing", async () => {
    const sender = new RedisSender<number>({ redis: server.url, key: fresh(), capacity: 2 });
    expect(await sender.trySend(1)).toBe(true);
    expect(await sender.trySend(2)).toBe(true);
    expect(await sender.trySend(3)).toBe(false);
    expect(await sender.length()).toBe(2);
    await sender.disconnect();
  });

  it("sendMany is all or nothing; more values than the capacity is a RangeError", async () => {
    const sender = new RedisSender<number>({ redis: server.url, key: fresh(), capacity: 3 });
    expect(await sender.trySendMany([1, 2])).toBe(true);
    expect(await sender.trySendMany([3, 4])).toBe(false);
    expect(await sender.length()).toBe(2);
    await expect(sender.sendMany([1, 2, 3, 4])).rejects.toThrow(RangeError);
    const ids = await sender.sendMany([3]);
    expect(ids).toHaveLength(1);
    expect((await redis.xrange(sender.key, "-", "+")).map((e) => e[1][1])).toEqual(["1", "2", "3"]);
    await sender.disconnect();
  });

  it("a blocked send waits for room and completes once an entry leaves the stream", async () => {
    const sender = new RedisSender<number>({ redis: server.url, key: fresh(), capacity: 1, pollMs: 5 });
    const first = await sender.send(1);
    let done = false;
    const blocked = sender.send(2).then((id) => {
      done = true;
      return id;
    });
    // It polls without adding anything while the stream is full.
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false);
    expect(await sender.length()).toBe(1);
    await redis.xdel(sender.key, first);
    const second = await blocked;
    expect((await redis.xrange(sender.key, "-", "+")).map((e) => e[0])).toEqual([second]);
    await sender.disconnect();
  });

  it("aborting a blocked send withdraws it: rejects with the reason, nothing added", async () => {
    const sender = new RedisSender<number>({ redis: server.url, key: fresh(), capacity: 1, pollMs: 5 });
    await sender.send(1);
    const controller = new AbortController();
    const blocked = sender.send(2, controller.signal);
    await new Promise((r) => setTimeout(r, 20));
    const reason = new Error("client went away");
    controller.abort(reason);
    await expect(blocked).rejects.toBe(reason);
    expect(await sender.length()).toBe(1);
    await sender.disconnect();
  });

  it("a value the codec refuses is a SerializationError and nothing is sent", async () => {
    const sender = new RedisSender<unknown>({ redis: server.url, key: fresh() });
    await expect(sender.send({ at: new Date() })).rejects.toBeInstanceOf(SerializationError);
    await expect(sender.sendMany([1, () => 2])).rejects.toThrow(/value\b.*function|function/);
    expect(await sender.length()).toBe(0);
    await sender.disconnect();
  });

  it("close closes the stream for every sender: later sends reject with StreamClosedError (a SendOnClosedError)", async () => {
    const k = fresh();
    const a = new RedisSender<number>({ redis: server.url, key: k });
    const b = new RedisSender<number>({ redis: server.url, key: k });
    await a.send(1);
    await a.close();
    await a.close(); // several processes may race to close: not an error
    const error = await b.send(2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamClosedError);
    expect(error).toBeInstanceOf(SendOnClosedError);
    expect((error as Error).message).toBe("send on closed channel");
    await expect(b.trySend(3)).rejects.toBeInstanceOf(StreamClosedError);
    expect(await b.length()).toBe(1);
    await a.disconnect();
    await b.disconnect();
  });

  it("a disconnected sender rejects with a ConnectionLostError saying nothing was sent", async () => {
    const sender = new RedisSender<number>({ redis: server.url, key: fresh() });
    await sender.disconnect();
    await sender.disconnect();
    const error = (await sender.send(1).catch((e: unknown) => e)) as ConnectionLostError;
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect(error.ambiguous).toBe(false);
    expect(error.command).toBe("XADD");
  });

  it("an unreachable Redis is a ConnectionLostError, not a hang", async () => {
    const sender = new RedisSender<number>({ redis: { host: "127.0.0.1", port: 1, maxRetriesPerRequest: 1, retryStrategy: () => 10 }, key: fresh(), reconnectWaitMs: 100 });
    const error = await sender.send(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect((error as ConnectionLostError).ambiguous).toBe(false);
    await sender.disconnect();
  });

  it("bad options are named", () => {
    expect(() => new RedisSender({ redis: server.url, key: "" })).toThrow(/key must be a non-empty string, got ""/);
    expect(() => new RedisSender({ redis: server.url, key: "k", capacity: 0 })).toThrow(RangeError);
    expect(() => new RedisSender({ redis: server.url, key: "k", capacity: 1.5 })).toThrow(/capacity must be an integer.*got 1.5/);
    expect(() => new RedisSender({ redis: 42 as unknown as string, key: "k" })).toThrow(/redis must be/);
  });
});
