import { describe, expect, it } from "vitest";
import { parseRedisDemoArgs } from "../src/redis-demo.js";
import { redisQueueConfig } from "../src/redis-queue.js";

describe("the Redis mode's configuration", () => {
  it("reads flags over environment variables, with defaults", () => {
    const o = parseRedisDemoArgs(["--queue", "redis", "--payloads=500", "--redis-workers", "3"], { DEMO_PAYLOADS: "9", DEMO_APPENDFSYNC: "always" });
    expect(o).toMatchObject({ payloads: 500, workers: 3, appendfsync: "always", perRequest: 100, connections: 16 });
  });

  it("names bad flags and values", () => {
    expect(() => parseRedisDemoArgs(["--workers", "2"], {})).toThrow(/unknown option "--workers"/);
    expect(() => parseRedisDemoArgs(["--redis-workers", "0"], {})).toThrow(/DEMO_REDIS_WORKERS="0": must be an integer >= 1/);
    expect(() => parseRedisDemoArgs([], { DEMO_APPENDFSYNC: "sometimes" })).toThrow(/DEMO_APPENDFSYNC="sometimes"/);
  });

  it("QUEUE selects the mode; REDIS_CAPACITY is validated", () => {
    expect(redisQueueConfig({})).toBeUndefined();
    expect(redisQueueConfig({ QUEUE: "redis" })).toEqual({ url: "redis://127.0.0.1:6379", key: "gochan-demo:payloads", capacity: 100_000 });
    expect(() => redisQueueConfig({ QUEUE: "kafka" })).toThrow(/QUEUE="kafka"/);
    expect(() => redisQueueConfig({ QUEUE: "redis", REDIS_CAPACITY: "1e3" })).toThrow(/REDIS_CAPACITY="1e3"/);
  });
});
